//! Who is calling: the verified principal behind a request's `Authorization`
//! header, an access token (JWT) or an API key, and whether its vendor may act.

use axum::http::{header, HeaderMap};
use souk_tenants::token::TokenVerifier;
use souk_tenants::vendors::keys;
use souk_tenants::vendors::service::Tenancy;
use souk_tenants::vendors::TenantStatus;
use souk_tenants::Principal;

/// Why a request was refused before it ran.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the access token is invalid or expired")]
    BadToken(#[from] souk_tenants::token::AuthError),
    #[error("the API key is invalid or revoked")]
    BadKey,
    #[error("this vendor is suspended")]
    Suspended,
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
            Refusal::Suspended => "TENANT_SUSPENDED",
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

/// The principal of a request: `None` without credentials. Credentials that are
/// present must be valid, and a vendor-scoped caller's vendor must not be
/// suspended (checked on every request, so suspension takes effect at once).
pub async fn authenticate(
    verifier: &TokenVerifier,
    tenancy: &dyn Tenancy,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Refusal> {
    let Some(token) = bearer(headers)? else {
        return Ok(None);
    };
    let principal = if token.starts_with(keys::PREFIX) {
        tenancy
            .authenticate_key(token)
            .await
            .map_err(|err| Refusal::failure(&err))?
            .ok_or(Refusal::BadKey)?
    } else {
        verifier.verify(token)?
    };
    if let Some(tenant) = principal.tenant {
        let status = tenancy
            .status(tenant)
            .await
            .map_err(|err| Refusal::failure(&err))?;
        if !matches!(status, Some(TenantStatus::Active | TenantStatus::Pending)) {
            return Err(Refusal::Suspended);
        }
    }
    Ok(Some(principal))
}
