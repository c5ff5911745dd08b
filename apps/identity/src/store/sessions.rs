//! Sessions: refresh-token families. Tokens are stored only as SHA-256 hashes.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::UserId;

/// A refresh token that was just rotated (marked used) by its presenter.
#[derive(Debug, Clone, Copy)]
pub struct Rotated {
    pub family: Uuid,
    pub user: UserId,
}

/// Stores a new refresh token in `family`.
pub async fn insert(
    pool: &PgPool,
    family: Uuid,
    user: UserId,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity.refresh_tokens (id, family_id, user_id, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(family)
    .bind(user.0)
    .bind(token_hash)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks a live token used. Of concurrent presenters of one token exactly one gets
/// `Some`: the conditional UPDATE lets only the first through.
pub async fn rotate(pool: &PgPool, token_hash: &[u8]) -> Result<Option<Rotated>, sqlx::Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE identity.refresh_tokens SET rotated_at = now()
         WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         RETURNING family_id, user_id",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(family, user)| Rotated {
        family,
        user: UserId(user),
    }))
}

/// The family of a token that was already rotated (a replay), if it is one.
pub async fn family_of_rotated(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT family_id FROM identity.refresh_tokens WHERE token_hash = $1 AND rotated_at IS NOT NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
}

/// The family of any stored token.
pub async fn family_of(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<(Uuid, UserId)>, sqlx::Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT family_id, user_id FROM identity.refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(family, user)| (family, UserId(user))))
}

/// Revokes every token of a family.
pub async fn revoke_family(pool: &PgPool, family: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE identity.refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes every session of a user but `keep`.
pub async fn revoke_others(
    conn: &mut sqlx::PgConnection,
    user: UserId,
    keep: Option<Uuid>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE identity.refresh_tokens SET revoked_at = now()
         WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR family_id <> $2)",
    )
    .bind(user.0)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
