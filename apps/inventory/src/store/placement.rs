//! A SKU's stock at each location, its allocations to reservation lines, and
//! the writes that move them. The default location's share is derived from the
//! totals (see the migration `stock_locations`): no row here holds it.

use souk_tenants::TenantTx;

use crate::domain::{Allocation, LocationId, OrderId, Sku};

/// One SKU's stock at a location, with the location's own threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRow {
    pub location: LocationId,
    pub on_hand: i64,
    pub reserved: i64,
    pub threshold: Option<i64>,
}

/// A SKU's stock at every location of the tenant (none when the SKU is unknown).
pub async fn levels(tx: &mut TenantTx, sku: &Sku) -> Result<Vec<LevelRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT v.location_id AS "location_id!", v.on_hand AS "on_hand!",
                  v.reserved AS "reserved!", t.threshold AS "threshold?"
           FROM inventory.sku_levels($1, $2) v
           LEFT JOIN inventory.location_thresholds t
               ON t.tenant_id = $1 AND t.sku = $2 AND t.location_id = v.location_id"#,
        tx.tenant().as_uuid(),
        sku.as_str(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| LevelRow {
            location: LocationId::from_uuid(row.location_id),
            on_hand: row.on_hand,
            reserved: row.reserved,
            threshold: row.threshold,
        })
        .collect())
}

/// Locks a SKU's stock row, the lock every change to its locations takes first;
/// `false` when the tenant has no such SKU.
pub async fn lock_sku(tx: &mut TenantTx, sku: &Sku) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        "SELECT 1 AS found FROM inventory.stock_items WHERE tenant_id = $1 AND sku = $2
         FOR NO KEY UPDATE",
        tx.tenant().as_uuid(),
        sku.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Makes sure a SKU has a stock row at a non-default location (empty when new),
/// and marks the SKU as spread across locations.
pub async fn ensure_row(
    tx: &mut TenantTx,
    sku: &Sku,
    location: LocationId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH placed AS (
             INSERT INTO inventory.location_stock (tenant_id, sku, location_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
         )
         UPDATE inventory.stock_items SET spread = true
         WHERE tenant_id = $1 AND sku = $2 AND NOT spread",
        tx.tenant().as_uuid(),
        sku.as_str(),
        location.as_uuid(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets (or with `None` clears) a SKU's reorder threshold at one location.
pub async fn set_threshold(
    tx: &mut TenantTx,
    sku: &Sku,
    location: LocationId,
    threshold: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH cleared AS (
             DELETE FROM inventory.location_thresholds
             WHERE tenant_id = $1 AND sku = $2 AND location_id = $3 AND $4::bigint IS NULL
         )
         INSERT INTO inventory.location_thresholds (tenant_id, sku, location_id, threshold)
         SELECT $1, $2, $3, $4 WHERE $4::bigint IS NOT NULL
         ON CONFLICT (tenant_id, sku, location_id)
             DO UPDATE SET threshold = EXCLUDED.threshold, updated_at = now()",
        tx.tenant().as_uuid(),
        sku.as_str(),
        location.as_uuid(),
        threshold,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Where each line of an order's reservation is held: a part per location, the
/// default location's as `None`.
pub async fn parts(tx: &mut TenantTx, order_id: &OrderId) -> Result<Vec<Part>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.sku AS "sku!", p.location_id, p.quantity AS "quantity!",
                  coalesce(l.ships, true) AS "ships!"
           FROM inventory.allocation_parts p
           LEFT JOIN inventory.locations l
               ON l.tenant_id = p.tenant_id AND l.id = p.location_id
           WHERE p.tenant_id = $1 AND p.order_id = $2
           ORDER BY p.sku COLLATE "C", p.location_id NULLS FIRST"#,
        tx.tenant().as_uuid(),
        order_id.as_str(),
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Part {
            sku: Sku::from_stored(row.sku),
            location: row.location_id.map(LocationId::from_uuid),
            quantity: row.quantity,
            ships: row.ships,
        })
        .collect())
}

/// A part of a reservation line held at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub sku: Sku,
    /// `None`: the default location.
    pub location: Option<LocationId>,
    pub quantity: i64,
    /// Whether the location ships to customers now.
    pub ships: bool,
}

/// An order's allocations with the default location's parts named by `default`.
pub async fn allocations(
    tx: &mut TenantTx,
    order_id: &OrderId,
    default: LocationId,
) -> Result<Vec<Allocation>, sqlx::Error> {
    Ok(parts(tx, order_id)
        .await?
        .into_iter()
        .map(|part| Allocation {
            sku: part.sku,
            location: part.location.unwrap_or(default),
            quantity: part.quantity,
        })
        .collect())
}

/// Moves `quantity` of an order's line from one location's allocation to
/// another's (`None`: the default location), keeping the line whole.
pub async fn move_allocation(
    tx: &mut TenantTx,
    order_id: &OrderId,
    sku: &Sku,
    from: Option<LocationId>,
    to: Option<LocationId>,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH taken AS (
             UPDATE inventory.allocations SET quantity = quantity - $5
             WHERE tenant_id = $1 AND order_id = $2 AND sku = $3 AND location_id = $4
               AND quantity > $5
         ), emptied AS (
             DELETE FROM inventory.allocations
             WHERE tenant_id = $1 AND order_id = $2 AND sku = $3 AND location_id = $4
               AND quantity = $5
         )
         INSERT INTO inventory.allocations (tenant_id, order_id, sku, location_id, quantity)
         SELECT $1, $2, $3, $6, $5 WHERE $6::uuid IS NOT NULL
         ON CONFLICT (tenant_id, order_id, sku, location_id)
             DO UPDATE SET quantity = inventory.allocations.quantity + EXCLUDED.quantity",
        tx.tenant().as_uuid(),
        order_id.as_str(),
        sku.as_str(),
        from.as_ref().map(LocationId::as_uuid),
        quantity,
        to.as_ref().map(LocationId::as_uuid),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the `stock.transferred` event of a transfer.
pub async fn transferred_event(
    tx: &mut TenantTx,
    transfer: &crate::domain::Transfer,
    actor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
         SELECT $1, 'stock.transferred', inventory.sku_partition($1, $2),
                inventory.stock_payload(s.sku, s.on_hand, s.reserved, s.reorder_threshold)
                    || jsonb_build_object('fromLocationId', $3::uuid, 'toLocationId', $4::uuid,
                                          'quantity', $5::bigint, 'reason', $6::text,
                                          'actor', $7::text)
         FROM inventory.stock_items s WHERE s.tenant_id = $1 AND s.sku = $2",
        tx.tenant().as_uuid(),
        transfer.sku.as_str(),
        transfer.from.as_uuid(),
        transfer.to.as_uuid(),
        transfer.quantity.get(),
        transfer.reason.as_str(),
        actor,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
