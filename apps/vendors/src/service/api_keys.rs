//! A vendor's API keys: created with a role no higher than their creator's,
//! listed, revoked, and authenticated (never above their creator's role now).

use serde_json::json;
use uuid::Uuid;

use super::{actor_id, require, ApiKey, PgTenancy};
use crate::store;
use crate::{keys, rank, vendor_role, TenancyError};
use souk_tenants::audit::{self, Entry};
use souk_tenants::{Principal, Role, TenantId, VendorActor};

/// The lower of two vendor roles.
fn lower(a: Role, b: Role) -> Role {
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}

pub(super) async fn create_key(
    tenancy: &PgTenancy,
    actor: &VendorActor,
    name: &str,
    role: Role,
) -> Result<(ApiKey, String), TenancyError> {
    require(actor, Role::Manager)?;
    if rank(role) > rank(actor.role) || rank(role) == 0 {
        return Err(TenancyError::RoleTooHigh);
    }
    let creator = actor_id(actor)?;
    let key = keys::generate();
    let mut tx = tenancy.scoped(actor.tenant).await?;
    let row = store::insert_key(
        &mut tx,
        key.id,
        name,
        &key.display_prefix,
        &key.hash,
        role,
        creator,
    )
    .await?;
    let entry = Entry::new("api_key.create", "api_key", key.id.to_string())
        .details(json!({ "name": name, "role": role.as_str() }));
    audit::record(&mut tx, Some(actor.tenant), entry).await?;
    tx.commit().await?;
    Ok((row, key.token))
}

pub(super) async fn keys(
    tenancy: &PgTenancy,
    actor: &VendorActor,
) -> Result<Vec<ApiKey>, TenancyError> {
    require(actor, Role::Manager)?;
    let mut tx = tenancy.scoped(actor.tenant).await?;
    let keys = store::keys(&mut tx).await?;
    tx.commit().await?;
    Ok(keys)
}

pub(super) async fn revoke_key(
    tenancy: &PgTenancy,
    actor: &VendorActor,
    id: Uuid,
) -> Result<ApiKey, TenancyError> {
    require(actor, Role::Manager)?;
    let mut tx = tenancy.scoped(actor.tenant).await?;
    let revoked = store::revoke_key(&mut tx, id)
        .await?
        .ok_or(TenancyError::KeyNotFound)?;
    let entry = Entry::new("api_key.revoke", "api_key", id.to_string());
    audit::record(&mut tx, Some(actor.tenant), entry).await?;
    tx.commit().await?;
    Ok(revoked)
}

pub(super) async fn authenticate_key(
    tenancy: &PgTenancy,
    token: &str,
) -> Result<Option<Principal>, TenancyError> {
    let Some((id, presented)) = keys::parse(token) else {
        return Ok(None);
    };
    let mut conn = tenancy.pool.acquire().await?;
    let Some((tenant, role)) = store::authenticate_key(&mut conn, id, &presented).await? else {
        return Ok(None);
    };
    drop(conn);
    let Some(role) = vendor_role(&role) else {
        return Ok(None);
    };
    let tenant = TenantId::from_uuid(tenant);
    let mut tx = tenancy.scoped(tenant).await?;
    let Some(creator) = store::key_creator_role(&mut tx, id).await? else {
        return Ok(None);
    };
    store::touch_key(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Some(Principal {
        subject: format!("apikey:{id}"),
        tenant: Some(tenant),
        role: lower(role, creator),
        session: None,
    }))
}
