//! Refunds (`payments.refunds`): requested, then done.

use chrono::{DateTime, Utc};
use souk_tenants::TenantId;
use sqlx::PgConnection;
use uuid::Uuid;

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: Uuid,
    pub tenant: TenantId,
    pub order_id: String,
    pub amount: i64,
    pub commission_returned: i64,
    pub reversal: i64,
    pub reason: String,
    pub goods_returned: bool,
    /// Made by the platform itself (a payment for an order that could not stand).
    pub automatic: bool,
    pub requested_by: String,
    pub done: bool,
    pub refund_id: Option<String>,
    pub reversal_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

struct Row {
    id: Uuid,
    tenant_id: Uuid,
    order_id: String,
    amount: i64,
    commission_returned: i64,
    reversal: i64,
    reason: String,
    goods_returned: bool,
    automatic: bool,
    requested_by: String,
    status: String,
    refund_id: Option<String>,
    reversal_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for Refund {
    fn from(row: Row) -> Self {
        Refund {
            id: row.id,
            tenant: TenantId::from_uuid(row.tenant_id),
            order_id: row.order_id,
            amount: row.amount,
            commission_returned: row.commission_returned,
            reversal: row.reversal,
            reason: row.reason,
            goods_returned: row.goods_returned,
            automatic: row.automatic,
            requested_by: row.requested_by,
            done: row.status == "done",
            refund_id: row.refund_id,
            reversal_id: row.reversal_id,
            created_at: row.created_at,
        }
    }
}

/// Records a requested refund unless one with its id exists; whether it was new.
pub async fn insert(conn: &mut PgConnection, refund: &Refund) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO payments.refunds (id, tenant_id, order_id, amount, commission_returned, reversal,
                reason, goods_returned, automatic, requested_by, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'requested')
         ON CONFLICT (id) DO NOTHING",
        refund.id,
        refund.tenant.as_uuid(),
        &refund.order_id,
        refund.amount,
        refund.commission_returned,
        refund.reversal,
        &refund.reason,
        refund.goods_returned,
        refund.automatic,
        &refund.requested_by,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the order's refunds requested and not done yet add up to: the amount
/// and the reversal of the transfer they will make.
pub async fn requested_total(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT coalesce(sum(amount), 0)::bigint AS "amount!", coalesce(sum(reversal), 0)::bigint AS "reversal!"
         FROM payments.refunds WHERE order_id = $1 AND status = 'requested'"#,
        order_id,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.amount, row.reversal))
}

pub async fn of_order(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<Vec<Refund>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, tenant_id, order_id, amount, commission_returned, reversal, reason,
                goods_returned, automatic, requested_by, status, refund_id, reversal_id, created_at
         FROM payments.refunds WHERE order_id = $1 ORDER BY created_at, id",
        order_id,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Refunds requested before `before` and never done (platform role).
pub async fn stalled(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Refund>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, tenant_id, order_id, amount, commission_returned, reversal, reason,
                goods_returned, automatic, requested_by, status, refund_id, reversal_id, created_at
         FROM payments.refunds WHERE status = 'requested' AND created_at < $1
         ORDER BY created_at LIMIT $2",
        before,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Marks a requested refund done with the provider's ids; whether it was
/// still requested.
pub async fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    refund_id: &str,
    reversal_id: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.refunds SET status = 'done', refund_id = $2, reversal_id = $3, done_at = now()
         WHERE id = $1 AND status = 'requested'",
        id,
        refund_id,
        reversal_id,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
