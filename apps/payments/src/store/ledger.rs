//! The payments ledger (`payments.ledger`): appended to, never changed.

use chrono::{DateTime, Utc};
use souk_tenants::TenantId;
use sqlx::PgConnection;

use crate::domain::{Balance, EntryKind};

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub order_id: String,
    pub kind: EntryKind,
    /// Signed from the vendor's side.
    pub amount: i64,
    pub currency: String,
    pub stripe_object: Option<String>,
    pub at: DateTime<Utc>,
}

/// Which entries a page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub kind: Option<EntryKind>,
    pub order_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this id (the page cursor).
    pub before: Option<i64>,
}

/// What one append records.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub tenant: TenantId,
    pub order_id: &'a str,
    pub kind: EntryKind,
    pub amount: i64,
    pub currency: &'a str,
    pub stripe_object: Option<&'a str>,
    /// What the entry records, once (e.g. `charge:<order>`).
    pub key: String,
}

/// Appends an entry unless one with its key exists.
pub async fn append(conn: &mut PgConnection, entry: NewEntry<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO payments.ledger (tenant_id, order_id, kind, amount, currency, stripe_object, entry_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (entry_key) DO NOTHING",
        entry.tenant.as_uuid(),
        entry.order_id,
        entry.kind.as_str(),
        entry.amount,
        entry.currency,
        entry.stripe_object,
        entry.key,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The tenant's entries, newest first.
pub async fn page(
    conn: &mut PgConnection,
    filter: &EntryFilter,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    let rows = sqlx::query!(
        "SELECT id, order_id, kind, amount, currency, stripe_object, at FROM payments.ledger
         WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR order_id = $2)
           AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
           AND ($5::bigint IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
        filter.kind.map(EntryKind::as_str),
        filter.order_id.as_deref(),
        filter.from,
        filter.to,
        filter.before,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Entry {
                id: row.id,
                order_id: row.order_id,
                kind: EntryKind::parse(&row.kind)?,
                amount: row.amount,
                currency: row.currency,
                stripe_object: row.stripe_object,
                at: row.at,
            })
        })
        .collect())
}

/// The tenant's balance per currency, from its entries.
pub async fn balances(conn: &mut PgConnection) -> sqlx::Result<Vec<Balance>> {
    let rows = sqlx::query!(
        "SELECT l.currency,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('charge', 'commission', 'refund', 'commission_refund')), 0)::bigint AS earned,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('charge', 'commission', 'refund', 'commission_refund') AND NOT p.shipped), 0)::bigint AS pending,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('transfer', 'reversal')), 0)::bigint AS transferred
         FROM payments.ledger l JOIN payments.order_payments p USING (order_id)
         GROUP BY l.currency ORDER BY l.currency"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Balance {
            currency: row.currency,
            earned: row.earned.unwrap_or(0),
            pending: row.pending.unwrap_or(0),
            transferred: row.transferred.unwrap_or(0),
        })
        .collect())
}

/// The platform's commission per currency between `from` and `to`, net of
/// commission returned by refunds (platform role).
pub async fn commission_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        "SELECT currency, (-coalesce(sum(amount), 0))::bigint AS net FROM payments.ledger
         WHERE kind IN ('commission', 'commission_refund') AND at >= $1 AND at < $2
         GROUP BY currency ORDER BY currency",
        from,
        to,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.currency, row.net.unwrap_or(0)))
        .collect())
}

/// Every tenant's balance in `currency`-agnostic rows (platform role):
/// tenant, currency, earned, pending, transferred.
pub async fn all_balances(
    conn: &mut PgConnection,
    limit: i64,
) -> sqlx::Result<Vec<(TenantId, Balance)>> {
    let rows = sqlx::query!(
        "SELECT l.tenant_id, l.currency,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('charge', 'commission', 'refund', 'commission_refund')), 0)::bigint AS earned,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('charge', 'commission', 'refund', 'commission_refund') AND NOT p.shipped), 0)::bigint AS pending,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('transfer', 'reversal')), 0)::bigint AS transferred
         FROM payments.ledger l JOIN payments.order_payments p USING (order_id)
         GROUP BY l.tenant_id, l.currency ORDER BY l.tenant_id, l.currency LIMIT $1",
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                TenantId::from_uuid(row.tenant_id),
                Balance {
                    currency: row.currency,
                    earned: row.earned.unwrap_or(0),
                    pending: row.pending.unwrap_or(0),
                    transferred: row.transferred.unwrap_or(0),
                },
            )
        })
        .collect())
}
