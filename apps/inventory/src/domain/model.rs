//! What inventory stores and what its operations take.

use chrono::{DateTime, Utc};

use super::values::{OrderId, Quantity, Reason, Reference, Sku, StockDelta, Threshold, Ttl};

/// One SKU's stock in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockItem {
    pub sku: Sku,
    pub on_hand: i64,
    pub reserved: i64,
    pub reorder_threshold: i64,
    /// Available stock at locations that do not ship to customers.
    pub unsellable: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StockItem {
    /// What is on hand and not held.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    /// What customers can still buy: the available stock at the locations that
    /// ship to them.
    pub fn sellable(&self) -> i64 {
        self.available() - self.unsellable
    }

    /// Available stock at or below the reorder threshold.
    pub fn is_low(&self) -> bool {
        self.available() <= self.reorder_threshold
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStockItem {
    pub sku: Sku,
    pub on_hand: Threshold,
    pub reorder_threshold: Threshold,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub sku: Sku,
    pub delta: StockDelta,
    pub reason: Reason,
    pub reference: Option<Reference>,
}

/// What a stock change was, as kept in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerKind {
    Created,
    Adjusted,
    ThresholdChanged,
    Reserved,
    Confirmed,
    Released,
    Committed,
    Expired,
    /// Stock moved between two locations (a row at each).
    Transferred,
    /// A held quantity moved to another location within its order.
    Reallocated,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Created => "created",
            LedgerKind::Adjusted => "adjusted",
            LedgerKind::ThresholdChanged => "threshold_changed",
            LedgerKind::Reserved => "reserved",
            LedgerKind::Confirmed => "confirmed",
            LedgerKind::Released => "released",
            LedgerKind::Committed => "committed",
            LedgerKind::Expired => "expired",
            LedgerKind::Transferred => "transferred",
            LedgerKind::Reallocated => "reallocated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "created" => LedgerKind::Created,
            "adjusted" => LedgerKind::Adjusted,
            "threshold_changed" => LedgerKind::ThresholdChanged,
            "reserved" => LedgerKind::Reserved,
            "confirmed" => LedgerKind::Confirmed,
            "released" => LedgerKind::Released,
            "committed" => LedgerKind::Committed,
            "expired" => LedgerKind::Expired,
            "transferred" => LedgerKind::Transferred,
            "reallocated" => LedgerKind::Reallocated,
            _ => return None,
        })
    }
}

/// One row of a SKU's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub sku: Sku,
    pub kind: LedgerKind,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub actor: String,
    /// The location whose stock changed; `None`: the default location.
    pub location: Option<super::LocationId>,
    pub at: DateTime<Utc>,
}

/// Where a reservation is. `Active` is an unconfirmed hold that expires at its
/// `expires_at`; `Confirmed` (its order was paid) no longer expires. The other
/// states are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    Active,
    Confirmed,
    Released,
    Committed,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Active => "active",
            ReservationStatus::Confirmed => "confirmed",
            ReservationStatus::Released => "released",
            ReservationStatus::Committed => "committed",
            ReservationStatus::Expired => "expired",
        }
    }

    /// Whether the reservation still holds stock.
    pub fn holds_stock(self) -> bool {
        matches!(
            self,
            ReservationStatus::Active | ReservationStatus::Confirmed
        )
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "active" => ReservationStatus::Active,
            "confirmed" => ReservationStatus::Confirmed,
            "released" => ReservationStatus::Released,
            "committed" => ReservationStatus::Committed,
            "expired" => ReservationStatus::Expired,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReservationLine {
    pub sku: Sku,
    pub quantity: Quantity,
}

/// A request to hold stock for an order: all lines or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    pub order_id: OrderId,
    /// Sorted by SKU, one line per SKU (see [`ReservationRequest::new`]).
    lines: Vec<ReservationLine>,
    pub ttl: Ttl,
}

impl ReservationRequest {
    /// Builds a request. Lines are sorted by SKU, the fixed order in which stock rows
    /// are touched so that concurrent reservations cannot deadlock. A SKU listed twice
    /// is refused rather than guessed at.
    pub fn new(
        order_id: OrderId,
        mut lines: Vec<ReservationLine>,
        ttl: Ttl,
    ) -> Result<Self, super::InvalidValue> {
        if lines.is_empty() {
            return Err(super::InvalidValue(
                "a reservation needs at least one line".into(),
            ));
        }
        if lines.len() > super::MAX_RESERVATION_LINES {
            return Err(super::InvalidValue(format!(
                "a reservation has at most {} lines",
                super::MAX_RESERVATION_LINES
            )));
        }
        lines.sort();
        if let Some(pair) = lines.windows(2).find(|pair| pair[0].sku == pair[1].sku) {
            return Err(super::InvalidValue(format!(
                "SKU {} is listed more than once",
                pair[0].sku
            )));
        }
        Ok(Self {
            order_id,
            lines,
            ttl,
        })
    }

    pub fn lines(&self) -> &[ReservationLine] {
        &self.lines
    }
}

/// Stock held for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: OrderId,
    pub status: ReservationStatus,
    /// Sorted by SKU.
    pub lines: Vec<ReservationLine>,
    /// Who reserved it (`order:<checkout>` for a checkout's order).
    pub actor: String,
    /// When an unconfirmed hold gives its stock back; it no longer applies once
    /// the hold is confirmed.
    pub expires_at: DateTime<Utc>,
    /// When the hold was confirmed (its order paid), if it was.
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Reservation {
    /// Whether the hold belongs to a checkout's order, which alone settles it
    /// (through the order's state and payment).
    pub fn held_for_checkout(&self) -> bool {
        self.actor.starts_with("order:")
    }
}
