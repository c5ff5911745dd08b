//! Writing listings: a product's row, and the in-stock flag from inventory.

use sqlx::PgConnection;

use super::document;
use crate::domain::{Product, ProductStatus};

/// The units a listing's SKUs have shipped, as of the statement.
const SOLD: &str = "COALESCE((SELECT -sum(g.on_hand_change) FROM inventory.ledger g
    WHERE g.tenant_id = l.tenant_id AND g.sku = ANY(l.skus) AND g.kind = 'committed'), 0)::bigint";

/// Whether any of a listing's SKUs has stock to sell, as of the statement.
const IN_STOCK: &str = "EXISTS (SELECT 1 FROM inventory.stock_items s
    WHERE s.tenant_id = l.tenant_id AND s.sku = ANY(l.skus) AND s.on_hand > s.reserved)";

/// Writes `product`'s row unless the row holds a newer version (`refresh`: or
/// the same one, as a rebuild does). Listed only while the product is active.
pub async fn upsert(
    conn: &mut PgConnection,
    product: &Product,
    refresh: bool,
) -> Result<(), sqlx::Error> {
    let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
    let guard = if refresh { "<=" } else { "<" };
    let sql = format!(
        "INSERT INTO storefront.listings AS l (product_id, tenant_id, listed, version, title,
             description, category_id, price, currency, skus, product, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (product_id) DO UPDATE SET
             listed = EXCLUDED.listed, version = EXCLUDED.version, title = EXCLUDED.title,
             description = EXCLUDED.description, category_id = EXCLUDED.category_id,
             price = EXCLUDED.price, currency = EXCLUDED.currency, skus = EXCLUDED.skus,
             product = EXCLUDED.product, updated_at = EXCLUDED.updated_at, projected_at = now()
         WHERE l.version {guard} EXCLUDED.version AND l.tenant_id = EXCLUDED.tenant_id"
    );
    sqlx::query(&sql)
        .bind(product.id.0.to_hex())
        .bind(product.tenant.as_uuid())
        .bind(product.status == ProductStatus::Active)
        .bind(product.version)
        .bind(&product.title)
        .bind(&product.description)
        .bind(product.category.map(|c| c.0.to_hex()))
        .bind(product.price.amount())
        .bind(product.price.currency())
        .bind(&skus)
        .bind(document::encode(product))
        .bind(product.created_at)
        .bind(product.updated_at)
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "UPDATE storefront.listings l SET in_stock = {IN_STOCK}, popularity = {SOLD}
         WHERE l.product_id = $1
           AND (l.in_stock IS DISTINCT FROM {IN_STOCK} OR l.popularity IS DISTINCT FROM {SOLD})"
    );
    sqlx::query(&sql)
        .bind(product.id.0.to_hex())
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes up to `max` SKUs noted in `notes` and, on every listing that sells one
/// of them, sets `column` to `value` where it differs (with `also` set too);
/// returns how many SKUs it took.
async fn drain(
    conn: &mut PgConnection,
    notes: &str,
    column: &str,
    value: &str,
    also: &str,
    max: i64,
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "WITH taken AS (
             DELETE FROM {notes}
             WHERE (tenant_id, sku) IN (
                 SELECT tenant_id, sku FROM {notes}
                 ORDER BY noted_at LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING tenant_id, sku
         ), touched AS (
             SELECT DISTINCT l.product_id FROM storefront.listings l
             JOIN taken t ON l.tenant_id = t.tenant_id AND l.skus @> ARRAY[t.sku]
         ), changed AS (
             UPDATE storefront.listings l SET {column} = {value}{also}
             FROM touched WHERE l.product_id = touched.product_id
               AND l.{column} IS DISTINCT FROM {value}
             RETURNING 1
         )
         SELECT count(*) FROM taken"
    );
    sqlx::query_scalar(&sql).bind(max).fetch_one(conn).await
}

/// Takes up to `max` SKUs whose availability crossed zero and sets the
/// in-stock flag of every listing that sells one of them (marking it written
/// now, so it is checked again); returns how many SKUs it took.
pub async fn drain_stale(conn: &mut PgConnection, max: i64) -> Result<i64, sqlx::Error> {
    let also = ", projected_at = now()";
    drain(
        conn,
        "storefront.stale_stock",
        "in_stock",
        IN_STOCK,
        also,
        max,
    )
    .await
}

/// Counts up to `max` noted SKUs' shipped units again into their listings'
/// popularity; returns how many SKUs it took.
pub async fn drain_sold(conn: &mut PgConnection, max: i64) -> Result<i64, sqlx::Error> {
    drain(conn, "storefront.sold_skus", "popularity", SOLD, "", max).await
}

/// Counts every listing's shipped units again from the ledger (a rebuild).
pub async fn recount_sold(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "UPDATE storefront.listings l SET popularity = {SOLD}
         WHERE l.popularity IS DISTINCT FROM {SOLD}"
    );
    Ok(sqlx::query(&sql).execute(conn).await?.rows_affected())
}

/// Checks the in-stock flag of the listings written in the last `seconds`
/// again: a listing written while a SKU of it crossed zero may have read the
/// stock just before. Returns how many flags it corrected.
pub async fn recheck_recent(conn: &mut PgConnection, seconds: f64) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "UPDATE storefront.listings l SET in_stock = {IN_STOCK}
         WHERE l.projected_at > now() - make_interval(secs => $1)
           AND l.in_stock IS DISTINCT FROM {IN_STOCK}"
    );
    Ok(sqlx::query(&sql)
        .bind(seconds)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Sets every listing's in-stock flag from inventory (a rebuild's last step).
pub async fn recheck_all(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "UPDATE storefront.listings l SET in_stock = {IN_STOCK}
         WHERE l.in_stock IS DISTINCT FROM {IN_STOCK}"
    );
    Ok(sqlx::query(&sql).execute(conn).await?.rows_affected())
}
