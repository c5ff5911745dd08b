//! Orders' errors.

use souk_inventory::domain::Shortage;

use super::OrderStatus;

pub use souk_tenants::InternalError;

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("{field}: {message}")]
    Invalid {
        code: &'static str,
        field: String,
        message: String,
    },
    #[error("product {0} is not for sale")]
    UnknownProduct(String),
    #[error("not enough stock for {} SKU(s)", .0.len())]
    Insufficient(Vec<Shortage>),
    #[error("this idempotency key was used for another checkout")]
    IdempotencyConflict,
    #[error("a checkout with this idempotency key is still running; retry shortly")]
    InProgress,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("no such order")]
    NotFound,
    #[error("an order that is {from} cannot become {to}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
        allowed: Vec<OrderStatus>,
    },
    #[error("the order changed meanwhile; read it again")]
    Conflict,
    #[error("your role may not do this")]
    Forbidden,
    /// The order's payment decides this change (see the payments service).
    #[error("{0}")]
    PaymentManaged(&'static str),
    /// The order's hold expired before it was paid: the order expired and its
    /// stock went back.
    #[error("the order's stock reservation expired; the order expired")]
    ReservationExpired,
    /// Inventory holds no stock for the order (its reservation is missing or
    /// already released or committed), so it cannot be paid or shipped.
    #[error("no stock is held for this order (reservation {status})")]
    StockNotHeld { status: &'static str },
    #[error(transparent)]
    Internal(#[from] InternalError),
}
