//! The inventory boundary: a trait the GraphQL layer and the orders service call,
//! and its PostgreSQL implementation.

use souk_tenants::IntErr;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use souk_tenants::audit::{self as audit_log, Entry};
use souk_tenants::fault::retry_once;
use souk_tenants::{PlatformPool, TenantId, TenantTx};
use sqlx::PgPool;
use tracing::instrument;

use crate::batcher::ReserveBatcher;
use crate::domain::{
    AdjustError, Adjustment, CreateError, InternalError, LedgerEntry, LedgerKind, NewStockItem,
    OrderId, Reservation, ReservationRequest, ReservationStatus, ReserveError, Scope, SettleError,
    Sku, StockItem, Threshold, UpdateError,
};
use crate::store::audit::{self, Discrepancy};
use crate::store::reservations::{BatchEntry, Reserved};
use crate::store::stock::Movement;
use crate::store::{self, ledger, reservations, stock};

mod boundary;
mod locations;
mod moves;
mod reallocation;
mod settlement;

pub use boundary::{Inventory, ItemsQuery, StockLocations};

use settlement::Settlement;

/// [`Inventory`] on PostgreSQL, connected as the app role (row-level security on),
/// and as the platform role for the one thing that spans tenants: finding the
/// reservations due to expire.
#[derive(Debug, Clone)]
pub struct PgInventory {
    pool: PgPool,
    platform: PlatformPool,
    batcher: Arc<ReserveBatcher>,
}

/// The actor recorded for expiries.
pub const EXPIRY_ACTOR: &str = "system:reservation-expiry";

impl PgInventory {
    pub fn new(pool: PgPool, platform: PlatformPool) -> Self {
        Self {
            batcher: Arc::new(ReserveBatcher::new(pool.clone())),
            pool,
            platform,
        }
    }

    /// Reconciles a tenant's stock rows with their ledger and reservations; empty
    /// when everything agrees. An operator check, and the invariant the tests and
    /// the benchmark assert after every run.
    pub async fn audit(&self, tenant: TenantId) -> Result<Vec<Discrepancy>, InternalError> {
        self.read(tenant, async |tx| audit::discrepancies(tx).await)
            .await
    }

    async fn begin(&self, tenant: TenantId) -> Result<TenantTx, InternalError> {
        TenantTx::begin(&self.pool, tenant).await.int_err()
    }

    /// Runs `read` in a transaction of `tenant`'s scope.
    async fn read<T>(
        &self,
        tenant: TenantId,
        read: impl AsyncFnOnce(&mut TenantTx) -> Result<T, sqlx::Error>,
    ) -> Result<T, InternalError> {
        let mut tx = self.begin(tenant).await?;
        let value = read(&mut tx).await.int_err()?;
        tx.commit().await.int_err()?;
        Ok(value)
    }
}

impl PgInventory {
    /// Runs `settlement` in a transaction of its own.
    async fn settle(
        &self,
        scope: &Scope,
        order_id: &OrderId,
        settlement: Settlement,
    ) -> Result<Reservation, SettleError> {
        let tx = self.begin(scope.tenant).await?;
        settlement::settle(tx, scope, order_id, settlement).await
    }
}

