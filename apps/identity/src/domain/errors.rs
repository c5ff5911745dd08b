//! One error enum per operation, plus an opaque internal error.

pub use souk_tenants::InternalError;

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
