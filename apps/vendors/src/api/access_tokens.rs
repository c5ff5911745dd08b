//! Vendor-scoped access tokens: selecting one of the caller's vendors.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{tenancy, RoleView, VendorView};
use souk_edge::{person, ApiError};
use souk_tenants::token::TokenIssuer;
use souk_tenants::TenantId;

/// How vendor-scoped access tokens are signed and how long they live.
#[derive(Debug, Clone)]
pub struct AccessTokens {
    pub issuer: Arc<TokenIssuer>,
    pub ttl: Duration,
}

/// An access token scoped to one vendor.
#[derive(Debug, SimpleObject)]
pub struct VendorAccess {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub vendor: VendorView,
    pub role: RoleView,
}

#[derive(Debug, Default)]
pub struct AccessTokensMutation;

#[Object]
impl AccessTokensMutation {
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
}
