//! The identity boundary: what the GraphQL layer, tenancy's directory and the
//! worker call.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    Address, AddressError, AddressId, AddressInput, Email, IdentityError, InternalError,
    LoginError, NotificationPreferences, PreferencesChange, ProfileChange, RegisterError,
    Registration, Session, User, UserId,
};

/// Everything identity does.
#[async_trait]
pub trait Identity: Send + Sync + 'static {
    async fn register(&self, registration: Registration) -> Result<User, RegisterError>;
    /// Signs in. A wrong email and a wrong password fail alike, in about the same time.
    async fn login(&self, email: &str, password: &str) -> Result<Session, LoginError>;
    /// Rotates a refresh token. Presenting a token that was already rotated revokes
    /// its whole family (the session), the current token included.
    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError>;
    /// Ends the session the refresh token belongs to.
    async fn logout(&self, refresh_token: &str) -> Result<(), IdentityError>;
    /// Whether a session (an access token's `sid`) is still live. The answer may
    /// be up to [`AUTHORITY_TTL`] old, but a session ended through this service
    /// reads as ended at once.
    async fn session_live(&self, session: Uuid) -> Result<bool, InternalError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, InternalError>;
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, InternalError>;
    async fn update_profile(
        &self,
        id: UserId,
        change: ProfileChange,
    ) -> Result<User, IdentityError>;
    /// The preferences of each of `users`, in that order (the defaults for
    /// those who never changed one, or have no account).
    async fn notification_preferences(
        &self,
        users: &[UserId],
    ) -> Result<Vec<NotificationPreferences>, InternalError>;
    async fn update_notification_preferences(
        &self,
        user: UserId,
        change: PreferencesChange,
    ) -> Result<NotificationPreferences, IdentityError>;
    /// Changes the password and revokes every session but `keep`.
    async fn change_password(
        &self,
        id: UserId,
        keep: Option<Uuid>,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError>;
    async fn account_exists(&self, email: &Email) -> Result<bool, InternalError>;
    async fn users(
        &self,
        search: Option<&str>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<User>, InternalError>;
    /// Makes an existing account a platform admin.
    async fn promote_to_admin(&self, email: &Email) -> Result<Option<User>, InternalError>;

    async fn add_address(
        &self,
        user: UserId,
        fields: AddressInput,
    ) -> Result<Address, AddressError>;
    async fn addresses(&self, user: UserId) -> Result<Vec<Address>, AddressError>;
    async fn address(&self, user: UserId, id: AddressId) -> Result<Address, AddressError>;
    async fn update_address(
        &self,
        user: UserId,
        id: AddressId,
        fields: AddressInput,
    ) -> Result<Address, AddressError>;
    /// Deletes an address; deleting the default makes the newest remaining one default.
    async fn delete_address(&self, user: UserId, id: AddressId) -> Result<(), AddressError>;
    async fn set_default_address(
        &self,
        user: UserId,
        id: AddressId,
    ) -> Result<Address, AddressError>;
}

impl std::fmt::Debug for dyn Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Identity")
    }
}
