//! GraphQL shapes more than one service answers with.

use async_graphql::{Name, SimpleObject, Value};

/// An amount of money as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
#[graphql(name = "Money")]
pub struct MoneyView {
    /// Integer minor units (cents for EUR).
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
}

impl MoneyView {
    pub fn new(amount: i64, currency: impl Into<String>) -> Self {
        Self {
            amount,
            currency: currency.into(),
        }
    }
}

/// A line that could not be had as error details: `{ sku, requested, available }`.
pub fn shortage_value(sku: &str, requested: i64, available: i64) -> Value {
    let mut map = async_graphql::indexmap::IndexMap::new();
    map.insert(Name::new("sku"), Value::from(sku.to_string()));
    map.insert(Name::new("requested"), Value::from(requested));
    map.insert(Name::new("available"), Value::from(available));
    Value::Object(map)
}
