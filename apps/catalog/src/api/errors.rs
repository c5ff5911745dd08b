use souk_edge::ApiError;

use crate::domain::{CatalogError, InvalidValue};

impl From<InvalidValueError> for ApiError {
    fn from(err: InvalidValueError) -> Self {
        ApiError::new(err.0.code, err.0.to_string()).with("argument", err.0.field.clone())
    }
}

/// An [`InvalidValue`] on its way to the client.
#[derive(Debug)]
pub(crate) struct InvalidValueError(pub InvalidValue);

pub(crate) fn invalid(err: InvalidValue) -> ApiError {
    InvalidValueError(err).into()
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::NotFound => ApiError::new("NOT_FOUND", "no such product"),
            CatalogError::Conflict { expected, current } => {
                ApiError::new("CONFLICT", err.to_string())
                    .with("expectedVersion", expected)
                    .with("currentVersion", current)
            }
            CatalogError::DuplicateSku(ref sku) => {
                ApiError::new("DUPLICATE_SKU", err.to_string()).with("sku", sku.clone())
            }
            CatalogError::InvalidState(message) => ApiError::new("INVALID_STATE", message),
            CatalogError::UnknownCategory => ApiError::new("UNKNOWN_CATEGORY", "no such category"),
            CatalogError::Invalid(invalid_value) => invalid(invalid_value),
            CatalogError::Internal(inner) => ApiError::failure(&inner),
        }
    }
}
