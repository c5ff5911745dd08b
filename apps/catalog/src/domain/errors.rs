//! The catalog's errors.

use super::values::InvalidValue;

pub use souk_tenants::InternalError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("not found")]
    NotFound,
    #[error("the product changed since version {expected}; it is at version {current}")]
    Conflict { expected: i64, current: i64 },
    #[error("SKU {0} is already used by another product")]
    DuplicateSku(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("no such category")]
    UnknownCategory,
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Internal(#[from] InternalError),
}
