//! The tenancy boundary and its PostgreSQL implementation.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use tracing::instrument;
use uuid::Uuid;

use crate::store::{self, ApiKeyRow};
use crate::{
    keys, rank, vendor_role, Membership, Slug, TenancyError, TenantStatus, Vendor, VendorName,
};
use souk_tenants::audit::{self, Entry};
use souk_tenants::recent::{Recent, AUTHORITY_TTL};
use souk_tenants::{
    PlatformPool, PlatformTx, Principal, Role, TenantId, TenantTx, UserTx, VendorActor,
};

/// An API key as listed: never its secret.
pub type ApiKey = ApiKeyRow;

/// Everything tenancy does.
#[async_trait]
pub trait Tenancy: Send + Sync + 'static {
    /// Creates a vendor with `founder` as its owner.
    async fn register_vendor(
        &self,
        founder: Uuid,
        name: VendorName,
        slug: Slug,
    ) -> Result<Vendor, TenancyError>;
    async fn vendor(&self, id: TenantId) -> Result<Option<Vendor>, TenancyError>;
    async fn vendor_by_slug(&self, slug: &str) -> Result<Option<Vendor>, TenancyError>;
    /// The vendors with these ids, in one read (storefront names).
    async fn vendors_by_ids(&self, ids: &[TenantId]) -> Result<Vec<Vendor>, TenancyError>;
    /// Every vendor that is not active: the storefront hides their products.
    async fn inactive_vendors(&self) -> Result<Vec<TenantId>, TenancyError>;
    /// The vendor's status, read on every vendor-side request.
    async fn status(&self, id: TenantId) -> Result<Option<TenantStatus>, TenancyError>;
    async fn my_vendors(&self, user: Uuid) -> Result<Vec<(Vendor, Role)>, TenancyError>;
    /// A person's current role in a vendor (`None`: not a member), read on every
    /// request made with a vendor token. The answer may be up to
    /// [`AUTHORITY_TTL`] old, but a change made through this service is seen at
    /// once.
    async fn member_role(&self, tenant: TenantId, user: Uuid)
        -> Result<Option<Role>, TenancyError>;
    /// The vendor and the caller's role in it, for a vendor-scoped token.
    async fn select_vendor(
        &self,
        user: Uuid,
        tenant: TenantId,
    ) -> Result<(Vendor, Role), TenancyError>;
    async fn members(&self, actor: &VendorActor) -> Result<Vec<Membership>, TenancyError>;
    /// The user ids of the vendor's owners (platform jobs: who to tell).
    async fn owners(&self, tenant: TenantId) -> Result<Vec<Uuid>, TenancyError>;
    async fn add_member(
        &self,
        actor: &VendorActor,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, TenancyError>;
    async fn change_role(
        &self,
        actor: &VendorActor,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, TenancyError>;
    async fn remove_member(&self, actor: &VendorActor, user: Uuid) -> Result<(), TenancyError>;
    /// A new key and its secret, shown this once.
    async fn create_key(
        &self,
        actor: &VendorActor,
        name: &str,
        role: Role,
    ) -> Result<(ApiKey, String), TenancyError>;
    async fn keys(&self, actor: &VendorActor) -> Result<Vec<ApiKey>, TenancyError>;
    async fn revoke_key(&self, actor: &VendorActor, id: Uuid) -> Result<ApiKey, TenancyError>;
    /// The principal behind an API key; `None` for an unknown, malformed or revoked
    /// key, and for a key whose creator is no longer a member. The key acts with
    /// its own role or its creator's current one, whichever is lower.
    async fn authenticate_key(&self, token: &str) -> Result<Option<Principal>, TenancyError>;
    async fn vendors(
        &self,
        search: Option<&str>,
        status: Option<TenantStatus>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Vendor>, TenancyError>;
    /// Platform admins: pending → active.
    async fn approve(&self, id: TenantId) -> Result<Vendor, TenancyError>;
    /// Platform admins: pending or active → suspended; effective at once.
    async fn suspend(&self, id: TenantId) -> Result<Vendor, TenancyError>;
    /// Platform admins: suspended → active.
    async fn reactivate(&self, id: TenantId) -> Result<Vendor, TenancyError>;
}

impl std::fmt::Debug for dyn Tenancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Tenancy")
    }
}

/// [`Tenancy`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgTenancy {
    pool: PgPool,
    /// Vendor status changes and the vendor list for platform admins: the work
    /// that spans tenants.
    platform: PlatformPool,
    /// Whether new vendors wait for a platform admin's approval.
    approval_required: bool,
    /// Recent answers to "what is this person's role in this vendor?".
    roles: Arc<Recent<(TenantId, Uuid), Option<Role>>>,
}

/// How many (vendor, person) roles are remembered.
const ROLES_CACHED: usize = 100_000;

/// The lower of two vendor roles.
fn lower(a: Role, b: Role) -> Role {
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}

fn require(actor: &VendorActor, at_least: Role) -> Result<(), TenancyError> {
    if rank(actor.role) >= rank(at_least) {
        Ok(())
    } else {
        Err(TenancyError::Forbidden)
    }
}

