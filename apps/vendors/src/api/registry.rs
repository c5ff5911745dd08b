//! The platform admins' vendor registry: every vendor, and approving,
//! suspending and reactivating them.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};

use super::{tenancy, StatusView, VendorView};
use souk_edge::{cursor, page_size, platform_admin, trim_page, ApiError};
use souk_tenants::TenantId;

#[derive(Debug, Default)]
pub struct RegistryQuery;

#[Object]
impl RegistryQuery {
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
pub struct RegistryMutation;

#[Object]
impl RegistryMutation {
    /// Platform admins: a pending vendor becomes active.
    async fn approve_vendor(&self, ctx: &Context<'_>, id: ID) -> Result<VendorView> {
        admin_transition(ctx, &id, Transition::Approve).await
    }

    /// Platform admins: suspends a vendor; its staff are refused at once by this
    /// gateway, and within 2 s by the others.
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
