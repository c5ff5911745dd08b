//! What every service's GraphQL layer shares: one error type with a stable
//! `extensions.code`, and the request id that internal errors point to.

use async_graphql::{ErrorExtensionValues, Value};

use crate::principal::AccessError;

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

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        let code = match err {
            AccessError::Unauthenticated => "UNAUTHENTICATED",
            AccessError::Forbidden => "FORBIDDEN",
        };
        ApiError::new(code, err.to_string())
    }
}

/// The largest page a connection query may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

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
