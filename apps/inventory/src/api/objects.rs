//! GraphQL views of inventory's domain types.

use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};

use crate::domain::{
    LedgerEntry, LedgerKind, Reservation, ReservationLine, ReservationStatus, StockItem,
};

/// One SKU's stock. `available = onHand - reserved`, never negative.
#[derive(Debug)]
pub struct StockItemView(pub StockItem);

#[Object(name = "StockItem")]
impl StockItemView {
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    /// Units physically in stock.
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    /// Units held by active reservations.
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
    /// Units on hand and not held (`onHand - reserved`).
    async fn available(&self) -> i64 {
        self.0.available()
    }
    /// What customers can still buy: the available units at the locations that
    /// ship to them (a returns-only location's do not count). What the
    /// storefront offers and a reservation can take.
    async fn sellable(&self) -> i64 {
        self.0.sellable()
    }
    async fn reorder_threshold(&self) -> i64 {
        self.0.reorder_threshold
    }
    /// Whether available stock is at or below the reorder threshold.
    async fn low_stock(&self) -> bool {
        self.0.is_low()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "StockChangeKind")]
pub enum LedgerKindView {
    Created,
    Adjusted,
    ThresholdChanged,
    Reserved,
    /// The hold was confirmed (its order paid): no stock moves, the expiry goes.
    Confirmed,
    Released,
    Committed,
    Expired,
    /// Stock moved between two of the vendor's locations (a change at each).
    Transferred,
    /// A held quantity moved to the location that ships it.
    Reallocated,
}

impl From<LedgerKind> for LedgerKindView {
    fn from(kind: LedgerKind) -> Self {
        match kind {
            LedgerKind::Created => Self::Created,
            LedgerKind::Adjusted => Self::Adjusted,
            LedgerKind::ThresholdChanged => Self::ThresholdChanged,
            LedgerKind::Reserved => Self::Reserved,
            LedgerKind::Confirmed => Self::Confirmed,
            LedgerKind::Released => Self::Released,
            LedgerKind::Committed => Self::Committed,
            LedgerKind::Expired => Self::Expired,
            LedgerKind::Transferred => Self::Transferred,
            LedgerKind::Reallocated => Self::Reallocated,
        }
    }
}

/// One change to a SKU's stock, as kept in its ledger.
#[derive(Debug)]
pub struct LedgerEntryView(pub LedgerEntry);

#[Object(name = "StockChange")]
impl LedgerEntryView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    async fn kind(&self) -> LedgerKindView {
        self.0.kind.into()
    }
    async fn on_hand_change(&self) -> i64 {
        self.0.on_hand_change
    }
    async fn reserved_change(&self) -> i64 {
        self.0.reserved_change
    }
    /// On-hand stock after this change.
    async fn on_hand_after(&self) -> i64 {
        self.0.on_hand_after
    }
    /// Reserved stock after this change.
    async fn reserved_after(&self) -> i64 {
        self.0.reserved_after
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// An outside reference, or the order id for reservation changes.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// Who made the change.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The location whose stock changed; null: the default location.
    async fn location_id(&self) -> Option<ID> {
        self.0.location.map(|id| ID(id.to_string()))
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ReservationStatus")]
pub enum ReservationStatusView {
    /// Held, unconfirmed: gives its stock back at `expiresAt` unless confirmed.
    Active,
    /// Held for a paid order: no expiry; ends only by commit or release.
    Confirmed,
    Released,
    Committed,
    Expired,
}

impl From<ReservationStatus> for ReservationStatusView {
    fn from(status: ReservationStatus) -> Self {
        match status {
            ReservationStatus::Active => Self::Active,
            ReservationStatus::Confirmed => Self::Confirmed,
            ReservationStatus::Released => Self::Released,
            ReservationStatus::Committed => Self::Committed,
            ReservationStatus::Expired => Self::Expired,
        }
    }
}

#[derive(Debug)]
pub struct ReservationLineView(pub ReservationLine);

#[Object(name = "ReservationLine")]
impl ReservationLineView {
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity.get()
    }
}

/// Stock held for one order.
#[derive(Debug)]
pub struct ReservationView(pub Reservation);

#[Object(name = "Reservation")]
impl ReservationView {
    async fn order_id(&self) -> &str {
        self.0.order_id.as_str()
    }
    async fn status(&self) -> ReservationStatusView {
        self.0.status.into()
    }
    async fn lines(&self) -> Vec<ReservationLineView> {
        self.0
            .lines
            .iter()
            .cloned()
            .map(ReservationLineView)
            .collect()
    }
    /// When an unconfirmed hold gives its stock back (or gave it, once expired);
    /// null once the hold is confirmed, since a confirmed hold never expires.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at.is_none().then_some(self.0.expires_at)
    }
    /// When the hold was confirmed (its order paid), if it was.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
    /// Where each line is held: one allocation per line and location (a line
    /// no one location could fill is split).
    async fn allocations(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Vec<super::locations::AllocationView>> {
        let actor = super::resolvers::vendor(ctx)?;
        let found = super::locations::locations(ctx)?
            .allocations(actor.tenant, &self.0.order_id)
            .await
            .map_err(souk_edge::ApiError::from)?;
        Ok(found
            .into_iter()
            .map(super::locations::AllocationView)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
