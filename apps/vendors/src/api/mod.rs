//! Tenancy's GraphQL: vendor onboarding, members, API keys, and the platform
//! admins' vendor registry.
//!
//! * [`vendors`]: the vendors a person belongs to, and opening one;
//! * [`access_tokens`]: selecting a vendor, for a token scoped to it;
//! * [`members`]: a vendor's members;
//! * [`api_keys`]: a vendor's API keys;
//! * [`registry`]: the platform admins' vendor registry.
//!
//! [`TenancyQuery`] and [`TenancyMutation`] merge their parts, field order kept.

mod access_tokens;
mod api_keys;
mod members;
mod registry;
mod vendors;

use std::sync::Arc;

use async_graphql::{Context, Enum, MergedObject};
use async_trait::async_trait;
use uuid::Uuid;

use crate::service::Tenancy;
use crate::TenancyError;
use souk_edge::{service, ApiError};
use souk_tenants::fault::Failure;
use souk_tenants::Role;

pub use access_tokens::{AccessTokens, VendorAccess};
pub use api_keys::{ApiKeyView, CreatedApiKey};
pub use members::MemberView;
pub use vendors::{MyVendor, StatusView, VendorView};

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

fn tenancy<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Tenancy>, ApiError> {
    service::<dyn Tenancy>(ctx)
}

fn parse_id(raw: &str, argument: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::invalid_argument(argument, "not an id"))
}

#[derive(Debug, Default, MergedObject)]
pub struct TenancyQuery(
    vendors::VendorsQuery,
    members::MembersQuery,
    api_keys::ApiKeysQuery,
    registry::RegistryQuery,
);

#[derive(Debug, Default, MergedObject)]
pub struct TenancyMutation(
    vendors::VendorsMutation,
    access_tokens::AccessTokensMutation,
    members::MembersMutation,
    api_keys::ApiKeysMutation,
    registry::RegistryMutation,
);
