//! Each vendor order's share of its checkout's payment (`payments.order_payments`).

use chrono::{DateTime, Utc};
use souk_tenants::TenantId;
use sqlx::PgConnection;

use crate::domain::{Share, ShareStatus};

struct Row {
    order_id: String,
    tenant_id: uuid::Uuid,
    checkout_id: String,
    amount: i64,
    currency: String,
    status: String,
    commission: i64,
    refunded: i64,
    commission_returned: i64,
    shipped: bool,
    transfer_id: Option<String>,
    transferred: i64,
    reversed: i64,
    note: Option<String>,
    paid_at: Option<DateTime<Utc>>,
}

impl From<Row> for Share {
    fn from(row: Row) -> Self {
        Share {
            order_id: row.order_id,
            tenant: TenantId::from_uuid(row.tenant_id),
            checkout_id: row.checkout_id,
            amount: row.amount,
            currency: row.currency,
            status: ShareStatus::parse(&row.status).unwrap_or(ShareStatus::Voided),
            commission: row.commission,
            refunded: row.refunded,
            commission_returned: row.commission_returned,
            shipped: row.shipped,
            transfer_id: row.transfer_id,
            transferred: row.transferred,
            reversed: row.reversed,
            note: row.note,
            paid_at: row.paid_at,
        }
    }
}

/// Records a vendor order's share, awaiting payment, unless it is recorded.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    order_id: &str,
    checkout_id: &str,
    amount: i64,
    currency: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO payments.order_payments (order_id, tenant_id, checkout_id, amount, currency, status)
         VALUES ($1, $2, $3, $4, $5, 'awaiting') ON CONFLICT (order_id) DO NOTHING",
        order_id,
        tenant.as_uuid(),
        checkout_id,
        amount,
        currency,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One order's share; `lock` holds it until the transaction ends.
pub async fn get(
    conn: &mut PgConnection,
    order_id: &str,
    lock: bool,
) -> sqlx::Result<Option<Share>> {
    let row = if lock {
        sqlx::query_as!(
            Row,
            "SELECT order_id, tenant_id, checkout_id, amount, currency, status, commission, refunded,
                    commission_returned, shipped, transfer_id, transferred, reversed, note, paid_at
             FROM payments.order_payments WHERE order_id = $1 FOR UPDATE",
            order_id,
        )
        .fetch_optional(conn)
        .await?
    } else {
        sqlx::query_as!(
            Row,
            "SELECT order_id, tenant_id, checkout_id, amount, currency, status, commission, refunded,
                    commission_returned, shipped, transfer_id, transferred, reversed, note, paid_at
             FROM payments.order_payments WHERE order_id = $1",
            order_id,
        )
        .fetch_optional(conn)
        .await?
    };
    Ok(row.map(Into::into))
}

/// Every share of a checkout (platform role: they span vendors).
pub async fn of_checkout(conn: &mut PgConnection, checkout_id: &str) -> sqlx::Result<Vec<Share>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT order_id, tenant_id, checkout_id, amount, currency, status, commission, refunded,
                commission_returned, shipped, transfer_id, transferred, reversed, note, paid_at
         FROM payments.order_payments WHERE checkout_id = $1 ORDER BY order_id",
        checkout_id,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Shares still awaiting a payment that was settled (platform role): a
