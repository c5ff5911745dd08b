//! Vendors as their people see them: the ones they belong to, and opening one.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{tenancy, RoleView};
use crate::{Slug, TenantStatus, Vendor, VendorName};
use souk_edge::{person, ApiError};

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

#[derive(Debug, Default)]
pub struct VendorsQuery;

#[Object]
impl VendorsQuery {
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
}

#[derive(Debug, Default)]
pub struct VendorsMutation;

#[Object]
impl VendorsMutation {
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
}
