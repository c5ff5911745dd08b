//! The inventory boundary: what the GraphQL layer and the orders service call.

use async_trait::async_trait;
use souk_tenants::TenantId;

use crate::domain::{
    AdjustError, Adjustment, CreateError, InternalError, LedgerEntry, NewStockItem, OrderId,
    Reservation, ReservationRequest, ReserveError, Scope, SettleError, Sku, StockItem, Threshold,
    UpdateError,
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

    /// The items among `skus` that exist, in SKU order.
    async fn items_by_sku(
        &self,
        tenant: TenantId,
        skus: &[Sku],
    ) -> Result<Vec<StockItem>, InternalError>;

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
