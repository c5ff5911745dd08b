//! Addresses. Every change locks the owner's account row first, so concurrent
//! changes of one person's addresses run one after another and "exactly one
//! default whenever any exist" always holds.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{Address, AddressId, AddressInput, UserId};

#[derive(Debug, sqlx::FromRow)]
struct AddressRow {
    id: Uuid,
    label: Option<String>,
    recipient: String,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country: String,
    phone: Option<String>,
    is_default: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<AddressRow> for Address {
    fn from(row: AddressRow) -> Self {
        Address {
            id: AddressId(row.id),
            fields: AddressInput {
                label: row.label,
                recipient: row.recipient,
                line1: row.line1,
                line2: row.line2,
                city: row.city,
                region: row.region,
                postal_code: row.postal_code,
                country: row.country,
                phone: row.phone,
            },
            is_default: row.is_default,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Locks the owner's account row: address changes of one person serialise here.
pub async fn lock_owner(conn: &mut PgConnection, user: UserId) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM identity.users WHERE id = $1 FOR UPDATE",
        user.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

pub async fn count(conn: &mut PgConnection, user: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM identity.addresses WHERE user_id = $1"#,
        user.0,
    )
    .fetch_one(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    user: UserId,
    fields: &AddressInput,
    is_default: bool,
) -> Result<Address, sqlx::Error> {
    let row = sqlx::query_as!(
        AddressRow,
        "INSERT INTO identity.addresses (id, user_id, label, recipient, line1, line2, city, region,
                                         postal_code, country, phone, is_default)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id, label, recipient, line1, line2, city, region, postal_code, country, phone,
                is_default, created_at, updated_at",
        Uuid::now_v7(),
        user.0,
        fields.label.as_deref(),
        &fields.recipient,
        &fields.line1,
        fields.line2.as_deref(),
        &fields.city,
        fields.region.as_deref(),
        &fields.postal_code,
        &fields.country,
        fields.phone.as_deref(),
        is_default,
    )
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn update(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
    fields: &AddressInput,
) -> Result<Option<Address>, sqlx::Error> {
    let row = sqlx::query_as!(
        AddressRow,
        "UPDATE identity.addresses SET label = $3, recipient = $4, line1 = $5, line2 = $6, city = $7,
                region = $8, postal_code = $9, country = $10, phone = $11, updated_at = now()
         WHERE user_id = $1 AND id = $2
         RETURNING id, label, recipient, line1, line2, city, region, postal_code, country, phone,
                is_default, created_at, updated_at",
        user.0,
        id.0,
        fields.label.as_deref(),
        &fields.recipient,
        &fields.line1,
        fields.line2.as_deref(),
        &fields.city,
        fields.region.as_deref(),
        &fields.postal_code,
        &fields.country,
        fields.phone.as_deref(),
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

pub async fn list(conn: &mut PgConnection, user: UserId) -> Result<Vec<Address>, sqlx::Error> {
    let rows = sqlx::query_as!(
        AddressRow,
        "SELECT id, label, recipient, line1, line2, city, region, postal_code, country, phone,
                is_default, created_at, updated_at
         FROM identity.addresses WHERE user_id = $1 ORDER BY created_at, id",
        user.0,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
) -> Result<Option<Address>, sqlx::Error> {
    let row = sqlx::query_as!(
        AddressRow,
        "SELECT id, label, recipient, line1, line2, city, region, postal_code, country, phone,
                is_default, created_at, updated_at
         FROM identity.addresses WHERE user_id = $1 AND id = $2",
        user.0,
        id.0,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

/// Deletes an address; `Some(was_default)` when it existed.
pub async fn delete(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar!(
        "DELETE FROM identity.addresses WHERE user_id = $1 AND id = $2 RETURNING is_default",
        user.0,
        id.0,
    )
    .fetch_optional(conn)
    .await
}

/// Makes `id` the default (clearing the old one first); `false` when no such address.
pub async fn set_default(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
) -> Result<bool, sqlx::Error> {
    let exists = sqlx::query_scalar!(
        "SELECT id FROM identity.addresses WHERE user_id = $1 AND id = $2",
        user.0,
        id.0,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if exists.is_none() {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE identity.addresses SET is_default = false, updated_at = now()
         WHERE user_id = $1 AND is_default",
        user.0,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE identity.addresses SET is_default = true, updated_at = now()
         WHERE user_id = $1 AND id = $2",
        user.0,
        id.0,
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// After the default was deleted: the newest remaining address becomes default.
pub async fn promote_newest(conn: &mut PgConnection, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE identity.addresses SET is_default = true, updated_at = now()
         WHERE id = (SELECT id FROM identity.addresses WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)",
        user.0,
    )
    .execute(conn)
    .await?;
    Ok(())
}
