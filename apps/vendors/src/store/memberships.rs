//! Memberships: who belongs to which vendor, with which role.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::decode_error;
use crate::{vendor_role, Membership, Vendor};
use souk_tenants::{Role, TenantId, TenantTx, UserTx};

use super::tenants::VendorRow;

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