fn actor_id(actor: &VendorActor) -> Result<Uuid, TenancyError> {
    Uuid::parse_str(&actor.subject).map_err(|_| TenancyError::Forbidden)
}

impl PgTenancy {
    pub fn new(pool: PgPool, platform: PlatformPool, approval_required: bool) -> Self {
        Self {
            pool,
            platform,
            approval_required,
            roles: Arc::new(Recent::new(AUTHORITY_TTL, ROLES_CACHED)),
        }
    }

    async fn scoped(&self, tenant: TenantId) -> Result<TenantTx, TenancyError> {
        Ok(TenantTx::begin(&self.pool, tenant).await?)
    }

    async fn transition(
        &self,
        id: TenantId,
        from: &[TenantStatus],
        to: TenantStatus,
        action: &'static str,
    ) -> Result<Vendor, TenancyError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        if let Some(vendor) = store::set_status(&mut tx, id, from, to).await? {
            let entry = Entry::new(action, "vendor", id.to_string())
                .details(json!({ "status": to.as_str() }));
            audit::record(&mut tx, Some(id), entry).await?;
            tx.commit().await?;
            tracing::info!(tenant_id = %id, status = %to, "vendor status changed");
            return Ok(vendor);
        }
        drop(tx);
        match store::status(&self.pool, id).await? {
            None => Err(TenancyError::VendorNotFound),
            Some(current) => Err(TenancyError::InvalidStatus(current)),
        }
    }

    /// Runs `change` on a member while the vendor's owner rows are locked, refusing
    /// any change that would leave the vendor without an owner.
    async fn change_member(
        &self,
        actor: &VendorActor,
        user: Uuid,
        new_role: Option<Role>,
    ) -> Result<Option<Membership>, TenancyError> {
        require(actor, Role::Owner)?;
        let mut tx = self.scoped(actor.tenant).await?;
        let owners = store::lock_owners(&mut tx).await?;
        let current = store::role_of(&mut tx, user)
            .await?
            .ok_or(TenancyError::MemberNotFound)?;
        let stays_owner = new_role == Some(Role::Owner);
        if current == Role::Owner && !stays_owner && owners.len() <= 1 {
            return Err(TenancyError::LastOwner);
        }
        let (changed, entry) = match new_role {
            Some(role) => (
                store::set_role(&mut tx, user, role).await?,
                Entry::new("member.change_role", "user", user.to_string())
                    .details(json!({ "from": current.as_str(), "to": role.as_str() })),
            ),
            None => {
                store::delete_membership(&mut tx, user).await?;
                let entry = Entry::new("member.remove", "user", user.to_string())
                    .details(json!({ "role": current.as_str() }));
                (None, entry)
            }
        };
        audit::record(&mut tx, Some(actor.tenant), entry).await?;
        tx.commit().await?;
        self.roles.invalidate(&(actor.tenant, user));
        Ok(changed)
    }
}

#[async_trait]
impl Tenancy for PgTenancy {
    #[instrument(skip_all, fields(slug = slug.as_str()))]
    async fn register_vendor(
        &self,
        founder: Uuid,
        name: VendorName,
        slug: Slug,
    ) -> Result<Vendor, TenancyError> {
        let status = if self.approval_required {
            TenantStatus::Pending
        } else {
            TenantStatus::Active
        };
        let mut tx = self.scoped(TenantId::generate()).await?;
        let vendor = match store::insert_vendor(
            &mut tx,
            name.as_str(),
            slug.as_str(),
            status,
            founder,
        )
        .await
        {
            Ok(vendor) => vendor,
            Err(err) if is_unique_violation(&err, "tenants_slug_key") => {
                return Err(TenancyError::SlugTaken)
            }
            Err(err) => return Err(err.into()),
        };
        store::insert_membership(&mut tx, founder, Role::Owner).await?;
        tx.commit().await?;
        Ok(vendor)
    }

    async fn vendor(&self, id: TenantId) -> Result<Option<Vendor>, TenancyError> {
        Ok(store::vendor(&self.pool, id).await?)
    }

    async fn vendors_by_ids(&self, ids: &[TenantId]) -> Result<Vec<Vendor>, TenancyError> {
        Ok(store::vendors_by_ids(&self.pool, ids).await?)
    }

    async fn vendor_by_slug(&self, slug: &str) -> Result<Option<Vendor>, TenancyError> {
        Ok(store::vendor_by_slug(&self.pool, slug).await?)
    }

    async fn status(&self, id: TenantId) -> Result<Option<TenantStatus>, TenancyError> {
        Ok(store::status(&self.pool, id).await?)
    }

    async fn inactive_vendors(&self) -> Result<Vec<TenantId>, TenancyError> {
        Ok(store::inactive(&self.pool).await?)
    }

    async fn my_vendors(&self, user: Uuid) -> Result<Vec<(Vendor, Role)>, TenancyError> {
        let mut tx = UserTx::begin(&self.pool, user).await?;
        let vendors = store::vendors_of(&mut tx).await?;
        tx.commit().await?;
        Ok(vendors)
    }

