//! Accounts.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use souk_tenants::escape_like;

use crate::domain::{Email, User, UserId};

#[derive(Debug, sqlx::FromRow)]
struct UserRow {
    id: uuid::Uuid,
    email: String,
    first_name: String,
    last_name: String,
    phone: Option<String>,
    platform_admin: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            email: Email::from_stored(row.email),
            first_name: row.first_name,
            last_name: row.last_name,
            phone: row.phone,
            platform_admin: row.platform_admin,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new account's row.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: Option<&'a str>,
}

/// Inserts an account (never a platform admin: only the platform role may make
/// one); the unique index `users_email_key` refuses a taken email.
pub async fn insert(pool: &PgPool, user: NewUser<'_>) -> Result<User, sqlx::Error> {
    let row = sqlx::query_as!(
        UserRow,
        "INSERT INTO identity.users (id, email, password_hash, first_name, last_name, phone)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, email, first_name, last_name, phone, platform_admin, created_at, updated_at",
        user.id.0,
        user.email.as_str(),
        user.password_hash,
        user.first_name,
        user.last_name,
        user.phone,
    )
    .fetch_one(pool)
    .await?;
    Ok(row.into())
}

pub async fn get<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    id: UserId,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query_as!(
        UserRow,
        "SELECT id, email, first_name, last_name, phone, platform_admin, created_at, updated_at
         FROM identity.users WHERE id = $1",
        id.0,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

/// The account with `email` and its password hash.
pub async fn credentials(
    pool: &PgPool,
    email: &Email,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, email, first_name, last_name, phone, platform_admin, created_at, updated_at, password_hash
         FROM identity.users WHERE email = $1",
        email.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| {
        let user = UserRow {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            phone: row.phone,
            platform_admin: row.platform_admin,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        (user.into(), row.password_hash)
    }))
}

pub async fn password_hash(
    conn: &mut PgConnection,
    id: UserId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM identity.users WHERE id = $1 FOR UPDATE",
        id.0,
    )
    .fetch_optional(conn)
    .await
}

pub async fn exists(pool: &PgPool, email: &Email) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM identity.users WHERE email = $1) AS "exists!""#,
        email.as_str(),
    )
    .fetch_one(pool)
    .await
}

pub async fn update_profile(
    pool: &PgPool,
    id: UserId,
    first_name: Option<&str>,
    last_name: Option<&str>,
    phone: Option<Option<&str>>,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query_as!(
        UserRow,
        "UPDATE identity.users SET
             first_name = coalesce($2, first_name),
             last_name = coalesce($3, last_name),
             phone = CASE WHEN $4 THEN $5 ELSE phone END,
             updated_at = now()
         WHERE id = $1
         RETURNING id, email, first_name, last_name, phone, platform_admin, created_at, updated_at",
        id.0,
        first_name,
        last_name,
        phone.is_some(),
        phone.flatten(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

pub async fn set_password(
    conn: &mut PgConnection,
    id: UserId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE identity.users SET password_hash = $2, updated_at = now() WHERE id = $1",
        id.0,
        hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn make_platform_admin(
    pool: &PgPool,
    email: &Email,
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query_as!(
        UserRow,
        "UPDATE identity.users SET platform_admin = true, updated_at = now()
         WHERE email = $1 RETURNING id, email, first_name, last_name, phone, platform_admin, created_at, updated_at",
        email.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// Accounts in creation order after the `after` cursor, optionally only those whose
/// email or name contains `search` (matched literally, case-insensitively).
pub async fn search(
    pool: &PgPool,
    search: Option<&str>,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
    limit: i64,
) -> Result<Vec<User>, sqlx::Error> {
    let pattern = search.map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
    let (after_at, after_id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let rows = sqlx::query_as!(
        UserRow,
        "SELECT id, email, first_name, last_name, phone, platform_admin, created_at, updated_at FROM identity.users
         WHERE ($1::text IS NULL OR email LIKE $1 OR lower(first_name || ' ' || last_name) LIKE $1)
           AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
         ORDER BY created_at, id
         LIMIT $4",
        pattern,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
