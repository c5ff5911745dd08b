//! The one unexpected-failure type every service shares.
//!
//! An [`InternalError`] is a failure no caller can act on: a lost database, a bug.
//! It keeps its cause as a source, so the edge can still tell a database fault
//! (answered `UNAVAILABLE`) from a bug (answered `INTERNAL`), and it never shows
//! that cause to a client. Any error becomes one with [`IntErr::int_err`];
//! PostgreSQL's, MongoDB's and the tenant scope's errors also convert with `?`.

use std::error::Error;

/// An unexpected failure; its cause is logged where handled, never shown.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct InternalError(#[source] Box<dyn Error + Send + Sync>);

impl InternalError {
    pub fn new(err: impl Error + Send + Sync + 'static) -> Self {
        Self(Box::new(err))
    }

    /// An internal error with only a message (a broken invariant).
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into().into())
    }
}

/// `.int_err()`: turns any error into an [`InternalError`].
pub trait IntErr<T> {
    fn int_err(self) -> Result<T, InternalError>;
}

impl<T, E: Error + Send + Sync + 'static> IntErr<T> for Result<T, E> {
    fn int_err(self) -> Result<T, InternalError> {
        self.map_err(InternalError::new)
    }
}

impl From<sqlx::Error> for InternalError {
    fn from(err: sqlx::Error) -> Self {
        Self::new(err)
    }
}

impl From<mongodb::error::Error> for InternalError {
    fn from(err: mongodb::error::Error) -> Self {
        Self::new(err)
    }
}

impl From<crate::mongo::ScopeError> for InternalError {
    fn from(err: crate::mongo::ScopeError) -> Self {
        Self::new(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{classify, Fault};

    #[test]
    fn a_database_fault_stays_visible_through_the_internal_error() {
        let err: InternalError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(classify(&err), Some(Fault::Saturated));
    }

    #[test]
    fn any_error_converts_and_keeps_its_message() {
        let parsed: Result<i64, _> = "x".parse::<i64>();
        let Err(err) = parsed.int_err() else {
            panic!("\"x\" is not a number");
        };
        assert!(err.to_string().starts_with("internal error: invalid digit"));
        assert!(classify(&err).is_none());
    }
}
