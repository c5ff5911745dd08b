//! Stock rows. Every change to a row writes its ledger row in the same statement.

use chrono::{DateTime, Utc};
use souk_tenants::{PlatformPool, TenantId, TenantTx};

use crate::domain::{LedgerKind, LocationId, Sku, StockItem, MAX_QUANTITY};

#[derive(Debug)]
struct StockRow {
    sku: String,
    on_hand: i64,
    reserved: i64,
    reorder_threshold: i64,
    unsellable: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<StockRow> for StockItem {
    fn from(row: StockRow) -> Self {
        StockItem {
            sku: Sku::from_stored(row.sku),
            on_hand: row.on_hand,
            reserved: row.reserved,
            reorder_threshold: row.reorder_threshold,
            unsellable: row.unsellable,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Inserts a stock item and its `created` ledger row; `None` when the SKU exists.
pub async fn insert(
    tx: &mut TenantTx,
    sku: &Sku,
    on_hand: i64,
    reorder_threshold: i64,
    actor: &str,
) -> Result<Option<StockItem>, sqlx::Error> {
    let row = sqlx::query_as!(
        StockRow,
        r#"WITH item AS (
             INSERT INTO inventory.stock_items (tenant_id, sku, on_hand, reorder_threshold)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING
             RETURNING *
         ), entry AS (
             INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                           on_hand_after, reserved_after, actor)
             SELECT tenant_id, sku, 'created', on_hand, 0, on_hand, 0, $5 FROM item
         )
         SELECT sku AS "sku!", on_hand AS "on_hand!", reserved AS "reserved!",
                reorder_threshold AS "reorder_threshold!", unsellable AS "unsellable!",
                created_at AS "created_at!",
                updated_at AS "updated_at!"
         FROM item"#,
        tx.tenant().as_uuid(),
        sku.as_str(),
        on_hand,
        reorder_threshold,
        actor,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

pub async fn get(tx: &mut TenantTx, sku: &Sku) -> Result<Option<StockItem>, sqlx::Error> {
    let row = sqlx::query_as!(
        StockRow,
        "SELECT sku, on_hand, reserved, reorder_threshold, unsellable, created_at, updated_at
         FROM inventory.stock_items WHERE tenant_id = $1 AND sku = $2",
        tx.tenant().as_uuid(),
        sku.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// Items in SKU order after `after`, at most `limit`; with `low_only`, only those
/// whose available stock is at or below their reorder threshold.
pub async fn list(
    tx: &mut TenantTx,
    after: Option<&Sku>,
    limit: i64,
    low_only: bool,
) -> Result<Vec<StockItem>, sqlx::Error> {
    let rows = sqlx::query_as!(
        StockRow,
        "SELECT sku, on_hand, reserved, reorder_threshold, unsellable, created_at, updated_at
         FROM inventory.stock_items
         WHERE tenant_id = $1 AND sku > $2
           AND (NOT $3 OR on_hand - reserved <= reorder_threshold)
         ORDER BY sku
         LIMIT $4",
        tx.tenant().as_uuid(),
        after.map_or("", Sku::as_str),
        low_only,
        limit,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// What customers can buy of each `(tenants[i], skus[i])` that exists, across
/// tenants: the platform role's read of the stock columns it may see (one
/// index look-up per pair).
pub async fn sellable_across(
    pool: &PlatformPool,
    tenants: &[uuid::Uuid],
    skus: &[&str],
) -> Result<Vec<(TenantId, Sku, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.tenant_id AS "tenant_id!", s.sku AS "sku!",
                  s.on_hand - s.reserved - s.unsellable AS "sellable!"
           FROM unnest($1::uuid[], $2::text[]) AS k(tenant_id, sku)
           JOIN inventory.stock_items s ON s.tenant_id = k.tenant_id AND s.sku = k.sku"#,
        tenants,
        skus as &[&str],
    )
    .fetch_all(pool.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                TenantId::from_uuid(row.tenant_id),
                Sku::from_stored(row.sku),
                row.sellable,
            )
        })
        .collect())
}

/// Sets the reorder threshold, with a `threshold_changed` ledger row.
pub async fn set_threshold(
    tx: &mut TenantTx,
    sku: &Sku,
    threshold: i64,
    actor: &str,
) -> Result<Option<StockItem>, sqlx::Error> {
    let row = sqlx::query_as!(
        StockRow,
        r#"WITH item AS (
             UPDATE inventory.stock_items SET reorder_threshold = $3, updated_at = now()
             WHERE tenant_id = $1 AND sku = $2
             RETURNING *
         ), entry AS (
             INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                           on_hand_after, reserved_after, reason, actor)
             SELECT tenant_id, sku, 'threshold_changed', 0, 0, on_hand, reserved,
                    'reorder threshold set to ' || $3, $4
             FROM item
         )
         SELECT sku AS "sku!", on_hand AS "on_hand!", reserved AS "reserved!",
                reorder_threshold AS "reorder_threshold!", unsellable AS "unsellable!",
                created_at AS "created_at!",
                updated_at AS "updated_at!"
         FROM item"#,
        tx.tenant().as_uuid(),
        sku.as_str(),
        threshold,
        actor,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}

/// A change to one SKU's stock at one location, and the ledger row that records it.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub sku: &'a Sku,
    /// The location whose stock changes; `None`: the default location.
    pub location: Option<LocationId>,
    /// Whether that location ships to customers (its available stock is for
    /// sale); what changes at one that does not changes the SKU's unsellable stock.
    pub sells: bool,
    pub kind: LedgerKind,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub reason: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub actor: &'a str,
}

/// Applies `movement` if the row exists and the result keeps every invariant
/// (`0 <= reserved <= on_hand <= MAX_QUANTITY`) for the SKU's totals and for the
/// location (the default location's derived from the totals), writing the
/// location's row, its ledger row and its events (`stock.adjusted` for
/// adjustments, `stock.low` when available stock crosses down to the reorder
/// threshold) in the same statement. One conditional statement, no read first:
/// `None` when a row is missing or the change would break an invariant, and then
/// the caller rolls back (the location's row may have changed). The caller holds
/// the SKU's row when the SKU may be spread across locations.
pub async fn apply(
    tx: &mut TenantTx,
    movement: Movement<'_>,
) -> Result<Option<StockItem>, sqlx::Error> {
    let row = sqlx::query_as!(
        StockRow,
        r#"WITH at AS (
             UPDATE inventory.location_stock
             SET on_hand = on_hand + $3, reserved = reserved + $4, updated_at = now()
             WHERE tenant_id = $1 AND sku = $2 AND location_id = $11
               AND on_hand + $3 >= reserved + $4
               AND reserved + $4 >= 0
               AND on_hand + $3 <= $9
             RETURNING on_hand
         ), elsewhere AS (
             SELECT coalesce(sum(on_hand), 0) AS on_hand, coalesce(sum(reserved), 0) AS reserved
             FROM inventory.location_stock WHERE tenant_id = $1 AND sku = $2
         ), item AS (
             UPDATE inventory.stock_items s
             SET on_hand = on_hand + $3, reserved = reserved + $4, updated_at = now(),
                 unsellable = unsellable + CASE WHEN $12 THEN 0 ELSE $3 - $4 END
             WHERE tenant_id = $1 AND sku = $2
               AND on_hand + $3 >= reserved + $4
               AND reserved + $4 >= 0
               AND on_hand + $3 <= $9
               AND CASE WHEN $11::uuid IS NOT NULL THEN EXISTS (SELECT 1 FROM at)
                        WHEN NOT spread THEN true
                        ELSE (SELECT s.on_hand + $3 - e.on_hand >= s.reserved + $4 - e.reserved
                                     AND s.reserved + $4 - e.reserved >= 0
                              FROM elsewhere e) END
             RETURNING *
         ), entry AS (
             INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                           on_hand_after, reserved_after, reason, reference, actor,
                                           location_id)
             SELECT tenant_id, sku, $5, $3, $4, on_hand, reserved, $6, $7, $8, $11 FROM item
         ), event AS (
             INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
             SELECT tenant_id, e.kind, inventory.sku_partition(tenant_id, sku),
                    inventory.stock_payload(sku, on_hand, reserved, reorder_threshold)
                        || jsonb_build_object('change', $3, 'reason', $6, 'reference', $7,
                                              'actor', $8, 'locationId', $11::uuid)
             FROM item CROSS JOIN LATERAL (VALUES
                 ($10::text, $10::text IS NOT NULL),
                 ('stock.low', inventory.crossed_low((on_hand - $3) - (reserved - $4),
                                                     on_hand - reserved, reorder_threshold))
             ) AS e(kind, wanted)
             WHERE e.wanted
         )
         SELECT sku AS "sku!", on_hand AS "on_hand!", reserved AS "reserved!",
                reorder_threshold AS "reorder_threshold!", unsellable AS "unsellable!",
                created_at AS "created_at!",
                updated_at AS "updated_at!"
         FROM item"#,
        tx.tenant().as_uuid(),
        movement.sku.as_str(),
        movement.on_hand_change,
        movement.reserved_change,
        movement.kind.as_str(),
        movement.reason,
        movement.reference,
        movement.actor,
        MAX_QUANTITY,
        (movement.kind == LedgerKind::Adjusted).then_some("stock.adjusted"),
        movement.location.as_ref().map(LocationId::as_uuid),
        movement.sells,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(Into::into))
}
