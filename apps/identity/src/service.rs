//! The identity boundary and its PostgreSQL implementation.

use souk_tenants::IntErr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use souk_tenants::recent::{Recent, AUTHORITY_TTL};
use souk_tenants::token::TokenIssuer;
use sqlx::PgPool;
use tracing::instrument;
use uuid::Uuid;

use crate::domain::{
    Address, AddressError, AddressId, AddressInput, Email, IdentityError, InternalError,
    LoginError, NotificationPreferences, Password, PreferencesChange, ProfileChange, RegisterError,
    Registration, Session, User, UserId,
};
use crate::hashing::PasswordHasher;
use crate::store::{addresses, preferences, users, violates};

mod boundary;

pub use boundary::Identity;

/// The most addresses one account keeps.
pub const MAX_ADDRESSES: usize = 50;

/// How long tokens live.
#[derive(Debug, Clone, Copy)]
pub struct TokenLifetimes {
    pub access: Duration,
    pub refresh: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access: Duration::from_secs(15 * 60),
            refresh: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// [`Identity`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgIdentity {
    pub(crate) pool: PgPool,
    hasher: PasswordHasher,
    pub(crate) issuer: Option<Arc<TokenIssuer>>,
    pub(crate) lifetimes: TokenLifetimes,
    /// Recent answers to "is this session live?".
    pub(crate) live: Arc<Recent<Uuid, bool>>,
    /// The platform role's pool, for making platform admins (the app role cannot).
    platform: Option<PgPool>,
}

/// How many sessions' liveness is remembered.
const LIVE_SESSIONS_CACHED: usize = 100_000;

pub(crate) fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub(crate) fn new_refresh_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn expires_in(ttl: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(30))
}

impl PgIdentity {
    /// Without an issuer the service still manages accounts but cannot sign anyone in.
    pub fn new(
        pool: PgPool,
        hasher: PasswordHasher,
        issuer: Option<Arc<TokenIssuer>>,
        lifetimes: TokenLifetimes,
    ) -> Self {
        Self {
            pool,
            hasher,
            issuer,
            lifetimes,
            live: Arc::new(Recent::new(AUTHORITY_TTL, LIVE_SESSIONS_CACHED)),
            platform: None,
        }
    }

    /// Lets this service make platform admins, through the platform role's pool.
    pub fn with_platform(mut self, platform: PgPool) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Creates an account directly (the first platform admin is made this way).
    pub async fn create_account(
        &self,
        registration: Registration,
        platform_admin: bool,
    ) -> Result<User, RegisterError> {
        let hash = self.hasher.hash(&registration.password).await?;
        let inserted = users::insert(
            &self.pool,
            users::NewUser {
                id: UserId::generate(),
                email: &registration.email,
                password_hash: &hash,
                first_name: &registration.first_name.into_inner(),
                last_name: &registration.last_name.into_inner(),
                phone: registration.phone.map(|p| p.into_inner()).as_deref(),
            },
        )
        .await;
        let user = match inserted {
            Ok(user) => user,
            Err(err) if violates(&err, "users_email_key") => return Err(RegisterError::EmailTaken),
            Err(err) => return Err(InternalError::new(err).into()),
        };
        if !platform_admin {
            return Ok(user);
        }
        self.promote_to_admin(&user.email).await?.ok_or_else(|| {
            InternalError::new(std::io::Error::other("the new account vanished")).into()
        })
    }

    /// Runs `work` in a transaction holding the owner's account lock.
    async fn with_owner<T>(
        &self,
        user: UserId,
        work: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, AddressError>,
    ) -> Result<T, AddressError> {
        let mut tx = self.pool.begin().await.int_err()?;
        if !addresses::lock_owner(&mut tx, user).await.int_err()? {
            return Err(AddressError::NotFound);
        }
        let value = work(&mut tx).await?;
        tx.commit().await.int_err()?;
        Ok(value)
    }
}

#[async_trait]
impl Identity for PgIdentity {
    #[instrument(skip_all)]
    async fn register(&self, registration: Registration) -> Result<User, RegisterError> {
        self.create_account(registration, false).await
    }

