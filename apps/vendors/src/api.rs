//! Tenancy's GraphQL: vendor onboarding, members, API keys, and the platform
//! admins' vendor registry.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::service::{ApiKey, Tenancy};
use crate::{Membership, Slug, TenancyError, TenantStatus, Vendor, VendorName};
use souk_edge::{
    client_ip, cursor, page_size, person, platform_admin, service, throttle, trim_page, vendor,
    ApiError, Bucket,
};
use souk_tenants::fault::Failure;
use souk_tenants::token::TokenIssuer;
use souk_tenants::{Role, TenantId};

/// People, as tenancy needs them: found by email, shown by email. The gateway
/// provides it over the identity service.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    async fn user_id_by_email(&self, email: &str) -> Result<Option<Uuid>, Failure>;
    async fn email_of(&self, user: Uuid) -> Result<Option<String>, Failure>;
}

impl std::fmt::Debug for dyn Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Directory")
    }
}

/// How vendor-scoped access tokens are signed and how long they live.
#[derive(Debug, Clone)]
pub struct AccessTokens {
    pub issuer: Arc<TokenIssuer>,
    pub ttl: Duration,
}

impl From<TenancyError> for ApiError {
    fn from(err: TenancyError) -> Self {
        let code = match &err {
            TenancyError::SlugTaken => "SLUG_TAKEN",
            TenancyError::VendorNotFound
            | TenancyError::MemberNotFound
            | TenancyError::KeyNotFound => "NOT_FOUND",
            TenancyError::NotMember | TenancyError::Forbidden => "FORBIDDEN",
            TenancyError::Suspended => "TENANT_SUSPENDED",
            TenancyError::AlreadyMember => "ALREADY_MEMBER",
            TenancyError::LastOwner => "LAST_OWNER",
            TenancyError::RoleTooHigh => "ROLE_TOO_HIGH",
            TenancyError::InvalidStatus(_) => "INVALID_TRANSITION",
            TenancyError::Internal(inner) => return ApiError::failure(inner),
        };
        ApiError::new(code, err.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "VendorStatus")]
pub enum StatusView {
    Pending,
    Active,
    Suspended,
}

impl From<TenantStatus> for StatusView {
    fn from(status: TenantStatus) -> Self {
        match status {
            TenantStatus::Pending => Self::Pending,
            TenantStatus::Active => Self::Active,
            TenantStatus::Suspended => Self::Suspended,
        }
    }
}

impl From<StatusView> for TenantStatus {
    fn from(status: StatusView) -> Self {
        match status {
            StatusView::Pending => Self::Pending,
            StatusView::Active => Self::Active,
            StatusView::Suspended => Self::Suspended,
        }
    }
}

/// A vendor role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "VendorRole")]
pub enum RoleView {
    Owner,
    Manager,
    Staff,
}

impl From<RoleView> for Role {
    fn from(role: RoleView) -> Self {
        match role {
            RoleView::Owner => Role::Owner,
            RoleView::Manager => Role::Manager,
            RoleView::Staff => Role::Staff,
        }
    }
}

impl RoleView {
    fn of(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Manager => Self::Manager,
            _ => Self::Staff,
        }
    }
}

/// A vendor (a tenant of the platform).
#[derive(Debug, SimpleObject)]
#[graphql(name = "Vendor")]
pub struct VendorView {
    pub id: ID,
    pub name: String,
    pub slug: String,
    pub status: StatusView,
    pub created_at: DateTime<Utc>,
}

impl From<Vendor> for VendorView {
    fn from(vendor: Vendor) -> Self {
        Self {
            id: ID(vendor.id.to_string()),
            name: vendor.name,
            slug: vendor.slug,
            status: vendor.status.into(),
            created_at: vendor.created_at,
        }
    }
}

/// A vendor the caller belongs to, and their role there.
#[derive(Debug, SimpleObject)]
pub struct MyVendor {
    pub vendor: VendorView,
    pub role: RoleView,
}

/// An access token scoped to one vendor.
#[derive(Debug, SimpleObject)]
pub struct VendorAccess {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub vendor: VendorView,
    pub role: RoleView,
}

/// A member of the caller's vendor.
#[derive(Debug)]
pub struct MemberView(Membership);

#[Object(name = "VendorMember")]
impl MemberView {
    async fn user_id(&self) -> ID {
        ID(self.0.user.to_string())
    }
    async fn role(&self) -> RoleView {
        RoleView::of(self.0.role)
    }
    async fn since(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The member's email address.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let directory = service::<dyn Directory>(ctx)?;
        Ok(directory
            .email_of(self.0.user)
            .await
            .map_err(|cause| ApiError::failure(&cause))?)
    }
}

