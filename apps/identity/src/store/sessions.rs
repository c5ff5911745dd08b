//! Sessions (one per sign-in) and their refresh tokens, which rotate within the
//! session's family. Tokens are stored only as SHA-256 hashes.
//!
//! Every change to a session's tokens first locks the session's row
//! ([`lock_by_token`]), so rotations, replays, sign-outs and password changes of
//! one session happen one after another, never interleaved.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::UserId;

/// A session, locked for the rest of the transaction.
#[derive(Debug, Clone, Copy)]
pub struct Locked {
    pub id: Uuid,
    pub user: UserId,
    pub revoked: bool,
}

/// What a presented refresh token is, read while its session is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Neither used, revoked nor expired: it may be rotated once.
    Live,
    /// Already rotated: presenting it again is a replay.
    Rotated,
    /// Revoked or expired.
    Dead,
}

/// Starts a session for `user`.
pub async fn create(conn: &mut PgConnection, id: Uuid, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO identity.sessions (id, user_id) VALUES ($1, $2)",
        id,
        user.0,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a new refresh token in session `session`.
pub async fn insert_token(
    conn: &mut PgConnection,
    session: Uuid,
    user: UserId,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO identity.refresh_tokens (id, family_id, user_id, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        session,
        user.0,
        token_hash,
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the session a refresh token belongs to; `None` for an unknown token.
pub async fn lock_by_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<Locked>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, user_id, revoked_at IS NOT NULL AS "revoked!" FROM identity.sessions
           WHERE id = (SELECT family_id FROM identity.refresh_tokens WHERE token_hash = $1)
           FOR UPDATE"#,
        token_hash,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| Locked {
        id: row.id,
        user: UserId(row.user_id),
        revoked: row.revoked,
    }))
}

/// The state of a token. Read after [`lock_by_token`], in a statement of its own,
/// so that it sees what a rotation committed while this one waited for the lock.
pub async fn token_state(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<TokenState, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT rotated_at IS NOT NULL AS "rotated!",
                  revoked_at IS NOT NULL OR expires_at <= now() AS "dead!"
           FROM identity.refresh_tokens WHERE token_hash = $1"#,
        token_hash,
    )
    .fetch_optional(conn)
    .await?;
    Ok(match row.map(|row| (row.rotated, row.dead)) {
        Some((true, _)) => TokenState::Rotated,
        Some((false, false)) => TokenState::Live,
        Some((false, true)) | None => TokenState::Dead,
    })
}

/// Marks a token used.
pub async fn mark_rotated(conn: &mut PgConnection, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE identity.refresh_tokens SET rotated_at = now() WHERE token_hash = $1",
        token_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a session and revokes every token of its family; returns how many tokens
/// were still unrevoked.
pub async fn revoke(conn: &mut PgConnection, session: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "UPDATE identity.sessions SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
        session,
    )
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query!(
        "UPDATE identity.refresh_tokens SET revoked_at = now()
         WHERE family_id = $1 AND revoked_at IS NULL",
        session,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends every live session of a user but `keep`; returns the sessions ended.
pub async fn revoke_others(
    conn: &mut PgConnection,
    user: UserId,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ended = sqlx::query_scalar!(
        "UPDATE identity.sessions SET revoked_at = now()
         WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)
         RETURNING id",
        user.0,
        keep,
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE identity.refresh_tokens SET revoked_at = now()
         WHERE family_id = ANY($1) AND revoked_at IS NULL",
        &ended,
    )
    .execute(conn)
    .await?;
    Ok(ended)
}

/// Whether a session exists and has not been revoked.
pub async fn is_live(conn: &mut PgConnection, session: Uuid) -> Result<bool, sqlx::Error> {
    let live = sqlx::query_scalar!(
        r#"SELECT revoked_at IS NULL AS "live!" FROM identity.sessions WHERE id = $1"#,
        session,
    )
    .fetch_optional(conn)
    .await?;
    Ok(live.unwrap_or(false))
}
