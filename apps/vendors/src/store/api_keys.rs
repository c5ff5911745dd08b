//! API keys: created, listed, revoked and authenticated in their tenant's scope.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::decode_error;
use crate::vendor_role;
use souk_tenants::{Role, TenantTx};

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
