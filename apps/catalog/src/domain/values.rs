//! Values parsed once, at the edge.

use std::fmt;

use bson::oid::ObjectId;

/// The most variants one product may have.
pub const MAX_VARIANTS: usize = 100;
/// The largest price, in minor units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A value that failed its parser: the argument and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl InvalidValue {
    pub fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An amount of money: positive integer minor units of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    amount: i64,
    currency: String,
}

impl Money {
    pub fn parse(field: &str, amount: i64, currency: &str) -> Result<Self, InvalidValue> {
        let currency = currency.trim().to_ascii_uppercase();
        if iso_currency::Currency::from_code(&currency).is_none() {
            return Err(InvalidValue::new(
                "INVALID_CURRENCY",
                format!("{field}.currency"),
                format!("{currency:?} is not an ISO 4217 currency code"),
            ));
        }
        if !(1..=MAX_AMOUNT).contains(&amount) {
            return Err(InvalidValue::new(
                "INVALID_PRICE",
                format!("{field}.amount"),
                format!("a price is 1 to {MAX_AMOUNT} minor units, got {amount}"),
            ));
        }
        Ok(Self { amount, currency })
    }

    pub fn amount(&self) -> i64 {
        self.amount
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// This amount `n` times over (a line's total); `None` when `n` is not
    /// positive or the product overflows.
    pub fn checked_times(&self, n: i64) -> Option<Money> {
        let amount = self.amount.checked_mul(n).filter(|a| *a > 0)?;
        Some(Self {
            amount,
            currency: self.currency.clone(),
        })
    }

    /// The sum of two amounts of one currency; `None` when the currencies
    /// differ or the sum overflows.
    pub fn checked_plus(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Self {
            amount: self.amount.checked_add(other.amount)?,
            currency: self.currency.clone(),
        })
    }

    /// Money read back from the store, which only holds parsed values.
    pub(crate) fn from_stored(amount: i64, currency: String) -> Self {
        Self { amount, currency }
    }
}

/// A MongoDB id in its 24-hex-digit text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(pub ObjectId);

impl ObjectKey {
    pub fn parse(field: &str, raw: &str) -> Result<Self, InvalidValue> {
        ObjectId::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| InvalidValue::new("INVALID_ID", field, "not an id"))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.to_hex().fmt(f)
    }
}

/// Trimmed text of 1 to `max` characters without control characters (line
/// breaks allowed where `multiline`).
pub(crate) fn text(
    field: &str,
    raw: &str,
    max: usize,
    multiline: bool,
) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            field,
            "may not be empty",
        ));
    }
    if value.chars().count() > max {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            field,
            format!("has at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            field,
            "may not contain control characters",
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn positive_bounded_amounts_are_money(amount in any::<i64>()) {
            prop_assert_eq!(Money::parse("price", amount, "eur").is_ok(), (1..=MAX_AMOUNT).contains(&amount));
        }
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(
            Money::parse("price", 100, " usd ").map(|m| m.currency().to_string()),
            Ok("USD".into())
        );
        assert_eq!(
            Money::parse("price", 100, "XYZ").map_err(|e| e.code),
            Err("INVALID_CURRENCY")
        );
        assert_eq!(
            Money::parse("price", 0, "EUR").map_err(|e| e.code),
            Err("INVALID_PRICE")
        );
    }

    #[test]
    fn ids() {
        assert!(ObjectKey::parse("id", "64b7f0c2a1b2c3d4e5f60718").is_ok());
        assert!(ObjectKey::parse("id", "nope").is_err());
        assert!(ObjectKey::parse("id", "{\"$ne\": null}").is_err());
    }
}
