//! Vendors (the tenants themselves).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::decode_error;
use crate::{TenantStatus, Vendor};
use souk_tenants::{escape_like, TenantId, TenantTx};

#[derive(Debug, sqlx::FromRow)]
pub(super) struct VendorRow {
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) slug: String,
    pub(super) status: String,
    pub(super) created_at: DateTime<Utc>,
}

impl TryFrom<VendorRow> for Vendor {
    type Error = sqlx::Error;

    fn try_from(row: VendorRow) -> Result<Self, Self::Error> {
        Ok(Vendor {
            id: TenantId::from_uuid(row.id),
            status: TenantStatus::parse(&row.status)
                .ok_or_else(|| decode_error("status", &row.status))?,
            name: row.name,
            slug: row.slug,
            created_at: row.created_at,
        })
    }
}

pub async fn insert_vendor(
    tx: &mut TenantTx,
    name: &str,
    slug: &str,
    status: TenantStatus,
    founder: Uuid,
) -> Result<Vendor, sqlx::Error> {
    let row = sqlx::query_as!(
        VendorRow,
        "INSERT INTO tenancy.tenants (id, name, slug, status, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, slug, status, created_at",
        tx.tenant().as_uuid(),
        name,
        slug,
        status.as_str(),
        founder,
    )
    .fetch_one(&mut **tx)
    .await?;
    row.try_into()
}

pub async fn vendor(pool: &PgPool, id: TenantId) -> Result<Option<Vendor>, sqlx::Error> {
    let row = sqlx::query_as!(
        VendorRow,
        "SELECT id, name, slug, status, created_at FROM tenancy.tenants WHERE id = $1",
        id.as_uuid(),
    )
    .fetch_optional(pool)
    .await?;
    row.map(TryInto::try_into).transpose()
}

/// The vendors with these ids (unknown ids are left out).
pub async fn vendors_by_ids(pool: &PgPool, ids: &[TenantId]) -> Result<Vec<Vendor>, sqlx::Error> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let rows = sqlx::query_as!(
        VendorRow,
        "SELECT id, name, slug, status, created_at FROM tenancy.tenants WHERE id = ANY($1)",
        &ids,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn vendor_by_slug(pool: &PgPool, slug: &str) -> Result<Option<Vendor>, sqlx::Error> {
    let row = sqlx::query_as!(
        VendorRow,
        "SELECT id, name, slug, status, created_at FROM tenancy.tenants WHERE slug = $1",
        slug,
    )
    .fetch_optional(pool)
    .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn status(pool: &PgPool, id: TenantId) -> Result<Option<TenantStatus>, sqlx::Error> {
    let raw = sqlx::query_scalar!(
        "SELECT status FROM tenancy.tenants WHERE id = $1",
        id.as_uuid()
    )
    .fetch_optional(pool)
    .await?;
    raw.map(|raw| TenantStatus::parse(&raw).ok_or_else(|| decode_error("status", &raw)))
        .transpose()
}

/// Moves a vendor from one of `from` to `to`; `None` when it is in none of them.
pub async fn set_status(
    conn: &mut sqlx::PgConnection,
    id: TenantId,
    from: &[TenantStatus],
    to: TenantStatus,
) -> Result<Option<Vendor>, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let row = sqlx::query_as!(
        VendorRow,
        "UPDATE tenancy.tenants SET status = $3, updated_at = now()
         WHERE id = $1 AND status = ANY($2) RETURNING id, name, slug, status, created_at",
        id.as_uuid(),
        &from as &[&str],
        to.as_str(),
    )
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

/// Vendors in creation order after `after`, optionally filtered by status and by a
/// literal, case-insensitive match on name or slug.
pub async fn search_vendors(
    pool: &PgPool,
    search: Option<&str>,
    status: Option<TenantStatus>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Vendor>, sqlx::Error> {
    let pattern = search.map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
    let (after_at, after_id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let rows = sqlx::query_as!(
        VendorRow,
        "SELECT id, name, slug, status, created_at FROM tenancy.tenants
         WHERE ($1::text IS NULL OR lower(name) LIKE $1 OR slug LIKE $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
         ORDER BY created_at, id
         LIMIT $5",
        pattern,
        status.map(TenantStatus::as_str),
        after_at,
        after_id,
        limit,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Every vendor that is not active (pending or suspended).
pub async fn inactive(pool: &PgPool) -> Result<Vec<TenantId>, sqlx::Error> {
    let ids = sqlx::query_scalar!("SELECT id FROM tenancy.tenants WHERE status <> 'active'")
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}
