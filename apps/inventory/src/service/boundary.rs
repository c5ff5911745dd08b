//! The inventory boundary: what the GraphQL layer and the orders service call.

use async_trait::async_trait;
use souk_tenants::TenantId;

use crate::domain::{
    AdjustError, Adjustment, Allocation, CreateError, InternalError, LedgerEntry, LocationChange,
    LocationError, LocationId, NewLocation, NewStockItem, OrderId, Reservation, ReservationRequest,
    ReserveError, Scope, SettleError, Sku, StockItem, StockLevel, StockLocation, Strategy,
    Threshold, Transfer, UpdateError,
};

/// A page of a tenant's stock items, in SKU order.
#[derive(Debug, Clone, Default)]
pub struct ItemsQuery {
    pub after: Option<Sku>,
    pub limit: i64,
    pub low_stock_only: bool,
}

/// Everything inventory does. Each mutation is one transaction in the scope's
/// tenant, with its ledger rows.
#[async_trait]
pub trait Inventory: Send + Sync + 'static {
    async fn create_item(
        &self,
        scope: &Scope,
        item: NewStockItem,
    ) -> Result<StockItem, CreateError>;

    async fn set_reorder_threshold(
        &self,
        scope: &Scope,
        sku: &Sku,
        threshold: Threshold,
    ) -> Result<StockItem, UpdateError>;

    /// Adds to or removes from on-hand stock, with a reason kept in the ledger.
    /// On-hand stock may not drop below what is reserved.
    async fn adjust(&self, scope: &Scope, adjustment: Adjustment)
        -> Result<StockItem, AdjustError>;

    /// Holds stock for an order: every line or none. Idempotent by order id: a retry
    /// with the same lines returns the existing reservation, other lines are a
    /// conflict.
    async fn reserve(
        &self,
        scope: &Scope,
        request: ReservationRequest,
    ) -> Result<Reservation, ReserveError>;

    /// Confirms the hold of a paid order: from then on it no longer expires, and
    /// only commit or release ends it. Kept in the ledger (a `confirmed` row per
    /// line) and the outbox (`reservation.confirmed`). Idempotent by order id:
    /// confirming a confirmed reservation returns it as is. A hold that is
    /// overdue is expired instead ([`SettleError::Expired`]).
    async fn confirm(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError>;

    /// Gives the held stock back. Releasing a released reservation returns it as is.
    async fn release(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError>;

    /// The goods left (shipment): on-hand and reserved stock both drop. Committing a
    /// committed reservation returns it as is; an overdue unconfirmed hold cannot
    /// be committed ([`SettleError::Expired`]).
    async fn commit(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError>;

    async fn item(&self, tenant: TenantId, sku: &Sku) -> Result<Option<StockItem>, InternalError>;

    async fn items(
        &self,
        tenant: TenantId,
        query: ItemsQuery,
    ) -> Result<Vec<StockItem>, InternalError>;

    /// What customers can buy now ([`StockItem::sellable`]) of each of `of`
    /// that exists, whichever vendors they belong to: the storefront's
    /// availability, in one statement as the platform role, which may read
    /// these stock columns only.
    async fn sellable(
        &self,
        of: &[(TenantId, Sku)],
    ) -> Result<Vec<(TenantId, Sku, i64)>, InternalError>;

    /// A SKU's ledger, newest first, entries with ids below `before`.
    async fn history(
        &self,
        tenant: TenantId,
        sku: &Sku,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, InternalError>;

    async fn reservation(
        &self,
        tenant: TenantId,
        order_id: &OrderId,
    ) -> Result<Option<Reservation>, InternalError>;

    /// Expires up to `max` overdue reservations of any tenant, releasing their stock.
    /// Safe to run from several replicas at once: each reservation expires once.
    /// Returns how many this call expired.
    async fn expire_due(&self, max: i32) -> Result<usize, InternalError>;
}

impl std::fmt::Debug for dyn Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Inventory")
    }
}

/// Stock locations: where a vendor keeps stock, how much of a SKU each holds, and
/// moving it between them. Each mutation is one transaction in the scope's
/// tenant, with its ledger rows, audit entry and events.
#[async_trait]
pub trait StockLocations: Send + Sync + 'static {
    /// The tenant's locations in priority order (the default one always there).
    async fn locations(
        &self,
        tenant: TenantId,
        include_inactive: bool,
    ) -> Result<Vec<StockLocation>, InternalError>;

    /// Adds a location, last in priority.
    async fn create_location(
        &self,
        scope: &Scope,
        location: NewLocation,
    ) -> Result<StockLocation, LocationError>;

    async fn update_location(
        &self,
        scope: &Scope,
        id: LocationId,
        change: LocationChange,
    ) -> Result<StockLocation, LocationError>;

    /// Gives the active locations the priority order `order` lists.
    async fn reorder_locations(
        &self,
        scope: &Scope,
        order: &[LocationId],
    ) -> Result<Vec<StockLocation>, LocationError>;

    /// Takes a location out of use; refused while it holds stock or holds.
    async fn deactivate_location(
        &self,
        scope: &Scope,
        id: LocationId,
    ) -> Result<StockLocation, LocationError>;

    async fn strategy(&self, tenant: TenantId) -> Result<Strategy, InternalError>;

    async fn set_strategy(
        &self,
        scope: &Scope,
        strategy: Strategy,
    ) -> Result<Strategy, InternalError>;

    /// A SKU's stock at each location (empty when the SKU is unknown).
    async fn levels(&self, tenant: TenantId, sku: &Sku) -> Result<Vec<StockLevel>, InternalError>;

    /// Adjusts on-hand stock at one location.
    async fn adjust_at(
        &self,
        scope: &Scope,
        adjustment: Adjustment,
        location: LocationId,
    ) -> Result<StockLevel, LocationError>;

    /// Moves available stock from one location to another: the source's and the
    /// destination's levels after it.
    async fn transfer(
        &self,
        scope: &Scope,
        transfer: Transfer,
    ) -> Result<(StockLevel, StockLevel), LocationError>;

    /// Sets or clears a SKU's reorder threshold at one location.
    async fn set_location_threshold(
        &self,
        scope: &Scope,
        sku: &Sku,
        location: LocationId,
        threshold: Option<Threshold>,
    ) -> Result<StockLevel, LocationError>;

    /// One location's part of a SKU's ledger, newest first.
    async fn history_at(
        &self,
        tenant: TenantId,
        sku: &Sku,
        location: LocationId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, LocationError>;

    /// Where each line of an order's reservation is held.
    async fn allocations(
        &self,
        tenant: TenantId,
        order_id: &OrderId,
    ) -> Result<Vec<Allocation>, InternalError>;

    /// Moves every held quantity of an order that is not at `location` there, so
    /// the order can ship from it; refused when `location` is short. Nothing to do
    /// for a reservation that no longer holds stock.
    async fn ship_from(
        &self,
        scope: &Scope,
        order_id: &OrderId,
        location: LocationId,
    ) -> Result<(), LocationError>;
}

impl std::fmt::Debug for dyn StockLocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StockLocations")
    }
}
