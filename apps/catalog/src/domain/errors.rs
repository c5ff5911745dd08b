//! The catalog's errors.

use super::values::InvalidValue;

/// An unexpected failure; its cause is logged where handled, never shown.
#[derive(Debug, thiserror::Error)]
#[error("catalog internal error: {0}")]
pub struct InternalError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl From<souk_tenants::mongo::ScopeError> for InternalError {
    fn from(err: souk_tenants::mongo::ScopeError) -> Self {
        Self(Box::new(err))
    }
}

impl From<mongodb::error::Error> for InternalError {
    fn from(err: mongodb::error::Error) -> Self {
        Self(Box::new(err))
    }
}

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

impl From<souk_tenants::mongo::ScopeError> for CatalogError {
    fn from(err: souk_tenants::mongo::ScopeError) -> Self {
        CatalogError::Internal(err.into())
    }
}

impl From<mongodb::error::Error> for CatalogError {
    fn from(err: mongodb::error::Error) -> Self {
        CatalogError::Internal(err.into())
    }
}
