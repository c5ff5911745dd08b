//! Tenancy's SQL (schema `tenancy`). Memberships and keys are read and written in
//! a tenant's scope ([`TenantTx`]) or, for a person's own memberships, a user's
//! scope ([`UserTx`]); row-level security enforces both.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{vendor_role, Membership, TenantStatus, Vendor};
use souk_tenants::{escape_like, Role, TenantId, TenantTx, UserTx};

#[derive(Debug, sqlx::FromRow)]
struct VendorRow {
    id: Uuid,
    name: String,
    slug: String,
    status: String,
    created_at: DateTime<Utc>,
}

fn decode_error(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {raw:?}").into())
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

#[derive(Debug, sqlx::FromRow)]
struct MembershipRow {
    tenant_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = sqlx::Error;

    fn try_from(row: MembershipRow) -> Result<Self, Self::Error> {
        Ok(Membership {
            tenant: TenantId::from_uuid(row.tenant_id),
            user: row.user_id,
            role: vendor_role(&row.role).ok_or_else(|| decode_error("role", &row.role))?,
            created_at: row.created_at,
        })
    }
}

/// Adds a member; `None` when the person is already one.
pub async fn insert_membership(
    tx: &mut TenantTx,
    user: Uuid,
    role: Role,
) -> Result<Option<Membership>, sqlx::Error> {
    let row = sqlx::query_as!(
        MembershipRow,
        "INSERT INTO tenancy.memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING
         RETURNING tenant_id, user_id, role, created_at",
        tx.tenant().as_uuid(),
        user,
        role.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn members(tx: &mut TenantTx) -> Result<Vec<Membership>, sqlx::Error> {
    let rows = sqlx::query_as!(
        MembershipRow,
        "SELECT tenant_id, user_id, role, created_at FROM tenancy.memberships
         WHERE tenant_id = $1 ORDER BY created_at, user_id",
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn role_of(tx: &mut TenantTx, user: Uuid) -> Result<Option<Role>, sqlx::Error> {
    let raw = sqlx::query_scalar!(
        "SELECT role FROM tenancy.memberships WHERE tenant_id = $1 AND user_id = $2",
        tx.tenant().as_uuid(),
        user,
    )
    .fetch_optional(&mut **tx)
    .await?;
    raw.map(|raw| vendor_role(&raw).ok_or_else(|| decode_error("role", &raw)))
        .transpose()
}

/// Locks the vendor's owner rows and returns their user ids: changes that could
/// remove the last owner serialise here.
pub async fn lock_owners(tx: &mut TenantTx) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM tenancy.memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE",
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_role(
    tx: &mut TenantTx,
    user: Uuid,
    role: Role,
) -> Result<Option<Membership>, sqlx::Error> {
    let row = sqlx::query_as!(
        MembershipRow,
        "UPDATE tenancy.memberships SET role = $3, updated_at = now()
         WHERE tenant_id = $1 AND user_id = $2
         RETURNING tenant_id, user_id, role, created_at",
        tx.tenant().as_uuid(),
        user,
        role.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(TryInto::try_into).transpose()
}

pub async fn delete_membership(tx: &mut TenantTx, user: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM tenancy.memberships WHERE tenant_id = $1 AND user_id = $2",
        tx.tenant().as_uuid(),
        user,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A person's vendors and their role in each, read in the person's own scope.
pub async fn vendors_of(tx: &mut UserTx) -> Result<Vec<(Vendor, Role)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT t.id, t.name, t.slug, t.status, t.created_at, m.role
         FROM tenancy.memberships m JOIN tenancy.tenants t ON t.id = m.tenant_id
         WHERE m.user_id = $1
         ORDER BY t.created_at, t.id",
        tx.user(),
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            let role = vendor_role(&row.role).ok_or_else(|| decode_error("role", &row.role))?;
            let vendor = VendorRow {
                id: row.id,
                name: row.name,
                slug: row.slug,
                status: row.status,
                created_at: row.created_at,
            };
            Ok((vendor.try_into()?, role))
        })
        .collect()
}

/// A stored API key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_key(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    prefix: &str,
    hash: &[u8],
    role: Role,
    created_by: Uuid,
) -> Result<ApiKeyRow, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRow,
        "INSERT INTO tenancy.api_keys (id, tenant_id, name, prefix, secret_hash, role, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, prefix, role, created_by, created_at, last_used_at, revoked_at",
        id,
        tx.tenant().as_uuid(),
        name,
        prefix,
        hash,
        role.as_str(),
        created_by,
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn keys(tx: &mut TenantTx) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRow,
        "SELECT id, name, prefix, role, created_by, created_at, last_used_at, revoked_at
         FROM tenancy.api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
        tx.tenant().as_uuid(),
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn revoke_key(tx: &mut TenantTx, id: Uuid) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRow,
        "UPDATE tenancy.api_keys SET revoked_at = coalesce(revoked_at, now())
         WHERE tenant_id = $1 AND id = $2
         RETURNING id, name, prefix, role, created_by, created_at, last_used_at, revoked_at",
        tx.tenant().as_uuid(),
        id,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// The tenant and role of the unrevoked key `id` whose secret hashes to
/// `secret_hash`, through the one SECURITY DEFINER function the app role may run:
/// it answers only the holder of the key's secret.
pub async fn authenticate_key(
    conn: &mut PgConnection,
    id: Uuid,
    secret_hash: &[u8],
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT tenant_id AS "tenant_id!", role AS "role!"
           FROM tenancy.authenticate_api_key($1, $2)"#,
        id,
        secret_hash,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (row.tenant_id, row.role)))
}

/// The current role of a key's creator in the key's vendor; `None` when the
/// creator is no longer a member.
pub async fn key_creator_role(tx: &mut TenantTx, id: Uuid) -> Result<Option<Role>, sqlx::Error> {
    let raw = sqlx::query_scalar!(
        "SELECT m.role FROM tenancy.api_keys k
         JOIN tenancy.memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.created_by
         WHERE k.tenant_id = $1 AND k.id = $2",
        tx.tenant().as_uuid(),
        id,
    )
    .fetch_optional(&mut **tx)
    .await?;
    raw.map(|raw| vendor_role(&raw).ok_or_else(|| decode_error("role", &raw)))
        .transpose()
}

/// Records a key's use, at most once a minute.
pub async fn touch_key(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE tenancy.api_keys SET last_used_at = now()
         WHERE tenant_id = $1 AND id = $2
           AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        tx.tenant().as_uuid(),
        id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every vendor that is not active (pending or suspended).
pub async fn inactive(pool: &PgPool) -> Result<Vec<TenantId>, sqlx::Error> {
    let ids = sqlx::query_scalar!("SELECT id FROM tenancy.tenants WHERE status <> 'active'")
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}
