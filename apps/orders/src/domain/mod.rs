//! Orders' types and rules. No I/O here.

mod errors;
mod status;

pub use errors::{CheckoutError, InternalError, OrderError};
pub use status::{OrderStatus, StockEffect, StockStep};

use chrono::{DateTime, Utc};
use souk_catalog::domain::ObjectKey;
use souk_inventory::domain::Sku;
use souk_tenants::TenantId;

/// The most lines one checkout may have, and the most units of one line.
pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i64 = 1_000;

/// One line of an order, priced from the catalog at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product: ObjectKey,
    pub sku: Sku,
    pub title: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub currency: String,
}

impl OrderLine {
    pub fn total(&self) -> i64 {
        self.unit_price.saturating_mul(self.quantity)
    }
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

/// One vendor's part of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: ObjectKey,
    pub tenant: TenantId,
    pub checkout: String,
    pub customer: String,
    pub lines: Vec<OrderLine>,
    pub currency: String,
    pub total: i64,
    pub shipping: ShippingAddress,
    pub status: OrderStatus,
    /// Whether the order's stock is held by inventory.
    pub reserved: bool,
    pub history: Vec<Transition>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line as the customer asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub product: ObjectKey,
    pub sku: Sku,
    pub quantity: i64,
}
