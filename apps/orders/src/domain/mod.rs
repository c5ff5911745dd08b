//! Orders' types and rules. No I/O here.

mod errors;
mod status;

pub use errors::{CheckoutError, InternalError, OrderError};
pub use status::{OrderStatus, StockEffect, StockStep};

use chrono::{DateTime, Utc};
use souk_catalog::domain::{Money, ObjectKey};
use souk_inventory::domain::{Quantity, Sku};
use souk_tenants::TenantId;

/// The most lines one checkout may have, and the most units of one line.
pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i64 = 1_000;
/// The most one checkout's payment may be, in minor units: what Stripe takes
/// in one charge (999,999.99 in a currency of two decimals).
pub const MAX_CHECKOUT_TOTAL: i64 = 99_999_999;

/// One line of an order, priced from the catalog at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product: ObjectKey,
    pub sku: Sku,
    pub title: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    /// `unit_price` × `quantity`.
    pub total: Money,
}

impl OrderLine {
    /// The line for `quantity` units at `unit_price`; `None` when its total
    /// does not fit in minor units.
    pub fn priced(
        product: ObjectKey,
        sku: Sku,
        title: String,
        quantity: Quantity,
        unit_price: Money,
    ) -> Option<Self> {
        let total = unit_price.checked_times(quantity.get())?;
        Some(Self {
            product,
            sku,
            title,
            quantity,
            unit_price,
            total,
        })
    }
}

/// Why a set of lines has no total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalError {
    NoLines,
    MixedCurrency,
    TooLarge,
}

/// The total of one order's lines, which share a currency.
pub fn total_of(lines: &[OrderLine]) -> Result<Money, TotalError> {
    let (first, rest) = lines.split_first().ok_or(TotalError::NoLines)?;
    rest.iter().try_fold(first.total.clone(), |sum, line| {
        if line.total.currency() != sum.currency() {
            return Err(TotalError::MixedCurrency);
        }
        sum.checked_plus(&line.total).ok_or(TotalError::TooLarge)
    })
}

/// A change of an order's state, kept in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub by: String,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub note: Option<String>,
}

/// Where the order is shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaymentMethod {
    /// Online, through the payment provider: the order becomes paid when its
    /// checkout's payment succeeds, and its money moves only through refunds.
    #[default]
    Card,
    /// Offline (cash on delivery, bank transfer), for vendors a platform admin
    /// allows it: the vendor marks the order paid by hand.
    Manual,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Manual => "manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "card" => Some(PaymentMethod::Card),
            "manual" => Some(PaymentMethod::Manual),
            _ => None,
        }
    }
}

/// One vendor's part of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: ObjectKey,
    pub tenant: TenantId,
    pub checkout: String,
    pub customer: String,
    pub lines: Vec<OrderLine>,
    /// The sum of the lines ([`total_of`]).
    pub total: Money,
    pub shipping: ShippingAddress,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    /// Whether the order's stock is held by inventory.
    pub reserved: bool,
    pub history: Vec<Transition>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// Why nobody but the payments service may move this order to `to`: a
    /// card order's payment, not a person, makes it paid, and its money goes
    /// back only through a refund.
    pub fn payment_rule(&self, to: OrderStatus) -> Option<&'static str> {
        if self.payment_method != PaymentMethod::Card {
            return None;
        }
        match (self.status, to) {
            (OrderStatus::Pending, OrderStatus::Paid) => {
                Some("a card order becomes paid when its checkout's payment succeeds")
            }
            (_, OrderStatus::Refunded) => Some("refund a card order with refundOrder"),
            (OrderStatus::Paid | OrderStatus::Processing, OrderStatus::Cancelled) => {
                Some("a paid card order is cancelled by refunding it in full (refundOrder)")
            }
            _ => None,
        }
    }

    /// Whether the order's customer may ask for `to`: only a cancellation,
    /// and only before the vendor starts work.
    pub fn customer_may_ask(&self, to: OrderStatus) -> bool {
        to == OrderStatus::Cancelled
            && matches!(self.status, OrderStatus::Pending | OrderStatus::Paid)
    }

    /// The states the order's customer may move it to next (a paid card
    /// order's money goes back only through its vendor's refund).
    pub fn next_by_customer(&self) -> Vec<OrderStatus> {
        self.next_by_hand()
            .into_iter()
            .filter(|to| self.customer_may_ask(*to))
            .collect()
    }

    /// The states a person may move this order to next.
    pub fn next_by_hand(&self) -> Vec<OrderStatus> {
        self.status
            .allowed()
            .into_iter()
            .filter(|to| self.payment_rule(*to).is_none())
            .collect()
    }
}

/// The quantity of one cart line: 1 to [`MAX_QUANTITY`] units.
pub fn line_quantity(raw: i64) -> Result<Quantity, CheckoutError> {
    Quantity::parse(raw)
        .ok()
        .filter(|q| q.get() <= MAX_QUANTITY)
        .ok_or_else(|| CheckoutError::Invalid {
            code: "INVALID_QUANTITY",
            field: "lines.quantity".to_string(),
            message: format!("a quantity is 1 to {MAX_QUANTITY}, got {raw}"),
        })
}

/// A line as the customer asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub product: ObjectKey,
    pub sku: Sku,
    pub quantity: Quantity,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64, amount: i64, currency: &str) -> Option<OrderLine> {
        OrderLine::priced(
            ObjectKey::parse("product", "65a1b2c3d4e5f60718293a4b").ok()?,
            Sku::parse(sku).ok()?,
            sku.to_string(),
            Quantity::parse(quantity).ok()?,
            Money::parse("price", amount, currency).ok()?,
        )
    }

    #[test]
    fn an_orders_total_is_the_exact_sum_of_its_lines_in_one_currency() {
        let lines: Vec<OrderLine> = [("A", 3, 333), ("B", 7, 1), ("C", 1_000, 999_999)]
            .into_iter()
            .filter_map(|(sku, q, a)| line(sku, q, a, "EUR"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].total.amount(), 999);
        let total = total_of(&lines).map(|t| (t.amount(), t.currency().to_string()));
        assert_eq!(total, Ok((999 + 7 + 999_999_000, "EUR".to_string())));

        let mut mixed = lines.clone();
        mixed.extend(line("D", 1, 5, "USD"));
        assert_eq!(total_of(&mixed), Err(TotalError::MixedCurrency));
        assert_eq!(total_of(&[]), Err(TotalError::NoLines));
    }

    #[test]
    fn totals_that_overflow_are_refused_not_wrapped() {
        let huge = 1_000_000_000_000;
        assert!(
            line("A", 1_000_000_000, huge, "EUR").is_none(),
            "a line total past i64"
        );
        let big: Vec<OrderLine> = (0..10)
            .filter_map(|i| line(&format!("S{i}"), 1_000_000, huge, "EUR"))
            .collect();
        assert_eq!(big.len(), 10);
        assert_eq!(total_of(&big), Err(TotalError::TooLarge));
    }

    #[test]
    fn a_line_quantity_is_one_to_the_most_a_line_may_hold() {
        assert_eq!(line_quantity(1).ok().map(Quantity::get), Some(1));
        assert_eq!(
            line_quantity(MAX_QUANTITY).ok().map(Quantity::get),
            Some(MAX_QUANTITY)
        );
        for raw in [0, -1, MAX_QUANTITY + 1, i64::MAX] {
            assert!(line_quantity(raw).is_err(), "{raw}");
        }
    }
}
