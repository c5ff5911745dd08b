//! Domain errors as the client sees them.

use async_graphql::Value;
use souk_edge::ApiError;

use crate::domain::{
    AdjustError, CreateError, InvalidValue, LocationError, ReserveError, SettleError, UpdateError,
};

pub(crate) fn invalid_sku(err: InvalidValue) -> ApiError {
    ApiError::new("INVALID_SKU", err.0)
}

pub(crate) fn invalid_quantity(argument: &'static str) -> impl Fn(InvalidValue) -> ApiError {
    move |err| {
        ApiError::new("INVALID_QUANTITY", format!("{argument}: {}", err.0))
            .with("argument", argument)
    }
}

pub(crate) fn invalid_argument(argument: &'static str) -> impl Fn(InvalidValue) -> ApiError {
    move |err| ApiError::invalid_argument(argument, err.0)
}

fn unknown_sku(sku: &crate::domain::Sku) -> ApiError {
    ApiError::new("UNKNOWN_SKU", format!("no stock item with SKU {sku}"))
        .with("sku", sku.as_str().to_string())
}

impl From<CreateError> for ApiError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::DuplicateSku(ref sku) => ApiError::new("DUPLICATE_SKU", err.to_string())
                .with("sku", sku.as_str().to_string()),
            CreateError::Internal(err) => ApiError::from(err),
        }
    }
}

impl From<UpdateError> for ApiError {
    fn from(err: UpdateError) -> Self {
        match err {
            UpdateError::UnknownSku(sku) => unknown_sku(&sku),
            UpdateError::Internal(err) => ApiError::from(err),
        }
    }
}

impl From<AdjustError> for ApiError {
    fn from(err: AdjustError) -> Self {
        match err {
            AdjustError::UnknownSku(sku) => unknown_sku(&sku),
            AdjustError::OutOfRange {
                ref sku,
                on_hand,
                reserved,
                delta,
            } => {
                let code = if delta < 0 {
                    "INSUFFICIENT_STOCK"
                } else {
                    "INVALID_QUANTITY"
                };
                ApiError::new(code, err.to_string())
                    .with("sku", sku.as_str().to_string())
                    .with("onHand", on_hand)
                    .with("reserved", reserved)
                    .with("requested", delta)
                    .with("available", on_hand - reserved)
            }
            AdjustError::Internal(err) => ApiError::from(err),
        }
    }
}

impl From<ReserveError> for ApiError {
    fn from(err: ReserveError) -> Self {
        match err {
            ReserveError::UnknownSku(sku) => unknown_sku(&sku),
            ReserveError::Insufficient(ref shortages) => {
                let mut error = ApiError::new("INSUFFICIENT_STOCK", err.to_string());
                if let Some(first) = shortages.first() {
                    error = error
                        .with("sku", first.sku.as_str().to_string())
                        .with("requested", first.requested)
                        .with("available", first.available);
                }
                error.with(
                    "shortages",
                    Value::List(
                        shortages
                            .iter()
                            .map(|s| {
                                souk_edge::shortage_value(s.sku.as_str(), s.requested, s.available)
                            })
                            .collect(),
                    ),
                )
            }
            ReserveError::Conflict(ref order_id) => {
                ApiError::new("RESERVATION_CONFLICT", err.to_string())
                    .with("orderId", order_id.as_str().to_string())
            }
            ReserveError::Internal(err) => ApiError::from(err),
        }
    }
}

impl From<SettleError> for ApiError {
    fn from(err: SettleError) -> Self {
        match err {
            SettleError::NotFound(_) => ApiError::new("NOT_FOUND", err.to_string()),
            SettleError::Expired(_) => {
                ApiError::new("RESERVATION_EXPIRED", err.to_string()).with("status", "EXPIRED")
            }
            SettleError::Closed(ref closed) => {
                ApiError::new("RESERVATION_CONFLICT", err.to_string())
                    .with("status", closed.status.as_str().to_uppercase())
            }
            SettleError::Internal(err) => ApiError::from(err),
        }
    }
}

impl From<LocationError> for ApiError {
    fn from(err: LocationError) -> Self {
        let message = err.to_string();
        match err {
            LocationError::NotFound(id) => {
                ApiError::new("LOCATION_NOT_FOUND", message).with("locationId", id.to_string())
            }
            LocationError::CodeTaken(code) => {
                ApiError::new("LOCATION_CODE_TAKEN", message).with("locationCode", code)
            }
            LocationError::DefaultLocation => ApiError::new("DEFAULT_LOCATION", message),
            LocationError::InUse {
                location,
                on_hand,
                reserved,
            } => ApiError::new("LOCATION_IN_USE", message)
                .with("locationId", location.to_string())
                .with("onHand", on_hand)
                .with("reserved", reserved),
            LocationError::Inactive(id) => {
                ApiError::new("LOCATION_INACTIVE", message).with("locationId", id.to_string())
            }
            LocationError::NotShipping(id) => {
                ApiError::new("LOCATION_NOT_SHIPPING", message).with("locationId", id.to_string())
            }
            LocationError::TooMany => ApiError::new("LOCATION_LIMIT", message),
            LocationError::BadOrder => ApiError::invalid_argument("ids", message),
            LocationError::SameLocation => ApiError::invalid_argument("to", message),
            LocationError::UnknownSku(sku) => {
                ApiError::new("UNKNOWN_SKU", message).with("sku", sku.as_str().to_string())
            }
            LocationError::Short {
                sku,
                requested,
                available,
            } => ApiError::new("INSUFFICIENT_STOCK", message)
                .with("sku", sku.as_str().to_string())
                .with("requested", requested)
                .with("available", available),
            LocationError::OutOfRange {
                sku,
                on_hand,
                reserved,
                delta,
            } => ApiError::new(
                if delta < 0 {
                    "INSUFFICIENT_STOCK"
                } else {
                    "INVALID_QUANTITY"
                },
                message,
            )
            .with("sku", sku.as_str().to_string())
            .with("onHand", on_hand)
            .with("reserved", reserved)
            .with("requested", delta)
            .with("available", on_hand - reserved),
            LocationError::Internal(err) => ApiError::from(err),
        }
    }
}
