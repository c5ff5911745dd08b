//! Stock locations on PostgreSQL: the vendor's locations, stock per location,
//! transfers and the allocation strategy. Every change that touches a SKU's stock
//! at a location first locks the SKU's stock row, as reservations and
//! settlements do.

use async_trait::async_trait;
use serde_json::json;
use souk_tenants::audit::Entry;
use souk_tenants::fault::retry_once;
use souk_tenants::{IntErr, TenantId, TenantTx};
use tracing::instrument;

use crate::domain::{
    Adjustment, Allocation, InternalError, LedgerEntry, LocationChange, LocationError, LocationId,
    NewLocation, OrderId, Scope, Sku, StockLevel, StockLocation, Strategy, Threshold, Transfer,
    MAX_LOCATIONS,
};
use crate::store::ledger;
use crate::store::locations;
use crate::store::placement;
use crate::PgInventory;

use super::boundary::StockLocations;
use super::moves::{self, audited, level_at, levels_in};

impl PgInventory {
    /// Runs `write` in a transaction of the scope's tenant, committed when it
    /// succeeds.
    async fn write<T, E: From<InternalError>>(
        &self,
        scope: &Scope,
        write: impl AsyncFnOnce(&mut TenantTx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut tx = self.begin(scope.tenant).await?;
        let value = write(&mut tx).await?;
        tx.commit().await.int_err()?;
        Ok(value)
    }
}

#[async_trait]
impl StockLocations for PgInventory {
    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn locations(
        &self,
        tenant: TenantId,
        include_inactive: bool,
    ) -> Result<Vec<StockLocation>, InternalError> {
        retry_once(|| {
            self.read(tenant, async |tx| {
                locations::list(tx, include_inactive).await
            })
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant))]
    async fn create_location(
        &self,
        scope: &Scope,
        location: NewLocation,
    ) -> Result<StockLocation, LocationError> {
        self.write(scope, async |tx| {
            if locations::lock_all(tx).await.int_err()? >= MAX_LOCATIONS {
                return Err(LocationError::TooMany);
            }
            let created = locations::insert(tx, &location)
                .await
                .int_err()?
                .ok_or_else(|| LocationError::CodeTaken(location.code.as_str().to_string()))?;
            let entry = Entry::new(
                "stock_location.create",
                "stock_location",
                created.id.to_string(),
            )
            .details(json!({ "code": created.code, "name": created.name, "ships": created.ships }));
            audited(tx, scope, entry).await?;
            Ok(created)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, location = %id))]
    async fn update_location(
        &self,
        scope: &Scope,
        id: LocationId,
        change: LocationChange,
    ) -> Result<StockLocation, LocationError> {
        self.write(scope, async |tx| {
            // Stock rows before the location's, the order stock movements take.
            if change.ships.is_some() {
                locations::lock_skus_at(tx, id).await.int_err()?;
            }
            let current = locations::get_locked(tx, id)
                .await
                .int_err()?
                .ok_or(LocationError::NotFound(id))?;
            if current.is_default && change.ships == Some(false) {
                return Err(LocationError::DefaultLocation);
            }
            // Starting or stopping shipping moves the location's stock in or out
            // of what customers can buy; a location with holds keeps shipping.
            let toggles = change.ships.is_some_and(|ships| ships != current.ships);
            if toggles {
                let (on_hand, reserved) = locations::holdings(tx, id).await.int_err()?;
                if change.ships == Some(false) && reserved > 0 {
                    return Err(LocationError::InUse {
                        location: id,
                        on_hand,
                        reserved,
                    });
                }
            }
            let updated = locations::update(tx, id, &change)
                .await
                .int_err()?
                .ok_or(LocationError::NotFound(id))?;
            if toggles {
                locations::refresh_unsellable(tx, id).await.int_err()?;
            }
            let entry = Entry::new("stock_location.update", "stock_location", id.to_string())
                .details(json!({ "name": updated.name, "address": updated.address, "ships": updated.ships }));
            audited(tx, scope, entry).await?;
            Ok(updated)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant))]
    async fn reorder_locations(
        &self,
        scope: &Scope,
        order: &[LocationId],
    ) -> Result<Vec<StockLocation>, LocationError> {
        self.write(scope, async |tx| {
            locations::lock_all(tx).await.int_err()?;
            let mut listed: Vec<LocationId> = locations::list(tx, false)
                .await
                .int_err()?
                .into_iter()
                .map(|location| location.id)
                .collect();
            let mut asked = order.to_vec();
            listed.sort();
            asked.sort();
            if listed != asked {
                return Err(LocationError::BadOrder);
            }
            locations::set_priorities(tx, order).await.int_err()?;
            let ids: Vec<String> = order.iter().map(ToString::to_string).collect();
            let entry = Entry::new("stock_location.reorder", "stock_location", "all")
                .details(json!({ "order": ids }));
            audited(tx, scope, entry).await?;
            locations::list(tx, false)
                .await
                .int_err()
                .map_err(Into::into)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, location = %id))]
    async fn deactivate_location(
        &self,
        scope: &Scope,
        id: LocationId,
    ) -> Result<StockLocation, LocationError> {
        self.write(scope, async |tx| {
            locations::lock_all(tx).await.int_err()?;
            let current = locations::get_locked(tx, id)
                .await
                .int_err()?
                .ok_or(LocationError::NotFound(id))?;
            if current.is_default {
                return Err(LocationError::DefaultLocation);
            }
            if !current.active {
                return Ok(current);
            }
            let (on_hand, reserved) = locations::holdings(tx, id).await.int_err()?;
            if on_hand > 0 || reserved > 0 {
                return Err(LocationError::InUse {
                    location: id,
                    on_hand,
                    reserved,
                });
            }
            let deactivated = locations::deactivate(tx, id)
                .await
                .int_err()?
                .ok_or(LocationError::NotFound(id))?;
            let entry = Entry::new(
                "stock_location.deactivate",
                "stock_location",
                id.to_string(),
            );
            audited(tx, scope, entry).await?;
            Ok(deactivated)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant))]
    async fn strategy(&self, tenant: TenantId) -> Result<Strategy, InternalError> {
        retry_once(|| self.read(tenant, async |tx| locations::strategy(tx).await)).await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant))]
    async fn set_strategy(
        &self,
        scope: &Scope,
        strategy: Strategy,
    ) -> Result<Strategy, InternalError> {
        self.write(scope, async |tx| {
            locations::set_strategy(tx, strategy).await.int_err()?;
            let entry = Entry::new("stock_location.strategy", "stock_location", "all")
                .details(json!({ "strategy": strategy.as_str() }));
            audited(tx, scope, entry).await?;
            Ok(strategy)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant, sku = %sku))]
    async fn levels(&self, tenant: TenantId, sku: &Sku) -> Result<Vec<StockLevel>, InternalError> {
        retry_once(|| async {
            let mut tx = self.begin(tenant).await?;
            let levels = levels_in(&mut tx, sku).await?;
            tx.commit().await.int_err()?;
            Ok(levels)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %adjustment.sku))]
    async fn adjust_at(
        &self,
        scope: &Scope,
        adjustment: Adjustment,
        location: LocationId,
    ) -> Result<StockLevel, LocationError> {
        self.write(scope, async |tx| {
            moves::adjust_at(tx, scope, adjustment, location).await
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %transfer.sku))]
    async fn transfer(
        &self,
        scope: &Scope,
        transfer: Transfer,
    ) -> Result<(StockLevel, StockLevel), LocationError> {
        if transfer.from == transfer.to {
            return Err(LocationError::SameLocation);
        }
        self.write(scope, async |tx| {
            moves::transfer(tx, scope, &transfer).await
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, sku = %sku))]
    async fn set_location_threshold(
        &self,
        scope: &Scope,
        sku: &Sku,
        location: LocationId,
        threshold: Option<Threshold>,
    ) -> Result<StockLevel, LocationError> {
        self.write(scope, async |tx| {
            if !placement::lock_sku(tx, sku).await.int_err()? {
                return Err(LocationError::UnknownSku(sku.clone()));
            }
            let at = locations::get(tx, location)
                .await
                .int_err()?
                .ok_or(LocationError::NotFound(location))?;
            placement::set_threshold(tx, sku, location, threshold.map(Threshold::get))
                .await
                .int_err()?;
            let entry = Entry::new("stock.set_location_threshold", "sku", sku.as_str()).details(
                json!({ "location": at.code, "reorderThreshold": threshold.map(Threshold::get) }),
            );
            audited(tx, scope, entry).await?;
            level_at(tx, sku, location).await
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %tenant, sku = %sku))]
    async fn history_at(
        &self,
        tenant: TenantId,
        sku: &Sku,
        location: LocationId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, LocationError> {
        let mut tx = self.begin(tenant).await?;
        let at = locations::get(&mut tx, location)
            .await
            .int_err()?
            .ok_or(LocationError::NotFound(location))?;
        let entries = ledger::history(&mut tx, sku, before, limit, Some((at.id, at.is_default)))
            .await
            .int_err()?;
        tx.commit().await.int_err()?;
        Ok(entries)
    }

    #[instrument(skip_all, fields(tenant_id = %tenant, order_id = %order_id))]
    async fn allocations(
        &self,
        tenant: TenantId,
        order_id: &OrderId,
    ) -> Result<Vec<Allocation>, InternalError> {
        retry_once(|| async {
            let mut tx = self.begin(tenant).await?;
            let default = locations::default_location(&mut tx).await.int_err()?;
            let found = placement::allocations(&mut tx, order_id, default)
                .await
                .int_err()?;
            tx.commit().await.int_err()?;
            Ok(found)
        })
        .await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, order_id = %order_id))]
    async fn ship_from(
        &self,
        scope: &Scope,
        order_id: &OrderId,
        location: LocationId,
    ) -> Result<(), LocationError> {
        self.write(scope, async |tx| {
            moves::ship_from(tx, scope, order_id, location).await
        })
        .await
    }
}