    async fn member_role(
        &self,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<Option<Role>, TenancyError> {
        self.roles
            .get_or_load((tenant, user), async {
                let mut tx = self.scoped(tenant).await?;
                let role = store::role_of(&mut tx, user).await?;
                tx.commit().await?;
                Ok(role)
            })
            .await
    }

    async fn select_vendor(
        &self,
        user: Uuid,
        tenant: TenantId,
    ) -> Result<(Vendor, Role), TenancyError> {
        let mut tx = self.scoped(tenant).await?;
        let role = store::role_of(&mut tx, user).await?;
        tx.commit().await?;
        let (Some(role), Some(vendor)) = (role, store::vendor(&self.pool, tenant).await?) else {
            return Err(TenancyError::NotMember);
        };
        if vendor.status == TenantStatus::Suspended {
            return Err(TenancyError::Suspended);
        }
        Ok((vendor, role))
    }

    async fn members(&self, actor: &VendorActor) -> Result<Vec<Membership>, TenancyError> {
        let mut tx = self.scoped(actor.tenant).await?;
        let members = store::members(&mut tx).await?;
        tx.commit().await?;
        Ok(members)
    }

    async fn owners(&self, tenant: TenantId) -> Result<Vec<Uuid>, TenancyError> {
        let mut tx = self.scoped(tenant).await?;
        let members = store::members(&mut tx).await?;
        tx.commit().await?;
        Ok(members
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .map(|m| m.user)
            .collect())
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn add_member(
        &self,
        actor: &VendorActor,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, TenancyError> {
        require(actor, Role::Owner)?;
        let mut tx = self.scoped(actor.tenant).await?;
        let added = store::insert_membership(&mut tx, user, role)
            .await?
            .ok_or(TenancyError::AlreadyMember)?;
        let entry = Entry::new("member.add", "user", user.to_string())
            .details(json!({ "role": role.as_str() }));
        audit::record(&mut tx, Some(actor.tenant), entry).await?;
        tx.commit().await?;
        self.roles.invalidate(&(actor.tenant, user));
        Ok(added)
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn change_role(
        &self,
        actor: &VendorActor,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, TenancyError> {
        self.change_member(actor, user, Some(role))
            .await?
            .ok_or(TenancyError::MemberNotFound)
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn remove_member(&self, actor: &VendorActor, user: Uuid) -> Result<(), TenancyError> {
        self.change_member(actor, user, None).await.map(|_| ())
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn create_key(
        &self,
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
        let mut tx = self.scoped(actor.tenant).await?;
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

    async fn keys(&self, actor: &VendorActor) -> Result<Vec<ApiKey>, TenancyError> {
        require(actor, Role::Manager)?;
        let mut tx = self.scoped(actor.tenant).await?;
        let keys = store::keys(&mut tx).await?;
        tx.commit().await?;
        Ok(keys)
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn revoke_key(&self, actor: &VendorActor, id: Uuid) -> Result<ApiKey, TenancyError> {
        require(actor, Role::Manager)?;
        let mut tx = self.scoped(actor.tenant).await?;
        let revoked = store::revoke_key(&mut tx, id)
            .await?
            .ok_or(TenancyError::KeyNotFound)?;
        let entry = Entry::new("api_key.revoke", "api_key", id.to_string());
        audit::record(&mut tx, Some(actor.tenant), entry).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn authenticate_key(&self, token: &str) -> Result<Option<Principal>, TenancyError> {
        let Some((id, presented)) = keys::parse(token) else {
            return Ok(None);
        };
        let mut conn = self.pool.acquire().await?;
        let Some((tenant, role)) = store::authenticate_key(&mut conn, id, &presented).await? else {
            return Ok(None);
        };
        drop(conn);
        let Some(role) = vendor_role(&role) else {
            return Ok(None);
        };
        let tenant = TenantId::from_uuid(tenant);
        let mut tx = self.scoped(tenant).await?;
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

    async fn vendors(
        &self,
        search: Option<&str>,
        status: Option<TenantStatus>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Vendor>, TenancyError> {
        Ok(store::search_vendors(self.platform.pool(), search, status, after, limit).await?)
    }

    async fn approve(&self, id: TenantId) -> Result<Vendor, TenancyError> {
        self.transition(
            id,
            &[TenantStatus::Pending],
            TenantStatus::Active,
            "vendor.approve",
        )
        .await
    }

    async fn suspend(&self, id: TenantId) -> Result<Vendor, TenancyError> {
        self.transition(
            id,
            &[TenantStatus::Pending, TenantStatus::Active],
            TenantStatus::Suspended,
            "vendor.suspend",
        )
        .await
    }

    async fn reactivate(&self, id: TenantId) -> Result<Vendor, TenancyError> {
        self.transition(
            id,
            &[TenantStatus::Suspended],
            TenantStatus::Active,
            "vendor.reactivate",
        )
        .await
    }
}

fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.code().as_deref() == Some("23505") && e.constraint() == Some(constraint))
}