/// success or failure whose orders were not all brought in step.
pub async fn awaiting_settled(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Share>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT p.order_id, p.tenant_id, p.checkout_id, p.amount, p.currency, p.status, p.commission,
                p.refunded, p.commission_returned, p.shipped, p.transfer_id, p.transferred,
                p.reversed, p.note, p.paid_at
         FROM payments.order_payments p JOIN payments.checkouts c USING (checkout_id)
         WHERE p.status = 'awaiting' AND c.status <> 'open'
         ORDER BY c.updated_at LIMIT $1",
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Shares refunded in full whose order was not seen closed yet, oldest first
/// (platform role).
pub async fn refunded_unclosed(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Share>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT order_id, tenant_id, checkout_id, amount, currency, status, commission, refunded,
                commission_returned, shipped, transfer_id, transferred, reversed, note, paid_at
         FROM payments.order_payments
         WHERE status = 'refunded' AND NOT order_closed
         ORDER BY updated_at LIMIT $1",
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Notes that the order of a share refunded in full is closed.
pub async fn mark_order_closed(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payments.order_payments SET order_closed = true WHERE order_id = $1",
        order_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Paid shares with nothing transferred yet, oldest payment first, after the
/// position `after` (platform role).
pub async fn untransferred(
    conn: &mut PgConnection,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> sqlx::Result<Vec<Share>> {
    let (at, id) = after.unwrap_or((DateTime::<Utc>::UNIX_EPOCH, String::new()));
    let rows = sqlx::query_as!(
        Row,
        "SELECT order_id, tenant_id, checkout_id, amount, currency, status, commission, refunded,
                commission_returned, shipped, transfer_id, transferred, reversed, note, paid_at
         FROM payments.order_payments
         WHERE status = 'paid' AND transfer_id IS NULL AND (paid_at, order_id) > ($1, $2)
         ORDER BY paid_at, order_id LIMIT $3",
        at,
        id,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The tenant's paid, shipped orders with nothing transferred yet (in its
/// scope): what its payouts, once enabled, pay.
pub async fn shipped_untransferred(conn: &mut PgConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT order_id FROM payments.order_payments
         WHERE status = 'paid' AND shipped AND transfer_id IS NULL ORDER BY paid_at, order_id"
    )
    .fetch_all(conn)
    .await
}

/// Marks an awaiting share paid with its commission; whether it was awaiting.
pub async fn mark_paid(
    conn: &mut PgConnection,
    order_id: &str,
    commission: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.order_payments
         SET status = 'paid', commission = $2, paid_at = now(), updated_at = now()
         WHERE order_id = $1 AND status = 'awaiting'",
        order_id,
        commission,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that money came in for a share whose order cannot stand (awaiting,
/// or voided by an earlier failure): paid without commission, to be refunded.
pub async fn mark_received(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.order_payments
         SET status = 'paid', commission = 0, paid_at = now(), updated_at = now()
         WHERE order_id = $1 AND status IN ('awaiting', 'voided')",
        order_id,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an awaiting share voided: its payment failed or never came.
pub async fn mark_voided(
    conn: &mut PgConnection,
    order_id: &str,
    note: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.order_payments SET status = 'voided', note = $2, updated_at = now()
         WHERE order_id = $1 AND status = 'awaiting'",
        order_id,
        note,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes why the platform refunded a share by itself.
pub async fn set_note(conn: &mut PgConnection, order_id: &str, note: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payments.order_payments SET note = $2, updated_at = now() WHERE order_id = $1",
        order_id,
        note,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_shipped(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.order_payments SET shipped = true, updated_at = now()
         WHERE order_id = $1 AND NOT shipped",
        order_id,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the transfer of a share that had none; whether it had none.
pub async fn record_transfer(
    conn: &mut PgConnection,
    order_id: &str,
    transfer_id: &str,
    amount: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payments.order_payments
         SET transfer_id = $2, transferred = transferred + $3, updated_at = now()
         WHERE order_id = $1 AND transfer_id IS NULL",
        order_id,
        transfer_id,
        amount,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The amount of the order's transfer as first asked for, written now when
/// this is the first time (`amount`); `None` once the transfer is recorded.
pub async fn request_transfer(
    conn: &mut PgConnection,
    order_id: &str,
    amount: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "UPDATE payments.order_payments
         SET transfer_requested = coalesce(transfer_requested, $2), updated_at = now()
         WHERE order_id = $1 AND transfer_id IS NULL
         RETURNING transfer_requested",
        order_id,
        amount,
    )
    .fetch_optional(conn)
    .await
    .map(Option::flatten)
}

/// The amount of a transfer asked of the provider and not recorded yet.
pub async fn transfer_in_flight(
    conn: &mut PgConnection,
    order_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT transfer_requested FROM payments.order_payments
         WHERE order_id = $1 AND transfer_id IS NULL",
        order_id,
    )
    .fetch_optional(conn)
    .await
    .map(Option::flatten)
}

/// Adds a finished refund to its share; all of it refunded makes it `refunded`.
pub async fn add_refund(
    conn: &mut PgConnection,
    order_id: &str,
    amount: i64,
    commission_returned: i64,
    reversal: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payments.order_payments
         SET refunded = refunded + $2, commission_returned = commission_returned + $3,
             reversed = reversed + $4,
             status = CASE WHEN refunded + $2 = amount THEN 'refunded' ELSE status END,
             updated_at = now()
         WHERE order_id = $1",
        order_id,
        amount,
        commission_returned,
        reversal,
    )
    .execute(conn)
    .await?;
    Ok(())
}
