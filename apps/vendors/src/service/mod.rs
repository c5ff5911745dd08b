//! The tenancy boundary and its PostgreSQL implementation. The reads are here;
//! the use cases that write have a file each: `registration`, `members`,
//! `api_keys`, and `status` (approve, suspend, reactivate).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;
use uuid::Uuid;

use crate::store::{self, ApiKeyRow};
use crate::{rank, Membership, Slug, TenancyError, TenantStatus, Vendor, VendorName};
use souk_tenants::recent::{Recent, AUTHORITY_TTL};
use souk_tenants::{PlatformPool, Principal, Role, TenantId, TenantTx, UserTx, VendorActor};

mod api_keys;
mod members;
mod registration;
mod status;

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
    /// The vendor's status, read on every vendor-side request. The answer may
    /// be up to [`AUTHORITY_TTL`] old, but a change made through this service is
    /// seen at once.
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
    /// Every member of the vendor with their role (platform jobs: who to tell).
    async fn team(&self, tenant: TenantId) -> Result<Vec<Membership>, TenancyError>;
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
    /// Recent answers to "is this vendor active?".
    statuses: Arc<Recent<TenantId, Option<TenantStatus>>>,
}

/// How many (vendor, person) roles are remembered.
const ROLES_CACHED: usize = 100_000;
/// How many vendors' statuses are remembered.
const STATUSES_CACHED: usize = 100_000;

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
            statuses: Arc::new(Recent::new(AUTHORITY_TTL, STATUSES_CACHED)),
        }
    }

    async fn scoped(&self, tenant: TenantId) -> Result<TenantTx, TenancyError> {
        Ok(TenantTx::begin(&self.pool, tenant).await?)
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
        registration::register_vendor(self, founder, name, slug).await
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
        self.statuses
            .get_or_load(id, async { Ok(store::status(&self.pool, id).await?) })
            .await
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
        Ok(self
            .team(tenant)
            .await?
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .map(|m| m.user)
            .collect())
    }

    async fn team(&self, tenant: TenantId) -> Result<Vec<Membership>, TenancyError> {
        let mut tx = self.scoped(tenant).await?;
        let members = store::members(&mut tx).await?;
        tx.commit().await?;
        Ok(members)
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn add_member(
        &self,
        actor: &VendorActor,
        user: Uuid,
        role: Role,
    ) -> Result<Membership, TenancyError> {
        members::add_member(self, actor, user, role).await
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
        api_keys::create_key(self, actor, name, role).await
    }

    async fn keys(&self, actor: &VendorActor) -> Result<Vec<ApiKey>, TenancyError> {
        require(actor, Role::Manager)?;
        api_keys::keys(self, actor).await
    }

    #[instrument(skip_all, fields(tenant_id = %actor.tenant))]
    async fn revoke_key(&self, actor: &VendorActor, id: Uuid) -> Result<ApiKey, TenancyError> {
        api_keys::revoke_key(self, actor, id).await
    }

    async fn authenticate_key(&self, token: &str) -> Result<Option<Principal>, TenancyError> {
        api_keys::authenticate_key(self, token).await
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
