//! Postal addresses.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{text_field, InvalidValue, Phone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressId(pub Uuid);

impl AddressId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| InvalidValue("not an address id".into()))
    }
}

/// A validated address, as given by its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressInput {
    pub label: Option<String>,
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub phone: Option<String>,
}

/// The raw fields of an address, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawAddress<'a> {
    pub label: Option<&'a str>,
    pub recipient: &'a str,
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub region: Option<&'a str>,
    pub postal_code: &'a str,
    pub country: &'a str,
    pub phone: Option<&'a str>,
}

fn optional(raw: Option<&str>, what: &str, max: usize) -> Result<Option<String>, InvalidValue> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text_field(text, what, max).map(Some),
    }
}

impl AddressInput {
    pub fn parse(raw: RawAddress<'_>) -> Result<Self, InvalidValue> {
        let country = raw.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(InvalidValue(
                "country: an ISO 3166-1 alpha-2 code such as DE or US".into(),
            ));
        }
        Ok(Self {
            label: optional(raw.label, "label", 50)?,
            recipient: text_field(raw.recipient, "recipient", 200)?,
            line1: text_field(raw.line1, "line1", 200)?,
            line2: optional(raw.line2, "line2", 200)?,
            city: text_field(raw.city, "city", 100)?,
            region: optional(raw.region, "region", 100)?,
            postal_code: text_field(raw.postal_code, "postalCode", 20)?,
            country,
            phone: raw
                .phone
                .filter(|p| !p.trim().is_empty())
                .map(|p| Phone::parse(p).map(Phone::into_inner))
                .transpose()?,
        })
    }
}

/// A stored address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub id: AddressId,
    pub fields: AddressInput,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