/// An API key, as listed (never its secret).
#[derive(Debug)]
pub struct ApiKeyView(ApiKey);

#[Object(name = "ApiKey")]
impl ApiKeyView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The start of the key, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn role(&self) -> RoleView {
        RoleView::of(crate::vendor_role(&self.0.role).unwrap_or(Role::Staff))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new API key with its secret, shown this once.
#[derive(Debug, SimpleObject)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    /// Send as `Authorization: Bearer <secret>`. Stored only as a hash: copy it now.
    pub secret: String,
}

fn tenancy<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Tenancy>, ApiError> {
    service::<dyn Tenancy>(ctx)
}

fn parse_id(raw: &str, argument: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::invalid_argument(argument, "not an id"))
}

#[derive(Debug, Default)]
pub struct TenancyQuery;

#[Object]
impl TenancyQuery {
    /// The vendors the signed-in person belongs to.
    async fn my_vendors(&self, ctx: &Context<'_>) -> Result<Vec<MyVendor>> {
        let (user, _) = person(ctx)?;
        let vendors = tenancy(ctx)?
            .my_vendors(user)
            .await
            .map_err(ApiError::from)?;
        Ok(vendors
            .into_iter()
            .map(|(vendor, role)| MyVendor {
                vendor: vendor.into(),
                role: RoleView::of(role),
            })
            .collect())
    }

    /// The members of the caller's vendor.
    async fn vendor_members(&self, ctx: &Context<'_>) -> Result<Vec<MemberView>> {
        let actor = vendor(ctx)?;
        let members = tenancy(ctx)?
            .members(&actor)
            .await
            .map_err(ApiError::from)?;
        Ok(members.into_iter().map(MemberView).collect())
    }

    /// The API keys of the caller's vendor (owners and managers).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKeyView>> {
        let actor = vendor(ctx)?;
        let keys = tenancy(ctx)?.keys(&actor).await.map_err(ApiError::from)?;
        Ok(keys.into_iter().map(ApiKeyView).collect())
    }

    /// Platform admins: every vendor, oldest first.
    async fn vendors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matches name or slug, literally, ignoring case.")] search: Option<String>,
        status: Option<StatusView>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, VendorView>> {
        platform_admin(ctx)?;
        let limit = page_size(first, 20)?;
        let after = cursor::decode(after)?;
        let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > 100) {
            return Err(ApiError::invalid_argument("search", "at most 100 characters").into());
        }
        let vendors = tenancy(ctx)?
            .vendors(search, status.map(Into::into), after, limit + 1)
            .await
            .map_err(ApiError::from)?;
        let (vendors, has_next) = trim_page(vendors, limit);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(vendors.into_iter().map(|vendor| {
            Edge::new(
                cursor::encode(vendor.created_at, vendor.id.as_uuid()),
                VendorView::from(vendor),
            )
        }));
        Ok(connection)
    }
}

#[derive(Debug, Default)]
pub struct TenancyMutation;

#[Object]
impl TenancyMutation {
    /// Opens a vendor with the caller as its owner.
    async fn register_vendor(
        &self,
        ctx: &Context<'_>,
        name: String,
        slug: String,
    ) -> Result<VendorView> {
        let (user, _) = person(ctx)?;
        let name = VendorName::parse(&name).map_err(|e| ApiError::invalid_argument("name", e))?;
        let slug = Slug::parse(&slug).map_err(|e| ApiError::new("INVALID_SLUG", e.0))?;
        let vendor = tenancy(ctx)?
            .register_vendor(user, name, slug)
            .await
            .map_err(ApiError::from)?;
        Ok(vendor.into())
    }

    /// An access token for acting in one of the caller's vendors, with their role
    /// there (checked against the membership now), in the caller's session: it
    /// stops working when the session ends. Only signed-in people with a live
    /// session get one (the gateway refuses an ended session's tokens).
    async fn select_vendor(&self, ctx: &Context<'_>, vendor_id: ID) -> Result<VendorAccess> {
        let (user, principal) = person(ctx)?;
        let session = principal
            .session
            .as_deref()
            .ok_or_else(|| ApiError::new("UNAUTHENTICATED", "sign in to select a vendor"))?;
        let tenant = TenantId::parse(&vendor_id)
            .map_err(|_| ApiError::invalid_argument("vendorId", "not an id"))?;
        let (vendor, role) = tenancy(ctx)?
            .select_vendor(user, tenant)
            .await
            .map_err(ApiError::from)?;
        let tokens = ctx
            .data::<AccessTokens>()
            .map_err(|_| ApiError::new("UNAVAILABLE", "this server cannot issue tokens"))?;
        let access_token = tokens
            .issuer
            .issue_in_session(
                &user.to_string(),
                Some(tenant),
                role,
                Some(session),
                tokens.ttl,
            )
            .map_err(|err| ApiError::internal(&err))?;
        Ok(VendorAccess {
            access_token,
            expires_at: Utc::now() + chrono::Duration::from_std(tokens.ttl).unwrap_or_default(),
            vendor: vendor.into(),
            role: RoleView::of(role),
        })
    }

