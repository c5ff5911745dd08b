//! The image rows (schema `media`): through the tenant scope for a vendor's own,
//! through the platform role for the storefront's reads.

use chrono::{DateTime, Utc};
use souk_tenants::TenantTx;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImageRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub product_id: String,
    pub variant_sku: Option<String>,
    pub hash: String,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub renditions: Vec<i32>,
    pub alt: String,
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, id, product_id, variant_sku, hash, format, width, height, bytes, renditions, alt, position, created_at";

/// Serialises the changes of one product's images until the transaction ends.
pub async fn lock_product(tx: &mut TenantTx, product: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':media:' || $2, 0))")
        .bind(tx.tenant().as_uuid().to_string())
        .bind(product)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Serialises the uploads and deletions of one image's files (by their hash)
/// until the transaction ends.
pub async fn lock_hash(tx: &mut TenantTx, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':file:' || $2, 0))")
        .bind(tx.tenant().as_uuid().to_string())
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn count(tx: &mut TenantTx, product: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM media.images WHERE product_id = $1")
        .bind(product)
        .fetch_one(&mut **tx)
        .await
}

/// The new image's row, last of its product.
#[derive(Debug)]
pub struct NewImage<'a> {
    pub id: Uuid,
    pub product: &'a str,
    pub variant_sku: Option<&'a str>,
    pub hash: &'a str,
    pub format: &'a str,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub renditions: &'a [i32],
    pub alt: &'a str,
}

pub async fn insert(tx: &mut TenantTx, new: NewImage<'_>) -> Result<ImageRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO media.images (tenant_id, id, product_id, variant_sku, hash, format, width, height, bytes, renditions, alt, position)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                coalesce((SELECT max(position) + 1 FROM media.images WHERE product_id = $3), 0)
         RETURNING {COLUMNS}"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(new.id)
    .bind(new.product)
    .bind(new.variant_sku)
    .bind(new.hash)
    .bind(new.format)
    .bind(new.width)
    .bind(new.height)
    .bind(new.bytes)
    .bind(new.renditions)
    .bind(new.alt)
    .fetch_one(&mut **tx)
    .await
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ImageRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM media.images WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn of_product(tx: &mut TenantTx, product: &str) -> Result<Vec<ImageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM media.images WHERE product_id = $1 ORDER BY position, id"
    ))
    .bind(product)
    .fetch_all(&mut **tx)
    .await
}

/// The images of every `(tenant, product)` pair, in order (the platform role's
/// read, for pages that show many vendors' products).
pub async fn of_products(
    conn: &mut sqlx::PgConnection,
    tenants: &[Uuid],
    products: &[String],
) -> Result<Vec<ImageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM media.images
         WHERE (tenant_id, product_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
         ORDER BY tenant_id, product_id, position, id"
    ))
    .bind(tenants)
    .bind(products)
    .fetch_all(conn)
    .await
}

pub async fn set_alt(
    tx: &mut TenantTx,
    id: Uuid,
    alt: &str,
) -> Result<Option<ImageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE media.images SET alt = $2 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(alt)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn set_position(tx: &mut TenantTx, id: Uuid, position: i32) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE media.images SET position = $2 WHERE id = $1")
        .bind(id)
        .bind(position)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<Option<ImageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "DELETE FROM media.images WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Moves the product's images after `position` one place up.
pub async fn close_gap(tx: &mut TenantTx, product: &str, position: i32) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE media.images SET position = position - 1 WHERE product_id = $1 AND position > $2",
    )
    .bind(product)
    .bind(position)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether any image of the tenant still uses the files of `hash`.
pub async fn in_use(tx: &mut TenantTx, hash: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM media.images WHERE hash = $1)")
        .bind(hash)
        .fetch_one(&mut **tx)
        .await
}

/// Which of `hashes` some image of the tenant uses.
pub async fn used_of(tx: &mut TenantTx, hashes: &[String]) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT hash FROM media.images WHERE hash = ANY($1)")
        .bind(hashes)
        .fetch_all(&mut **tx)
        .await
}
