//! Newtypes that reject bad input once, at the edge.

use std::fmt;
use std::time::Duration;

/// The most units one SKU may hold, and the most one operation may move.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The most lines one reservation may have.
pub const MAX_RESERVATION_LINES: usize = 500;

/// A value that failed its parser: which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

fn invalid(message: impl Into<String>) -> InvalidValue {
    InvalidValue(message.into())
}

/// A stock keeping unit: 1–64 characters of letters, digits and `-_./`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(String);

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(invalid("a SKU may not be empty"));
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(invalid(format!(
                "a SKU has at most {} characters",
                Self::MAX_LEN
            )));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        {
            return Err(invalid(
                "a SKU may hold only letters, digits and the characters - _ . /",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SKU read back from the store, which only ever holds parsed ones.
    pub(crate) fn from_stored(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A positive number of units, at most [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    pub fn parse(raw: i64) -> Result<Self, InvalidValue> {
        if raw <= 0 {
            return Err(invalid(format!("a quantity must be positive, got {raw}")));
        }
        if raw > MAX_QUANTITY {
            return Err(invalid(format!(
                "a quantity is at most {MAX_QUANTITY}, got {raw}"
            )));
        }
        Ok(Self(raw))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// A quantity read back from the store, which only ever holds positive ones.
    pub(crate) fn from_stored(raw: i64) -> Self {
        Self(raw)
    }
}

/// A stock level or threshold: zero or more units, at most [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Threshold(i64);

impl Threshold {
    pub fn parse(raw: i64) -> Result<Self, InvalidValue> {
        if !(0..=MAX_QUANTITY).contains(&raw) {
            return Err(invalid(format!(
                "must be between 0 and {MAX_QUANTITY}, got {raw}"
            )));
        }
        Ok(Self(raw))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A change to on-hand stock: non-zero, at most [`MAX_QUANTITY`] either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    pub fn parse(raw: i64) -> Result<Self, InvalidValue> {
        if raw == 0 {
            return Err(invalid("an adjustment must change the stock; got 0"));
        }
        if raw.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
            return Err(invalid(format!(
                "an adjustment moves at most {MAX_QUANTITY} units, got {raw}"
            )));
        }
        Ok(Self(raw))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

pub(super) fn bounded_text(raw: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid(format!("{what} may not be empty")));
    }
    if raw.chars().count() > max {
        return Err(invalid(format!("{what} has at most {max} characters")));
    }
    if raw.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} may not contain control characters"
        )));
    }
    Ok(raw.to_string())
}

/// Why stock was adjusted (kept in the ledger): 1–500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, "a reason", 500).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An outside reference for an adjustment (a delivery note, a stock count): 1–200
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, "a reference", 200).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The order a reservation belongs to, and its idempotency key: 1–64 characters of
/// letters, digits and `-_.:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 64 {
            return Err(invalid("an order id has 1 to 64 characters"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(invalid(
                "an order id may hold only letters, digits and the characters - _ . :",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An order id read back from the store, which only ever holds parsed ones.
    pub(crate) fn from_stored(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a reservation holds stock: 1 second to 7 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(Duration);

impl Ttl {
    pub const DEFAULT: Ttl = Ttl(Duration::from_secs(15 * 60));
    const MAX_SECONDS: i64 = 7 * 24 * 3600;

    pub fn parse_seconds(raw: i64) -> Result<Self, InvalidValue> {
        if !(1..=Self::MAX_SECONDS).contains(&raw) {
            return Err(invalid(format!(
                "a reservation lasts 1 to {} seconds, got {raw}",
                Self::MAX_SECONDS
            )));
        }
        Ok(Self(Duration::from_secs(raw.unsigned_abs())))
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn valid_skus_round_trip(raw in "[A-Za-z0-9._/-]{1,64}") {
            let sku = Sku::parse(&raw).expect("valid");
            prop_assert_eq!(sku.as_str(), raw.as_str());
        }

        #[test]
        fn skus_with_other_characters_are_rejected(
            prefix in "[A-Za-z0-9]{0,10}",
            bad in "[^A-Za-z0-9._/\\-\\s]",
        ) {
            let raw = format!("{prefix}{bad}");
            prop_assert!(Sku::parse(&raw).is_err());
        }

        #[test]
        fn long_skus_are_rejected(raw in "[A-Z]{65,300}") {
            prop_assert!(Sku::parse(&raw).is_err());
        }

        #[test]
        fn quantities_are_positive_and_bounded(raw in any::<i64>()) {
            let parsed = Quantity::parse(raw);
            prop_assert_eq!(parsed.is_ok(), raw > 0 && raw <= MAX_QUANTITY);
        }

        #[test]
        fn deltas_are_non_zero_and_bounded(raw in any::<i64>()) {
            let parsed = StockDelta::parse(raw);
            prop_assert_eq!(parsed.is_ok(), raw != 0 && raw.abs() <= MAX_QUANTITY && raw != i64::MIN);
        }

        #[test]
        fn order_ids_are_bounded(raw in "[A-Za-z0-9:_.-]{65,100}") {
            prop_assert!(OrderId::parse(&raw).is_err());
        }
    }

    #[test]
    fn empty_and_huge_skus_are_rejected() {
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse("   ").is_err());
        assert!(Sku::parse(&"A".repeat(10 * 1024)).is_err());
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(
            Reason::parse("  recount ").map(|r| r.0),
            Ok("recount".into())
        );
        assert!(Reason::parse("").is_err());
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert!(Reason::parse("a\u{0}b").is_err());
    }

    #[test]
    fn ttl_bounds() {
        assert!(Ttl::parse_seconds(0).is_err());
        assert!(Ttl::parse_seconds(-5).is_err());
        assert!(Ttl::parse_seconds(7 * 24 * 3600 + 1).is_err());
        assert_eq!(
            Ttl::parse_seconds(60).map(Ttl::get),
            Ok(Duration::from_secs(60))
        );
    }
}
