//! Stock locations: where a vendor keeps stock, and how reservations choose among
//! them.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{bounded_text, InvalidValue, Quantity, Reason, Sku};

/// The most active locations a vendor may have.
pub const MAX_LOCATIONS: usize = 50;

/// A location's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationId(Uuid);

impl LocationId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| InvalidValue("not a location id".into()))
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for LocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A location's short code, unique per vendor whatever the case: 1–32 letters,
/// digits, `-` and `_`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationCode(String);

impl LocationCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        let valid = (1..=32).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !valid {
            return Err(InvalidValue(
                "a location code has 1 to 32 letters, digits, - and _, starting with a letter or digit"
                    .into(),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A location's name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationName(String);

impl LocationName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = bounded_text(raw, "a location name", 100)?;
        // Zero-width and other invisible characters alone make no name.
        let invisible = |c: char| {
            matches!(c, '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
        };
        if name.chars().all(|c| c.is_whitespace() || invisible(c)) {
            return Err(InvalidValue(
                "a location name needs a visible character".into(),
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A location's postal address, free text: 1–500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(String);

impl Address {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, "an address", 500).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A place that holds stock. The default location always ships and stays active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLocation {
    pub id: LocationId,
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    /// Lower first, in allocation by priority.
    pub priority: i32,
    /// Whether reservations may take stock from it (a returns-only or inbound
    /// location does not ship).
    pub ships: bool,
    pub active: bool,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocation {
    pub code: LocationCode,
    pub name: LocationName,
    pub address: Option<Address>,
    pub ships: bool,
}

/// What an update changes; `None` keeps the field. `address: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationChange {
    pub name: Option<LocationName>,
    pub address: Option<Option<Address>>,
    pub ships: Option<bool>,
}

/// How a reservation chooses its locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Locations in their priority order.
    #[default]
    PrioritizeOrder,
    /// The location with the most available first.
    PrioritizeHighStock,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::PrioritizeOrder => "prioritize_order",
            Strategy::PrioritizeHighStock => "prioritize_high_stock",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "prioritize_order" => Some(Strategy::PrioritizeOrder),
            "prioritize_high_stock" => Some(Strategy::PrioritizeHighStock),
            _ => None,
        }
    }
}

/// One SKU's stock at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub sku: Sku,
    pub location: StockLocation,
    pub on_hand: i64,
    pub reserved: i64,
    /// The location's own reorder threshold for the SKU, if one is set.
    pub reorder_threshold: Option<i64>,
}

impl StockLevel {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    /// At or below the location's own threshold (never, without one).
    pub fn is_low(&self) -> bool {
        self.reorder_threshold
            .is_some_and(|threshold| self.available() <= threshold)
    }
}

/// Where a part of a reservation line is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub sku: Sku,
    pub location: LocationId,
    pub quantity: i64,
}

/// Moving stock between two locations of one vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub sku: Sku,
    pub from: LocationId,
    pub to: LocationId,
    pub quantity: Quantity,
    pub reason: Reason,
}

/// What went wrong with a location operation.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("no stock location {0}")]
    NotFound(LocationId),
    #[error("a location with code {0} exists")]
    CodeTaken(String),
    #[error("the default location always ships and cannot be deactivated")]
    DefaultLocation,
    #[error("location {location} still holds {on_hand} on hand and {reserved} reserved")]
    InUse {
        location: LocationId,
        on_hand: i64,
        reserved: i64,
    },
    #[error("location {0} is inactive")]
    Inactive(LocationId),
    #[error("location {0} does not ship to customers")]
    NotShipping(LocationId),
    #[error("a vendor has at most {MAX_LOCATIONS} active locations")]
    TooMany,
    #[error("the new order must list each active location once")]
    BadOrder,
    #[error("no stock item with SKU {0}")]
    UnknownSku(Sku),
    /// The source location has less available than asked.
    #[error("SKU {sku}: {available} available at the source, {requested} asked")]
    Short {
        sku: Sku,
        requested: i64,
        available: i64,
    },
    /// The change would take the location's on-hand stock below what it holds
    /// reserved, below zero, or above the most a SKU may hold.
    #[error("SKU {sku}: on hand {on_hand} with {reserved} reserved at the location cannot change by {delta}")]
    OutOfRange {
        sku: Sku,
        on_hand: i64,
        reserved: i64,
        delta: i64,
    },
    #[error("a transfer needs two different locations")]
    SameLocation,
    #[error(transparent)]
    Internal(#[from] super::InternalError),
}
