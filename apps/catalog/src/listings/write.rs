//! Writing listings: a product's row, and the in-stock flag from inventory.

use sqlx::PgConnection;

use super::document;
use crate::domain::{Product, ProductStatus};

// Each statement spells out the two derived values it writes, so the compiler
// checks them against the schema:
// * the units a listing's SKUs have shipped, as of the statement:
//   `COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g WHERE
//   g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint`;
// * whether any of a listing's SKUs has stock to sell, as of the statement:
//   `EXISTS (SELECT 1 FROM inventory.stock_items s WHERE s.tenant_id = l.tenant_id
//   AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)`.

/// Writes `product`'s row unless the row holds a newer version (`refresh`: or
/// the same one, as a rebuild does). Listed only while the product is active.
pub async fn upsert(
    conn: &mut PgConnection,
    product: &Product,
    refresh: bool,
) -> Result<(), sqlx::Error> {
    let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
    sqlx::query!(
        "INSERT INTO storefront.listings AS l (product_id, tenant_id, listed, version, title,
             description, category_id, price, currency, skus, product, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (product_id) DO UPDATE SET
             listed = EXCLUDED.listed, version = EXCLUDED.version, title = EXCLUDED.title,
             description = EXCLUDED.description, category_id = EXCLUDED.category_id,
             price = EXCLUDED.price, currency = EXCLUDED.currency, skus = EXCLUDED.skus,
             product = EXCLUDED.product, updated_at = EXCLUDED.updated_at, projected_at = now()
         WHERE (l.version < EXCLUDED.version OR ($14 AND l.version = EXCLUDED.version))
           AND l.tenant_id = EXCLUDED.tenant_id",
        product.id.0.to_hex(),
        product.tenant.as_uuid(),
        product.status == ProductStatus::Active,
        product.version,
        &product.title,
        &product.description,
        product.category.map(|c| c.0.to_hex()),
        product.price.amount(),
        product.price.currency(),
        &skus as &[&str],
        document::encode(product),
        product.created_at,
        product.updated_at,
        refresh,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE storefront.listings l
         SET in_stock = EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable),
             popularity = COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint
         WHERE l.product_id = $1
           AND (l.in_stock IS DISTINCT FROM EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)
                OR l.popularity IS DISTINCT FROM COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint)",
        product.id.0.to_hex(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes up to `max` SKUs whose availability crossed zero and sets the
/// in-stock flag of every listing that sells one of them (marking it written
/// now, so it is checked again); returns how many SKUs it took.
pub async fn drain_stale(conn: &mut PgConnection, max: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH taken AS (
             DELETE FROM storefront.stale_stock
             WHERE (tenant_id, sku) IN (
                 SELECT tenant_id, sku FROM storefront.stale_stock
                 ORDER BY noted_at LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING tenant_id, sku
         ), touched AS (
             SELECT DISTINCT l.product_id FROM storefront.listings l
             JOIN taken t ON l.tenant_id = t.tenant_id AND l.skus @> ARRAY[t.sku]
         ), changed AS (
             UPDATE storefront.listings l SET in_stock = EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable), projected_at = now()
             FROM touched WHERE l.product_id = touched.product_id
               AND l.in_stock IS DISTINCT FROM EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)
             RETURNING 1
         )
         SELECT count(*) AS "taken!" FROM taken"#,
        max,
    )
    .fetch_one(conn)
    .await
}

/// Counts up to `max` noted SKUs' shipped units again into their listings'
/// popularity; returns how many SKUs it took.
pub async fn drain_sold(conn: &mut PgConnection, max: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH taken AS (
             DELETE FROM storefront.sold_skus
             WHERE (tenant_id, sku) IN (
                 SELECT tenant_id, sku FROM storefront.sold_skus
                 ORDER BY noted_at LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING tenant_id, sku
         ), touched AS (
             SELECT DISTINCT l.product_id FROM storefront.listings l
             JOIN taken t ON l.tenant_id = t.tenant_id AND l.skus @> ARRAY[t.sku]
         ), changed AS (
             UPDATE storefront.listings l SET popularity = COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint
             FROM touched WHERE l.product_id = touched.product_id
               AND l.popularity IS DISTINCT FROM COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint
             RETURNING 1
         )
         SELECT count(*) AS "taken!" FROM taken"#,
        max,
    )
    .fetch_one(conn)
    .await
}

/// Counts every listing's shipped units again from the ledger (a rebuild).
pub async fn recount_sold(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE storefront.listings l
         SET popularity = COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint
         WHERE l.popularity IS DISTINCT FROM COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
                 WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint"
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Checks the in-stock flag of the listings written in the last `seconds`
/// again: a listing written while a SKU of it crossed zero may have read the
/// stock just before. Returns how many flags it corrected.
pub async fn recheck_recent(conn: &mut PgConnection, seconds: f64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE storefront.listings l
         SET in_stock = EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)
         WHERE l.projected_at > now() - make_interval(secs => $1)
           AND l.in_stock IS DISTINCT FROM EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)",
        seconds,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sets every listing's in-stock flag from inventory (a rebuild's last step).
pub async fn recheck_all(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE storefront.listings l
         SET in_stock = EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)
         WHERE l.in_stock IS DISTINCT FROM EXISTS (SELECT 1 FROM inventory.stock_items s
                 WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand - s.reserved > s.unsellable)"
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
