//! Sessions on PostgreSQL: signing in, rotating refresh tokens, signing out, and
//! whether a session is still live.
//!
//! Each operation on a session is one transaction that locks the session's row
//! first. Of two presenters of one refresh token, the first rotates it; the
//! second then finds it rotated — a replay — and revokes the whole family, the
//! token the first just received included.

use chrono::{DateTime, Utc};
use souk_tenants::IntErr;
use souk_tenants::Role;
use uuid::Uuid;

use crate::domain::{IdentityError, InternalError, Session, User, UserId};
use crate::service::{expires_in, hash_token, new_refresh_token, PgIdentity};
use crate::store::sessions::{self, TokenState};
use crate::store::users;

/// A refresh token made for a session, and when it expires.
struct NewRefresh {
    token: String,
    expires_at: DateTime<Utc>,
}

impl PgIdentity {
    /// Signs `user` in: a new session with its first refresh token.
    pub(crate) async fn open_session(&self, user: User) -> Result<Session, InternalError> {
        self.signer()?;
        let session = Uuid::now_v7();
        let mut tx = self.pool.begin().await.int_err()?;
        sessions::create(&mut tx, session, user.id)
            .await
            .int_err()?;
        let refresh = self.add_refresh(&mut tx, session, user.id).await?;
        tx.commit().await.int_err()?;
        self.session_tokens(user, session, refresh)
    }

    /// Rotates a refresh token, or revokes its session when it was already used.
    pub(crate) async fn rotate(&self, refresh_token: &str) -> Result<Session, IdentityError> {
        let hash = hash_token(refresh_token);
        let mut tx = self.pool.begin().await.int_err()?;
        let session = sessions::lock_by_token(&mut tx, &hash)
            .await
            .int_err()?
            .filter(|session| !session.revoked)
            .ok_or(IdentityError::InvalidRefreshToken)?;
        match sessions::token_state(&mut tx, &hash).await.int_err()? {
            TokenState::Live => {}
            TokenState::Dead => return Err(IdentityError::InvalidRefreshToken),
            TokenState::Rotated => {
                let revoked = sessions::revoke(&mut tx, session.id).await.int_err()?;
                tx.commit().await.int_err()?;
                self.live.invalidate(&session.id);
                tracing::warn!(session = %session.id, revoked, "a rotated refresh token was presented again; session revoked");
                return Err(IdentityError::InvalidRefreshToken);
            }
        }
        let user = users::get(&mut *tx, session.user)
            .await
            .int_err()?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        sessions::mark_rotated(&mut tx, &hash).await.int_err()?;
        let refresh = self.add_refresh(&mut tx, session.id, user.id).await?;
        // Signed while the session is locked and known to be live.
        let tokens = self.session_tokens(user, session.id, refresh)?;
        tx.commit().await.int_err()?;
        Ok(tokens)
    }

    /// Ends the session a refresh token belongs to (used or not).
    pub(crate) async fn end_session(&self, refresh_token: &str) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await.int_err()?;
        let session = sessions::lock_by_token(&mut tx, &hash_token(refresh_token))
            .await
            .int_err()?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        sessions::revoke(&mut tx, session.id).await.int_err()?;
        tx.commit().await.int_err()?;
        self.live.invalidate(&session.id);
        Ok(())
    }

    /// Ends every session of `user` but `keep`, in the caller's transaction; the
    /// caller calls [`Self::forget_sessions`] with the result after committing.
    pub(crate) async fn end_other_sessions(
        &self,
        tx: &mut sqlx::PgConnection,
        user: UserId,
        keep: Option<Uuid>,
    ) -> Result<Vec<Uuid>, InternalError> {
        sessions::revoke_others(tx, user, keep).await.int_err()
    }

    /// Drops cached answers about sessions that just ended.
    pub(crate) fn forget_sessions(&self, ended: &[Uuid]) {
        for session in ended {
            self.live.invalidate(session);
        }
    }

    /// Whether a session is live, from a recent answer or the database.
    pub(crate) async fn live_session(&self, session: Uuid) -> Result<bool, InternalError> {
        self.live
            .get_or_load(session, async {
                let mut conn = self.pool.acquire().await.int_err()?;
                sessions::is_live(&mut conn, session).await.int_err()
            })
            .await
    }

    fn signer(&self) -> Result<&souk_tenants::token::TokenIssuer, InternalError> {
        self.issuer
            .as_deref()
            .ok_or_else(|| InternalError::msg("no token signing key is configured"))
    }

    async fn add_refresh(
        &self,
        tx: &mut sqlx::PgConnection,
        session: Uuid,
        user: UserId,
    ) -> Result<NewRefresh, InternalError> {
        let token = new_refresh_token();
        let expires_at = expires_in(self.lifetimes.refresh);
        sessions::insert_token(tx, session, user, &hash_token(&token), expires_at)
            .await
            .int_err()?;
        Ok(NewRefresh { token, expires_at })
    }

    /// Signs the access token of a live session.
    fn session_tokens(
        &self,
        user: User,
        session: Uuid,
        refresh: NewRefresh,
    ) -> Result<Session, InternalError> {
        let issuer = self.signer()?;
        let role = if user.platform_admin {
            Role::PlatformAdmin
        } else {
            Role::Customer
        };
        let access_token = issuer
            .issue_in_session(
                &user.id.to_string(),
                None,
                role,
                Some(&session.to_string()),
                self.lifetimes.access,
            )
            .int_err()?;
        Ok(Session {
            access_token,
            access_expires_at: expires_in(self.lifetimes.access),
            refresh_token: refresh.token,
            refresh_expires_at: refresh.expires_at,
            user,
        })
    }
}
