//! What every service's GraphQL layer shares: one error type with a stable
//! `extensions.code`, and the request id that internal errors point to.

use async_graphql::{ErrorExtensionValues, Value};

use souk_tenants::AccessError;

pub mod audit;
pub mod input;
mod views;

pub use views::{shortage_value, MoneyView};

/// How long a client should wait before retrying an `UNAVAILABLE` answer.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The id of the request being served, for the client and for the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// An error as the client sees it: a stable code, a human message and optional
/// details. Deliberately not `Display`, so that a foreign error (sqlx, mongodb)
/// can never be `?`-converted into a GraphQL error by accident: services map
/// their domain errors into an `ApiError` explicitly.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: &'static str,
    message: String,
    details: Vec<(&'static str, Value)>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds a detail under `extensions.<key>`.
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.details.push((key, value.into()));
        self
    }

    /// An unexpected failure: the cause is logged here (inside the request's span,
    /// so with its request id) and never sent to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            "INTERNAL",
            "something went wrong on our side; quote the request id if you report it",
        )
    }

    /// A fault of a database (see [`crate::fault`]): logged, and answered
    /// `UNAVAILABLE`, which the gateway sends as HTTP 503 with `Retry-After`.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database unavailable");
        Self::new(
            "UNAVAILABLE",
            "the service is briefly unavailable; retry in a moment",
        )
        .with("retryAfterSeconds", RETRY_AFTER_SECONDS)
    }

    /// A failure from below the API: `UNAVAILABLE` when it is a database fault,
    /// `INTERNAL` otherwise.
    pub fn failure(err: &(dyn std::error::Error + 'static)) -> Self {
        match souk_tenants::fault::classify(err) {
            Some(_) => Self::unavailable(&err),
            None => Self::internal(&err),
        }
    }

    /// A bad argument, named.
    pub fn invalid_argument(argument: &str, message: impl std::fmt::Display) -> Self {
        Self::new("INVALID_ARGUMENT", format!("{argument}: {message}"))
            .with("argument", argument.to_string())
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", err.code);
        for (key, value) in err.details {
            extensions.set(key, value);
        }
        async_graphql::Error {
            message: err.message,
            source: None,
            extensions: Some(extensions),
        }
    }
}

/// An internal error is answered as a failure: `UNAVAILABLE` for a database fault,
/// `INTERNAL` otherwise, its cause logged and never shown.
impl From<souk_tenants::InternalError> for ApiError {
    fn from(err: souk_tenants::InternalError) -> Self {
        Self::failure(&err)
    }
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        let code = match err {
            AccessError::Unauthenticated => "UNAUTHENTICATED",
            AccessError::Forbidden => "FORBIDDEN",
        };
        ApiError::new(code, err.to_string())
    }
}

/// The client's address, as the gateway saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// Rate limits the GraphQL layer consults (per IP, per account, …). The gateway
/// provides them; `Err` carries how long to wait.
#[async_trait::async_trait]
pub trait Throttle: Send + Sync + 'static {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), std::time::Duration>;
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Sign-in attempts from one IP.
    LoginPerIp,
    /// Sign-in attempts for one account (by email).
    LoginPerAccount,
    /// Requests from one IP whose answer can tell whether an email address has an
    /// account: `accountExists`, `register` and `addVendorMember` share it.
    LookupPerIp,
}

impl std::fmt::Debug for dyn Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Throttle")
    }
}

/// Applies `bucket`'s limit to `key`, from the request's context.
pub async fn throttle(
    ctx: &async_graphql::Context<'_>,
    bucket: Bucket,
    key: &str,
) -> Result<(), ApiError> {
    let Ok(throttle) = ctx.data::<std::sync::Arc<dyn Throttle>>() else {
        return Ok(());
    };
    throttle.check(bucket, key).await.map_err(|wait| {
        let seconds = wait.as_secs().max(1);
        ApiError::new(
            "RATE_LIMITED",
            format!("too many attempts; try again in {seconds} s"),
        )
        .with("retryAfterSeconds", seconds)
    })
}

/// The client's IP as text, for rate-limit keys.
pub fn client_ip(ctx: &async_graphql::Context<'_>) -> String {
    ctx.data_opt::<ClientIp>()
        .map_or_else(|| "unknown".to_string(), |ip| ip.0.to_string())
}

/// The verified caller, if any.
pub fn principal<'a>(ctx: &'a async_graphql::Context<'_>) -> Option<&'a souk_tenants::Principal> {
    ctx.data_opt::<souk_tenants::Principal>()
}

/// The caller as a person (a user id in the token's subject): customers, admins
/// and vendor staff signed in as themselves, not API keys.
pub fn person<'a>(
    ctx: &'a async_graphql::Context<'_>,
) -> Result<(uuid::Uuid, &'a souk_tenants::Principal), ApiError> {
    let principal = principal(ctx).ok_or_else(|| ApiError::from(AccessError::Unauthenticated))?;
    let id = uuid::Uuid::parse_str(&principal.subject)
        .map_err(|_| ApiError::from(AccessError::Forbidden))?;
    Ok((id, principal))
}

/// The caller as a platform admin.
pub fn platform_admin(ctx: &async_graphql::Context<'_>) -> Result<(), ApiError> {
    match principal(ctx) {
        None => Err(AccessError::Unauthenticated.into()),
        Some(p) if p.role == souk_tenants::Role::PlatformAdmin => Ok(()),
        Some(_) => Err(AccessError::Forbidden.into()),
    }
}

/// The caller as vendor staff of one tenant.
pub fn vendor(ctx: &async_graphql::Context<'_>) -> Result<souk_tenants::VendorActor, ApiError> {
    souk_tenants::require_vendor(principal(ctx)).map_err(ApiError::from)
}

/// A service the schema was built with.
pub fn service<'a, T: ?Sized + Send + Sync + 'static>(
    ctx: &'a async_graphql::Context<'_>,
) -> Result<&'a std::sync::Arc<T>, ApiError> {
    ctx.data::<std::sync::Arc<T>>()
        .map_err(|err| ApiError::internal(&err.message))
}

/// Opaque cursors over `(created_at, id)` keys.
pub mod cursor {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::ApiError;

    pub fn encode(at: DateTime<Utc>, id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.timestamp_micros()))
    }

    pub fn decode(cursor: Option<String>) -> Result<Option<(DateTime<Utc>, Uuid)>, ApiError> {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let bad = || ApiError::invalid_argument("after", "not a cursor returned by this list");
        let raw = URL_SAFE_NO_PAD
            .decode(cursor.as_bytes())
            .map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .filter(|at| crate::input::storable_time(*at))
            .ok_or_else(bad)?;
        Ok(Some((at, Uuid::parse_str(id).map_err(|_| bad())?)))
    }
}

/// The largest page a connection query may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// A page fetched with one row more than `limit`: the first `limit` rows, and
/// whether there is a next page.
pub fn trim_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_next = rows.len() > limit;
    rows.truncate(limit);
    (rows, has_next)
}

/// The page size a connection query asked for: `first` defaults to `default`
/// and must be between 1 and [`MAX_PAGE_SIZE`].
pub fn page_size(first: Option<i32>, default: i32) -> Result<i64, ApiError> {
    let first = first.unwrap_or(default);
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(ApiError::invalid_argument(
            "first",
            format!("must be between 1 and {MAX_PAGE_SIZE}, got {first}"),
        ));
    }
    Ok(i64::from(first))
}