    #[instrument(skip_all)]
    async fn login(&self, email: &str, password: &str) -> Result<Session, LoginError> {
        let candidate = Password::candidate(password);
        let account = match Email::parse(email) {
            Ok(email) => users::credentials(&self.pool, &email).await.int_err()?,
            Err(_) => None,
        };
        let (user, hash) = match account {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let verified = match &candidate {
            Ok(candidate) => self.hasher.verify(candidate, hash).await?,
            Err(_) => {
                // Same work as a real check, so the answer's timing says nothing.
                let filler = Password::candidate("wrong password for timing")
                    .map_err(|e| InternalError::msg(e.0))?;
                self.hasher.verify(&filler, None).await?
            }
        };
        match user {
            Some(user) if verified => Ok(self.open_session(user).await?),
            _ => Err(LoginError::InvalidCredentials),
        }
    }

    #[instrument(skip_all)]
    async fn refresh(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        self.rotate(refresh_token).await
    }

    #[instrument(skip_all)]
    async fn logout(&self, refresh_token: &str) -> Result<(), IdentityError> {
        self.end_session(refresh_token).await
    }

    async fn session_live(&self, session: Uuid) -> Result<bool, InternalError> {
        self.live_session(session).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, InternalError> {
        users::get(&self.pool, id).await.int_err()
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, InternalError> {
        Ok(users::credentials(&self.pool, email)
            .await
            .int_err()?
            .map(|(user, _)| user))
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn update_profile(
        &self,
        id: UserId,
        change: ProfileChange,
    ) -> Result<User, IdentityError> {
        let first = change.first_name.map(|n| n.into_inner());
        let last = change.last_name.map(|n| n.into_inner());
        let phone = change.phone.map(|p| p.map(|p| p.into_inner()));
        users::update_profile(
            &self.pool,
            id,
            first.as_deref(),
            last.as_deref(),
            phone.as_ref().map(|p| p.as_deref()),
        )
        .await
        .int_err()?
        .ok_or(IdentityError::NotFound)
    }

    async fn notification_preferences(
        &self,
        users: &[UserId],
    ) -> Result<Vec<NotificationPreferences>, InternalError> {
        let ids: Vec<Uuid> = users.iter().map(|u| u.0).collect();
        let chosen = preferences::of(&self.pool, &ids).await.int_err()?;
        Ok(ids
            .iter()
            .map(|id| {
                chosen
                    .iter()
                    .find(|(user, _)| user == id)
                    .map_or_else(NotificationPreferences::default, |(_, p)| *p)
            })
            .collect())
    }

    #[instrument(skip_all, fields(user_id = %user))]
    async fn update_notification_preferences(
        &self,
        user: UserId,
        change: PreferencesChange,
    ) -> Result<NotificationPreferences, IdentityError> {
        match preferences::update(&self.pool, user, change).await {
            Ok(chosen) => Ok(chosen),
            Err(err)
                if err.as_database_error().and_then(|e| e.code()).as_deref() == Some("23503") =>
            {
                Err(IdentityError::NotFound)
            }
            Err(err) => Err(err).int_err().map_err(IdentityError::from),
        }
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn change_password(
        &self,
        id: UserId,
        keep: Option<Uuid>,
        current: &str,
        new: &str,
    ) -> Result<(), IdentityError> {
        let user = users::get(&self.pool, id)
            .await
            .int_err()?
            .ok_or(IdentityError::NotFound)?;
        let new =
            Password::parse(new, &user.email).map_err(|e| IdentityError::WeakPassword(e.0))?;
        let current = Password::candidate(current).map_err(|_| IdentityError::WrongPassword)?;
        let mut tx = self.pool.begin().await.int_err()?;
        let stored = users::password_hash(&mut tx, id).await.int_err()?;
        if !self.hasher.verify(&current, stored).await? {
            return Err(IdentityError::WrongPassword);
        }
        let hash = self.hasher.hash(&new).await?;
        users::set_password(&mut tx, id, &hash).await.int_err()?;
        let ended = self.end_other_sessions(&mut tx, id, keep).await?;
        tx.commit().await.int_err()?;
        self.forget_sessions(&ended);
        Ok(())
    }

    async fn account_exists(&self, email: &Email) -> Result<bool, InternalError> {
        users::exists(&self.pool, email).await.int_err()
    }

    async fn users(
        &self,
        search: Option<&str>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<User>, InternalError> {
        users::search(&self.pool, search, after, limit)
            .await
            .int_err()
    }

    async fn promote_to_admin(&self, email: &Email) -> Result<Option<User>, InternalError> {
        let platform = self.platform.as_ref().ok_or_else(|| {
            InternalError::new(std::io::Error::other(
                "making a platform admin needs the platform database role",
            ))
        })?;
        users::make_platform_admin(platform, email).await.int_err()
    }

    #[instrument(skip_all, fields(user_id = %user))]
    async fn add_address(
        &self,
        user: UserId,
        fields: AddressInput,
    ) -> Result<Address, AddressError> {
        self.with_owner(user, async |tx| {
            let existing = addresses::count(tx, user).await.int_err()?;
            if existing >= MAX_ADDRESSES as i64 {
                return Err(AddressError::TooMany(MAX_ADDRESSES));
            }
            addresses::insert(tx, user, &fields, existing == 0)
                .await
                .map_err(|e| InternalError::new(e).into())
        })
        .await
    }

    async fn addresses(&self, user: UserId) -> Result<Vec<Address>, AddressError> {
        let mut conn = self.pool.acquire().await.int_err()?;
        addresses::list(&mut conn, user)
            .await
            .map_err(|e| InternalError::new(e).into())
    }

    async fn address(&self, user: UserId, id: AddressId) -> Result<Address, AddressError> {
        let mut conn = self.pool.acquire().await.int_err()?;
        addresses::get(&mut conn, user, id)
            .await
            .int_err()?
            .ok_or(AddressError::NotFound)
    }

    #[instrument(skip_all, fields(user_id = %user))]
    async fn update_address(
        &self,
        user: UserId,
        id: AddressId,
        fields: AddressInput,
    ) -> Result<Address, AddressError> {
        self.with_owner(user, async |tx| {
            addresses::update(tx, user, id, &fields)
                .await
                .int_err()?
                .ok_or(AddressError::NotFound)
        })
        .await
    }

    #[instrument(skip_all, fields(user_id = %user))]
    async fn delete_address(&self, user: UserId, id: AddressId) -> Result<(), AddressError> {
        self.with_owner(user, async |tx| {
            match addresses::delete(tx, user, id).await.int_err()? {
                None => Err(AddressError::NotFound),
                Some(true) => addresses::promote_newest(tx, user)
                    .await
                    .map_err(|e| InternalError::new(e).into()),
                Some(false) => Ok(()),
            }
        })
        .await
    }

    #[instrument(skip_all, fields(user_id = %user))]
    async fn set_default_address(
        &self,
        user: UserId,
        id: AddressId,
    ) -> Result<Address, AddressError> {
        self.with_owner(user, async |tx| {
            if !addresses::set_default(tx, user, id).await.int_err()? {
                return Err(AddressError::NotFound);
            }
            addresses::get(tx, user, id)
                .await
                .int_err()?
                .ok_or(AddressError::NotFound)
        })
        .await
    }
}