    /// Owners: adds a person (by the email of their account) to the vendor. Since
    /// the answer tells whether the email has an account, it is rate limited per
    /// client address together with `accountExists` and `register`.
    async fn add_vendor_member(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: RoleView,
    ) -> Result<MemberView> {
        let actor = vendor(ctx)?;
        throttle(ctx, Bucket::LookupPerIp, &client_ip(ctx)).await?;
        let directory = service::<dyn Directory>(ctx)?;
        let user = directory
            .user_id_by_email(&email)
            .await
            .map_err(|cause| ApiError::failure(&cause))?
            .ok_or_else(|| ApiError::new("NOT_FOUND", "no account with that email address"))?;
        let added = tenancy(ctx)?
            .add_member(&actor, user, role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(MemberView(added))
    }

    /// Owners: changes a member's role; a vendor keeps at least one owner.
    async fn change_vendor_member_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: RoleView,
    ) -> Result<MemberView> {
        let actor = vendor(ctx)?;
        let user = parse_id(&user_id, "userId")?;
        let changed = tenancy(ctx)?
            .change_role(&actor, user, role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(MemberView(changed))
    }

    /// Owners: removes a member; a vendor keeps at least one owner.
    async fn remove_vendor_member(&self, ctx: &Context<'_>, user_id: ID) -> Result<bool> {
        let actor = vendor(ctx)?;
        let user = parse_id(&user_id, "userId")?;
        tenancy(ctx)?
            .remove_member(&actor, user)
            .await
            .map_err(ApiError::from)?;
        Ok(true)
    }

    /// Owners and managers: a key for an integration, with a role no higher than
    /// the caller's. The secret is shown once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        role: RoleView,
    ) -> Result<CreatedApiKey> {
        let actor = vendor(ctx)?;
        let name = VendorName::parse(&name)
            .map_err(|_| ApiError::invalid_argument("name", "1 to 100 characters"))?;
        let (key, secret) = tenancy(ctx)?
            .create_key(&actor, name.as_str(), role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(CreatedApiKey {
            key: ApiKeyView(key),
            secret,
        })
    }

    /// Owners and managers: revokes a key; it stops working at once.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKeyView> {
        let actor = vendor(ctx)?;
        let id = parse_id(&id, "id")?;
        let key = tenancy(ctx)?
            .revoke_key(&actor, id)
            .await
            .map_err(ApiError::from)?;
        Ok(ApiKeyView(key))
    }

    /// Platform admins: a pending vendor becomes active.
    async fn approve_vendor(&self, ctx: &Context<'_>, id: ID) -> Result<VendorView> {
        admin_transition(ctx, &id, Transition::Approve).await
    }

    /// Platform admins: suspends a vendor; its staff are refused at once.
    async fn suspend_vendor(&self, ctx: &Context<'_>, id: ID) -> Result<VendorView> {
        admin_transition(ctx, &id, Transition::Suspend).await
    }

    /// Platform admins: a suspended vendor becomes active again.
    async fn reactivate_vendor(&self, ctx: &Context<'_>, id: ID) -> Result<VendorView> {
        admin_transition(ctx, &id, Transition::Reactivate).await
    }
}

#[derive(Debug, Clone, Copy)]
enum Transition {
    Approve,
    Suspend,
    Reactivate,
}

async fn admin_transition(
    ctx: &Context<'_>,
    id: &str,
    transition: Transition,
) -> Result<VendorView> {
    platform_admin(ctx)?;
    let tenant = TenantId::parse(id).map_err(|_| ApiError::invalid_argument("id", "not an id"))?;
    let tenancy = tenancy(ctx)?;
    let vendor = match transition {
        Transition::Approve => tenancy.approve(tenant).await,
        Transition::Suspend => tenancy.suspend(tenant).await,
        Transition::Reactivate => tenancy.reactivate(tenant).await,
    }
    .map_err(ApiError::from)?;
    Ok(vendor.into())
}
