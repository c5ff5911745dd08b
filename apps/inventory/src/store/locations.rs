//! Stock locations, a SKU's stock per location, allocations and the vendor's
//! allocation strategy. The default location's stock is derived from the totals
//! (see the migration `stock_locations`): no row here holds it.

use chrono::{DateTime, Utc};
use souk_tenants::TenantTx;
use uuid::Uuid;

use crate::domain::{LocationChange, LocationId, NewLocation, StockLocation, Strategy};

#[derive(Debug)]
struct LocationRow {
    id: Uuid,
    code: String,
    name: String,
    address: Option<String>,
    priority: i32,
    ships: bool,
    active: bool,
    is_default: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<LocationRow> for StockLocation {
    fn from(row: LocationRow) -> Self {
        StockLocation {
            id: LocationId::from_uuid(row.id),
            code: row.code,
            name: row.name,
            address: row.address,
            priority: row.priority,
            ships: row.ships,
            active: row.active,
            is_default: row.is_default,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The tenant's default location, made on first use.
pub async fn default_location(tx: &mut TenantTx) -> Result<LocationId, sqlx::Error> {
    let id = sqlx::query_scalar!(
        r#"SELECT inventory.default_location($1) AS "id!""#,
        tx.tenant().as_uuid(),
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(LocationId::from_uuid(id))
}

/// Every location of the tenant (the default one made if missing), in priority
/// order; the inactive ones only with `include_inactive`.
pub async fn list(
    tx: &mut TenantTx,
    include_inactive: bool,
) -> Result<Vec<StockLocation>, sqlx::Error> {
    default_location(tx).await?;
    let rows = sqlx::query_as!(
        LocationRow,
        "SELECT id, code, name, address, priority, ships, active, is_default, created_at,
                updated_at
         FROM inventory.locations
         WHERE tenant_id = $1 AND (active OR $2)
         ORDER BY active DESC, priority, code",
        tx.tenant().as_uuid(),
        include_inactive,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(tx: &mut TenantTx, id: LocationId) -> Result<Option<StockLocation>, sqlx::Error> {
    let row = sqlx::query_as!(
        LocationRow,
        "SELECT id, code, name, address, priority, ships, active, is_default, created_at,
                updated_at
         FROM inventory.locations WHERE tenant_id = $1 AND id = $2",
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// The location `id`, locked against [`get_locked`] (deactivation, starting or
/// stopping shipping) until the transaction ends; renaming and reordering, which
/// take no such lock, go on.
pub async fn get_shared(
    tx: &mut TenantTx,
    id: LocationId,
) -> Result<Option<StockLocation>, sqlx::Error> {
    let row = sqlx::query_as!(
        LocationRow,
        "SELECT id, code, name, address, priority, ships, active, is_default, created_at,
                updated_at
         FROM inventory.locations WHERE tenant_id = $1 AND id = $2
         FOR KEY SHARE",
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// The location `id`, locked for a change of its own (deactivation, starting or
/// stopping shipping): it waits for the transfers and adjustments that hold it.
pub async fn get_locked(
    tx: &mut TenantTx,
    id: LocationId,
) -> Result<Option<StockLocation>, sqlx::Error> {
    let row = sqlx::query_as!(
        LocationRow,
        "SELECT id, code, name, address, priority, ships, active, is_default, created_at,
                updated_at
         FROM inventory.locations WHERE tenant_id = $1 AND id = $2
         FOR UPDATE",
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// Locks the stock rows of the SKUs a location holds, in SKU order.
pub async fn lock_skus_at(tx: &mut TenantTx, id: LocationId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"SELECT FROM inventory.stock_items s
           WHERE s.tenant_id = $1 AND s.sku IN (
               SELECT ls.sku FROM inventory.location_stock ls
               WHERE ls.tenant_id = $1 AND ls.location_id = $2)
           ORDER BY s.sku COLLATE "C"
           FOR NO KEY UPDATE"#,
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recomputes the unsellable stock of the SKUs a location holds, after it
/// started or stopped shipping; the caller holds their rows.
pub async fn refresh_unsellable(tx: &mut TenantTx, id: LocationId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT FROM inventory.refresh_unsellable($1, $2)",
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Serialises the tenant's changes to its set of locations (creating,
/// reordering, deactivating) with a transaction-scoped advisory lock, which no
/// stock movement takes; makes the default location if missing; then answers
/// how many active locations the tenant has, counted after the lock, so that of
/// two concurrent creators the second sees the first's location.
pub async fn lock_all(tx: &mut TenantTx) -> Result<usize, sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('inventory.locations:' || $1::text, 0))",
        tx.tenant().as_uuid().to_string(),
    )
    .execute(&mut **tx)
    .await?;
    default_location(tx).await?;
    let active = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM inventory.locations WHERE tenant_id = $1 AND active"#,
        tx.tenant().as_uuid(),
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(usize::try_from(active).unwrap_or(usize::MAX))
}

/// Adds a location after the others in priority; `None` when its code is taken.
pub async fn insert(
    tx: &mut TenantTx,
    location: &NewLocation,
) -> Result<Option<StockLocation>, sqlx::Error> {
    let row = sqlx::query_as!(
        LocationRow,
        "INSERT INTO inventory.locations (tenant_id, code, name, address, priority, ships)
         SELECT $1, $2, $3, $4, coalesce(max(priority) + 1, 0), $5
         FROM inventory.locations WHERE tenant_id = $1
         ON CONFLICT DO NOTHING
         RETURNING id, code, name, address, priority, ships, active, is_default, created_at,
                   updated_at",
        tx.tenant().as_uuid(),
        location.code.as_str(),
        location.name.as_str(),
        location.address.as_ref().map(|a| a.as_str()),
        location.ships,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// Applies `change`; `None` when there is no such location.
pub async fn update(
    tx: &mut TenantTx,
    id: LocationId,
    change: &LocationChange,
) -> Result<Option<StockLocation>, sqlx::Error> {
    let address = change
        .address
        .as_ref()
        .map(|a| a.as_ref().map(|a| a.as_str()));
    let row = sqlx::query_as!(
        LocationRow,
        "UPDATE inventory.locations
         SET name = coalesce($3, name),
             address = CASE WHEN $4 THEN $5 ELSE address END,
             ships = coalesce($6, ships),
             updated_at = now()
         WHERE tenant_id = $1 AND id = $2
         RETURNING id, code, name, address, priority, ships, active, is_default, created_at,
                   updated_at",
        tx.tenant().as_uuid(),
        id.as_uuid(),
        change.name.as_ref().map(|n| n.as_str()),
        address.is_some(),
        address.flatten(),
        change.ships,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// Gives the locations `ids` the priorities 0, 1, 2… in that order.
pub async fn set_priorities(tx: &mut TenantTx, ids: &[LocationId]) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(|id| *id.as_uuid()).collect();
    sqlx::query!(
        "UPDATE inventory.locations l SET priority = o.position - 1, updated_at = now()
         FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, position)
         WHERE l.tenant_id = $1 AND l.id = o.id",
        tx.tenant().as_uuid(),
        &ids,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a location inactive and out of the priority order.
pub async fn deactivate(
    tx: &mut TenantTx,
    id: LocationId,
) -> Result<Option<StockLocation>, sqlx::Error> {
    let row = sqlx::query_as!(
        LocationRow,
        "UPDATE inventory.locations SET active = false, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND NOT is_default
         RETURNING id, code, name, address, priority, ships, active, is_default, created_at,
                   updated_at",
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// What a (non-default) location holds across SKUs: on hand, and reserved by
/// holds that are still live.
pub async fn holdings(tx: &mut TenantTx, id: LocationId) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT coalesce(sum(on_hand), 0)::bigint AS "on_hand!",
                  coalesce(sum(reserved), 0)::bigint AS "reserved!"
           FROM inventory.location_stock WHERE tenant_id = $1 AND location_id = $2"#,
        tx.tenant().as_uuid(),
        id.as_uuid(),
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.on_hand, row.reserved))
}

pub async fn strategy(tx: &mut TenantTx) -> Result<Strategy, sqlx::Error> {
    let stored = sqlx::query_scalar!(
        "SELECT strategy FROM inventory.allocation_settings WHERE tenant_id = $1",
        tx.tenant().as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(stored
        .as_deref()
        .and_then(Strategy::parse)
        .unwrap_or_default())
}

pub async fn set_strategy(tx: &mut TenantTx, strategy: Strategy) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO inventory.allocation_settings (tenant_id, strategy) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET strategy = EXCLUDED.strategy, updated_at = now()",
        tx.tenant().as_uuid(),
        strategy.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