#[async_trait]
impl Inventory for PgInventory {
    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %item.sku))]
    async fn create_item(
        &self,
        scope: &Scope,
        item: NewStockItem,
    ) -> Result<StockItem, CreateError> {
        let mut tx = self.begin(scope.tenant).await?;
        let created = stock::insert(
            &mut tx,
            &item.sku,
            item.on_hand.get(),
            item.reorder_threshold.get(),
            &scope.actor,
        )
        .await
        .int_err()?;
        let Some(created) = created else {
            return Err(CreateError::DuplicateSku(item.sku));
        };
        let entry = Entry::new("stock.create", "sku", item.sku.as_str()).details(json!({
            "onHand": created.on_hand,
            "reorderThreshold": created.reorder_threshold,
        }));
        audit_log::record(&mut tx, Some(scope.tenant), entry)
            .await
            .int_err()?;
        tx.commit().await.int_err()?;
        Ok(created)
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %sku))]
    async fn set_reorder_threshold(
        &self,
        scope: &Scope,
        sku: &Sku,
        threshold: Threshold,
    ) -> Result<StockItem, UpdateError> {
        let mut tx = self.begin(scope.tenant).await?;
        let updated = stock::set_threshold(&mut tx, sku, threshold.get(), &scope.actor)
            .await
            .int_err()?
            .ok_or_else(|| UpdateError::UnknownSku(sku.clone()))?;
        let entry = Entry::new("stock.set_threshold", "sku", sku.as_str())
            .details(json!({ "reorderThreshold": threshold.get() }));
        audit_log::record(&mut tx, Some(scope.tenant), entry)
            .await
            .int_err()?;
        tx.commit().await.int_err()?;
        Ok(updated)
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %adjustment.sku))]
    async fn adjust(
        &self,
        scope: &Scope,
        adjustment: Adjustment,
    ) -> Result<StockItem, AdjustError> {
        let mut tx = self.begin(scope.tenant).await?;
        // The default location's stock is derived from the totals and the other
        // locations' rows: they hold still while the check reads them.
        if !store::placement::lock_sku(&mut tx, &adjustment.sku)
            .await
            .int_err()?
        {
            return Err(AdjustError::UnknownSku(adjustment.sku));
        }
        let movement = Movement {
            sku: &adjustment.sku,
            location: None,
            sells: true,
            kind: LedgerKind::Adjusted,
            on_hand_change: adjustment.delta.get(),
            reserved_change: 0,
            reason: Some(adjustment.reason.as_str()),
            reference: adjustment.reference.as_ref().map(|r| r.as_str()),
            actor: &scope.actor,
        };
        if let Some(item) = stock::apply(&mut tx, movement).await.int_err()? {
            let entry = Entry::new("stock.adjust", "sku", adjustment.sku.as_str()).details(json!({
                "delta": adjustment.delta.get(),
                "reason": adjustment.reason.as_str(),
                "reference": adjustment.reference.as_ref().map(|r| r.as_str()),
                "onHand": item.on_hand,
            }));
            audit_log::record(&mut tx, Some(scope.tenant), entry)
                .await
                .int_err()?;
            tx.commit().await.int_err()?;
            return Ok(item);
        }
        let current = stock::get(&mut tx, &adjustment.sku).await.int_err()?;
        tx.rollback().await.int_err()?;
        Err(match current {
            None => AdjustError::UnknownSku(adjustment.sku),
            Some(item) => AdjustError::OutOfRange {
                sku: adjustment.sku,
                on_hand: item.on_hand,
                reserved: item.reserved,
                delta: adjustment.delta.get(),
            },
        })
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, order_id = %request.order_id))]
    async fn reserve(
        &self,
        scope: &Scope,
        request: ReservationRequest,
    ) -> Result<Reservation, ReserveError> {
        let entry = BatchEntry {
            request: request.clone(),
            actor: scope.actor.clone(),
            audit: audit_log::current(),
        };
        // Idempotent by order id: a retry after a lost commit finds it made.
        let reserved = retry_once(|| self.batcher.reserve(scope.tenant, entry.clone()))
            .await
            .int_err()?;
        match reserved {
            Reserved::Created {
                expires_at,
                created_at,
            } => Ok(Reservation {
                order_id: request.order_id.clone(),
                status: ReservationStatus::Active,
                lines: request.lines().to_vec(),
                actor: scope.actor.clone(),
                expires_at,
                confirmed_at: None,
                created_at,
                updated_at: created_at,
            }),
            Reserved::Exists => {
                let existing = self.reservation(scope.tenant, &request.order_id).await?;
                match existing {
                    Some(existing) if existing.lines == request.lines() => Ok(existing),
                    _ => Err(ReserveError::Conflict(request.order_id.clone())),
                }
            }
            Reserved::Short(shortages) => Err(ReserveError::Insufficient(shortages)),
            Reserved::UnknownSku(sku) => Err(ReserveError::UnknownSku(sku)),
        }
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, order_id = %order_id))]
    async fn confirm(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError> {
        retry_once(|| self.settle(scope, order_id, Settlement::Confirm)).await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, order_id = %order_id))]
    async fn release(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError> {
        retry_once(|| self.settle(scope, order_id, Settlement::Release)).await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, order_id = %order_id))]
    async fn commit(&self, scope: &Scope, order_id: &OrderId) -> Result<Reservation, SettleError> {
        retry_once(|| self.settle(scope, order_id, Settlement::Commit)).await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn item(&self, tenant: TenantId, sku: &Sku) -> Result<Option<StockItem>, InternalError> {
        retry_once(|| self.read(tenant, async |tx| stock::get(tx, sku).await)).await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn items(
        &self,
        tenant: TenantId,
        query: ItemsQuery,
    ) -> Result<Vec<StockItem>, InternalError> {
        retry_once(|| {
            self.read(tenant, async |tx| {
                stock::list(tx, query.after.as_ref(), query.limit, query.low_stock_only).await
            })
        })
        .await
    }

    #[instrument(skip_all, fields(items = of.len()))]
    async fn sellable(
        &self,
        of: &[(TenantId, Sku)],
    ) -> Result<Vec<(TenantId, Sku, i64)>, InternalError> {
        if of.is_empty() {
            return Ok(Vec::new());
        }
        let tenants: Vec<uuid::Uuid> = of.iter().map(|(t, _)| t.as_uuid()).collect();
        let skus: Vec<&str> = of.iter().map(|(_, s)| s.as_str()).collect();
        retry_once(|| stock::sellable_across(&self.platform, &tenants, &skus))
            .await
            .int_err()
    }

    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn history(
        &self,
        tenant: TenantId,
        sku: &Sku,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, InternalError> {
        retry_once(|| {
            self.read(tenant, async |tx| {
                ledger::history(tx, sku, before, limit, None).await
            })
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn reservation(
        &self,
        tenant: TenantId,
        order_id: &OrderId,
    ) -> Result<Option<Reservation>, InternalError> {
        retry_once(|| self.read(tenant, async |tx| reservations::get(tx, order_id).await)).await
    }

    #[instrument(skip_all)]
    async fn expire_due(&self, max: i32) -> Result<usize, InternalError> {
        let due = reservations::due(&self.platform, max).await.int_err()?;
        let mut expired = 0;
        for (tenant, order_id) in due {
            let mut tx = self.begin(tenant).await?;
            reservations::lock_stock(&mut tx, &order_id)
                .await
                .int_err()?;
            let closed = settlement::expire_locked(&mut tx, &order_id).await?;
            tx.commit().await.int_err()?;
            if closed.is_some() {
                expired += 1;
            }
        }
        Ok(expired)
    }
}
