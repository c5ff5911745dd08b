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

const COLUMNS: &str =
    "id, label, recipient, line1, line2, city, region, postal_code, country, phone, \
                       is_default, created_at, updated_at";

type AddressQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, AddressRow, sqlx::postgres::PgArguments>;

/// Binds an address's fields, in column order, after the query's first two
/// parameters (they are `$3` to `$11` in both the insert and the update).
fn bind_fields<'q>(query: AddressQuery<'q>, fields: &'q AddressInput) -> AddressQuery<'q> {
    query
        .bind(&fields.label)
        .bind(&fields.recipient)
        .bind(&fields.line1)
        .bind(&fields.line2)
        .bind(&fields.city)
        .bind(&fields.region)
        .bind(&fields.postal_code)
        .bind(&fields.country)
        .bind(&fields.phone)
}

/// Locks the owner's account row: address changes of one person serialise here.
pub async fn lock_owner(conn: &mut PgConnection, user: UserId) -> Result<bool, sqlx::Error> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM identity.users WHERE id = $1 FOR UPDATE")
            .bind(user.0)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

pub async fn count(conn: &mut PgConnection, user: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM identity.addresses WHERE user_id = $1")
        .bind(user.0)
        .fetch_one(conn)
        .await
}

pub async fn insert(
    conn: &mut PgConnection,
    user: UserId,
    fields: &AddressInput,
    is_default: bool,
) -> Result<Address, sqlx::Error> {
    let sql = format!(
        "INSERT INTO identity.addresses (id, user_id, label, recipient, line1, line2, city, region,
                                         postal_code, country, phone, is_default)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql).bind(Uuid::now_v7()).bind(user.0);
    let row: AddressRow = bind_fields(query, fields)
        .bind(is_default)
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
    let sql = format!(
        "UPDATE identity.addresses SET label = $3, recipient = $4, line1 = $5, line2 = $6, city = $7,
                region = $8, postal_code = $9, country = $10, phone = $11, updated_at = now()
         WHERE user_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql).bind(user.0).bind(id.0);
    let row: Option<AddressRow> = bind_fields(query, fields).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

pub async fn list(conn: &mut PgConnection, user: UserId) -> Result<Vec<Address>, sqlx::Error> {
    let rows: Vec<AddressRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM identity.addresses WHERE user_id = $1 ORDER BY created_at, id"
    ))
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
) -> Result<Option<Address>, sqlx::Error> {
    let row: Option<AddressRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM identity.addresses WHERE user_id = $1 AND id = $2"
    ))
    .bind(user.0)
    .bind(id.0)
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
    sqlx::query_scalar(
        "DELETE FROM identity.addresses WHERE user_id = $1 AND id = $2 RETURNING is_default",
    )
    .bind(user.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

/// Makes `id` the default (clearing the old one first); `false` when no such address.
pub async fn set_default(
    conn: &mut PgConnection,
    user: UserId,
    id: AddressId,
) -> Result<bool, sqlx::Error> {
    let exists: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM identity.addresses WHERE user_id = $1 AND id = $2")
            .bind(user.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Ok(false);
    }
    sqlx::query("UPDATE identity.addresses SET is_default = false, updated_at = now() WHERE user_id = $1 AND is_default")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE identity.addresses SET is_default = true, updated_at = now() WHERE user_id = $1 AND id = $2")
        .bind(user.0)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(true)
}

/// After the default was deleted: the newest remaining address becomes default.
pub async fn promote_newest(conn: &mut PgConnection, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE identity.addresses SET is_default = true, updated_at = now()
         WHERE id = (SELECT id FROM identity.addresses WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)",
    )
    .bind(user.0)
    .execute(conn)
    .await?;
    Ok(())
}
