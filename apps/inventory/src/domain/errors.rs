//! One error enum per operation, plus an opaque internal error.

use super::model::ReservationStatus;
use super::values::{OrderId, Sku};

pub use souk_tenants::InternalError;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("SKU {0} already exists")]
    DuplicateSku(Sku),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no stock item with SKU {0}")]
    UnknownSku(Sku),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    #[error("no stock item with SKU {0}")]
    UnknownSku(Sku),
    /// The change would take on-hand stock below what is reserved, below zero, or
    /// above the most a SKU may hold.
    #[error("SKU {sku}: on hand {on_hand} with {reserved} reserved cannot change by {delta}")]
    OutOfRange {
        sku: Sku,
        on_hand: i64,
        reserved: i64,
        delta: i64,
    },
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A line that could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub sku: Sku,
    pub requested: i64,
    pub available: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error("no stock item with SKU {0}")]
    UnknownSku(Sku),
    #[error("not enough stock for {} SKU(s)", .0.len())]
    Insufficient(Vec<Shortage>),
    #[error("order {0} already has a reservation with other lines")]
    Conflict(OrderId),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A settlement of a reservation that is no longer in a state that allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationClosed {
    pub order_id: OrderId,
    pub status: ReservationStatus,
}

/// Confirming, releasing or committing a reservation.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error("no reservation for order {0}")]
    NotFound(OrderId),
    /// The hold was not confirmed in time: its stock went back.
    #[error("the reservation for order {0} expired")]
    Expired(OrderId),
    #[error("the reservation for order {} is already {}", .0.order_id, .0.status.as_str())]
    Closed(ReservationClosed),
    #[error(transparent)]
    Internal(#[from] InternalError),
}
