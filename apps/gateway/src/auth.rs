//! Who is calling: the verified principal behind a request's `Authorization`
//! header, an access token (JWT) or an API key, and what it may do now.
//!
//! Authority comes from the current state, not from the token alone: on every
//! request a token's session must still be live, a vendor must not be suspended,
//! and a vendor token's holder must still be a member, acting with the lower of
//! the token's role and their current one.

use axum::http::{header, HeaderMap};
use souk_identity::Identity;
use souk_tenants::token::TokenVerifier;
use souk_tenants::Principal;
use souk_vendors::keys;
use souk_vendors::service::Tenancy;
use souk_vendors::{rank, TenantStatus};
use uuid::Uuid;

/// Why a request was refused before it ran.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the access token is invalid or expired")]
    BadToken(#[from] souk_tenants::token::AuthError),
    #[error("the API key is invalid or revoked")]
    BadKey,
    #[error("this session has ended; sign in again")]
    SessionEnded,
    #[error("this vendor is suspended")]
    Suspended,
    #[error("you are no longer a member of this vendor")]
    NotMember,
    #[error("credentials could not be checked: {0}")]
    Internal(String),
    #[error("credentials could not be checked for now: {0}")]
    Unavailable(String),
}

impl Refusal {
    /// The stable code the client sees.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed | Refusal::BadToken(_) | Refusal::BadKey => "UNAUTHENTICATED",
            Refusal::SessionEnded => "SESSION_REVOKED",
            Refusal::Suspended => "TENANT_SUSPENDED",
            Refusal::NotMember => "FORBIDDEN",
            Refusal::Internal(_) => "INTERNAL",
            Refusal::Unavailable(_) => "UNAVAILABLE",
        }
    }

    /// A failure of the store behind the credentials: a database fault is
    /// `Unavailable`, anything else `Internal`.
    pub fn failure(err: &(dyn std::error::Error + 'static)) -> Self {
        match souk_tenants::fault::classify(err) {
            Some(_) => Refusal::Unavailable(err.to_string()),
            None => Refusal::Internal(err.to_string()),
        }
    }
}

/// The bearer token of a request, if it sent one.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| Refusal::Malformed)?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(Some)
        .ok_or(Refusal::Malformed)
}

/// What [`authenticate`] consults.
#[derive(Debug, Clone, Copy)]
pub struct Authority<'a> {
    pub verifier: &'a TokenVerifier,
    pub tenancy: &'a dyn Tenancy,
    pub identity: &'a dyn Identity,
}

/// The principal of a request: `None` without credentials. Credentials that are
/// present must be valid and checked against the current state (see the module
/// documentation), so that sign-out, suspension, removal and demotion take effect
/// on the next request.
pub async fn authenticate(
    authority: Authority<'_>,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Refusal> {
    let Some(token) = bearer(headers)? else {
        return Ok(None);
    };
    let principal = if token.starts_with(keys::PREFIX) {
        authority
            .tenancy
            .authenticate_key(token)
            .await
            .map_err(|err| Refusal::failure(&err))?
            .ok_or(Refusal::BadKey)?
    } else {
        authority.verifier.verify(token)?
    };
    if let Some(session) = &principal.session {
        let session = Uuid::parse_str(session).map_err(|_| Refusal::SessionEnded)?;
        if !authority
            .identity
            .session_live(session)
            .await
            .map_err(|err| Refusal::failure(&err))?
        {
            return Err(Refusal::SessionEnded);
        }
    }
    if let Some(tenant) = principal.tenant {
        let status = authority
            .tenancy
            .status(tenant)
            .await
            .map_err(|err| Refusal::failure(&err))?;
        if !matches!(status, Some(TenantStatus::Active | TenantStatus::Pending)) {
            return Err(Refusal::Suspended);
        }
    }
    current_role(authority.tenancy, principal).await.map(Some)
}

/// A signed-in member's vendor token acts with the lower of its role and the
/// member's current one; a former member's is refused. API keys are capped by
/// their creator's current role when they are authenticated. Tokens without a
/// session are signed directly by the holder of the signing key (`souk
/// dev-token`, the demo) and act as signed.
async fn current_role(
    tenancy: &dyn Tenancy,
    mut principal: Principal,
) -> Result<Principal, Refusal> {
    let (Some(tenant), Some(_)) = (principal.tenant, &principal.session) else {
        return Ok(principal);
    };
    if !principal.role.is_vendor() {
        return Ok(principal);
    }
    let user = Uuid::parse_str(&principal.subject).map_err(|_| Refusal::NotMember)?;
    let current = tenancy
        .member_role(tenant, user)
        .await
        .map_err(|err| Refusal::failure(&err))?
        .ok_or(Refusal::NotMember)?;
    if rank(current) < rank(principal.role) {
        principal.role = current;
    }
    Ok(principal)
}
