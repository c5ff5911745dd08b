//! Payments' values and rules: who provides a payment, what state a checkout's
//! payment and each vendor order's share of it are in, and the integer
//! arithmetic of commissions, refunds and reversals. No I/O here.

mod share;

use chrono::{DateTime, Utc};

pub use share::{RefundSplit, Share, ShareStatus};

/// Who moves the money of a checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Stripe Connect: separate charges and transfers.
    Stripe,
    /// The built-in test provider: no money moves; a payment succeeds or
    /// fails when asked. For demos and tests only.
    Test,
    /// Paid offline (cash on delivery, bank transfer): the vendor marks it paid.
    Manual,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Stripe => "stripe",
            ProviderKind::Test => "test",
            ProviderKind::Manual => "manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Stripe, Self::Test, Self::Manual]
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }
}

/// Where a checkout's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutStatus {
    /// Waiting for the customer to pay.
    Open,
    Succeeded,
    /// The payment was declined; its orders were cancelled.
    Failed,
    /// The payment was cancelled (or never made before the holds expired).
    Canceled,
}

impl CheckoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutStatus::Open => "open",
            CheckoutStatus::Succeeded => "succeeded",
            CheckoutStatus::Failed => "failed",
            CheckoutStatus::Canceled => "canceled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Succeeded, Self::Failed, Self::Canceled]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// A checkout's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutPayment {
    pub checkout_id: String,
    pub customer: String,
    pub provider: ProviderKind,
    pub amount: i64,
    pub currency: String,
    pub intent_id: Option<String>,
    pub client_secret: Option<String>,
    pub status: CheckoutStatus,
    pub charge_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One kind of payments ledger entry. Amounts are signed from the vendor's
/// side (see the migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Charge,
    Commission,
    Transfer,
    Refund,
    CommissionRefund,
    Reversal,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Charge,
        EntryKind::Commission,
        EntryKind::Transfer,
        EntryKind::Refund,
        EntryKind::CommissionRefund,
        EntryKind::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Charge => "charge",
            EntryKind::Commission => "commission",
            EntryKind::Transfer => "transfer",
            EntryKind::Refund => "refund",
            EntryKind::CommissionRefund => "commission_refund",
            EntryKind::Reversal => "reversal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// A vendor's money in one currency, from its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: String,
    /// Charges less commission and refunds: what the vendor has earned.
    pub earned: i64,
    /// Earned on orders not shipped yet: not transferable until they ship.
    pub pending: i64,
    /// Moved to the vendor's connected account (transfers less reversals).
    pub transferred: i64,
}

impl Balance {
    /// Earned on shipped orders and not transferred yet: what the next
    /// transfers pay (once the vendor's payouts are enabled).
    pub fn transferable(&self) -> i64 {
        self.earned - self.pending - self.transferred
    }
}

/// A refund's reason: 1 to 500 characters, without control characters.
pub fn refund_reason(raw: &str) -> Result<String, &'static str> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err("1 to 500 characters");
    }
    if reason.chars().any(char::is_control) {
        return Err("no control characters");
    }
    Ok(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
        }
        for status in [
            CheckoutStatus::Open,
            CheckoutStatus::Succeeded,
            CheckoutStatus::Failed,
            CheckoutStatus::Canceled,
        ] {
            assert_eq!(CheckoutStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ProviderKind::parse("test"), Some(ProviderKind::Test));
        assert_eq!(ProviderKind::parse("paypal"), None);
    }

    #[test]
    fn a_reason_is_short_printable_text() {
        assert_eq!(refund_reason("  damaged "), Ok("damaged".to_string()));
        assert!(refund_reason("").is_err());
        assert!(refund_reason("a\u{0}b").is_err());
        assert!(refund_reason(&"x".repeat(501)).is_err());
    }

    #[test]
    fn transferable_is_shipped_earnings_not_yet_moved() {
        let balance = Balance {
            currency: "EUR".into(),
            earned: 10_000,
            pending: 2_500,
            transferred: 4_000,
        };
        assert_eq!(balance.transferable(), 3_500);
    }
}
