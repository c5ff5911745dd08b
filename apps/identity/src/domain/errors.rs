//! One error enum per operation, plus an opaque internal error.

/// An unexpected failure; its cause is logged where handled, never shown.
#[derive(Debug, thiserror::Error)]
#[error("identity internal error: {0}")]
pub struct InternalError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl InternalError {
    pub fn new(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(err))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("an account with that email address already exists")]
    EmailTaken,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The same for an unknown email and a wrong password.
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Sessions, profiles and passwords.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the refresh token is invalid, expired or revoked; sign in again")]
    InvalidRefreshToken,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("{0}")]
    WeakPassword(String),
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("no such address")]
    NotFound,
    #[error("an account has at most {0} addresses")]
    TooMany(usize),
    #[error(transparent)]
    Internal(#[from] InternalError),
}
