//! One payment per checkout (`payments.checkouts`), the vendors allowed
//! offline payments, and the webhook events applied.

use chrono::{DateTime, Utc};
use souk_tenants::TenantId;
use sqlx::PgConnection;

use crate::domain::{CheckoutPayment, CheckoutStatus, ProviderKind};

struct Row {
    checkout_id: String,
    customer: String,
    provider: String,
    amount: i64,
    currency: String,
    intent_id: Option<String>,
    client_secret: Option<String>,
    status: String,
    charge_id: Option<String>,
    failure: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for CheckoutPayment {
    fn from(row: Row) -> Self {
        Self {
            checkout_id: row.checkout_id,
            customer: row.customer,
            provider: ProviderKind::parse(&row.provider).unwrap_or(ProviderKind::Manual),
            amount: row.amount,
            currency: row.currency,
            intent_id: row.intent_id,
            client_secret: row.client_secret,
            status: CheckoutStatus::parse(&row.status).unwrap_or(CheckoutStatus::Canceled),
            charge_id: row.charge_id,
            failure: row.failure,
            created_at: row.created_at,
        }
    }
}

/// Records a checkout's payment unless it is recorded already.
pub async fn insert(
    conn: &mut PgConnection,
    checkout_id: &str,
    customer: &str,
    provider: ProviderKind,
    amount: i64,
    currency: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO payments.checkouts (checkout_id, customer, provider, amount, currency, status)
         VALUES ($1, $2, $3, $4, $5, 'open') ON CONFLICT (checkout_id) DO NOTHING",
        checkout_id,
        customer,
        provider.as_str(),
        amount,
        currency,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut PgConnection,
    checkout_id: &str,
) -> sqlx::Result<Option<CheckoutPayment>> {
    let row = sqlx::query_as!(
        Row,
        "SELECT checkout_id, customer, provider, amount, currency, intent_id, client_secret,
                status, charge_id, failure, created_at
         FROM payments.checkouts WHERE checkout_id = $1",
        checkout_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

pub async fn by_intent(
    conn: &mut PgConnection,
    intent_id: &str,
) -> sqlx::Result<Option<CheckoutPayment>> {
    let row = sqlx::query_as!(
        Row,
        "SELECT checkout_id, customer, provider, amount, currency, intent_id, client_secret,
                status, charge_id, failure, created_at
         FROM payments.checkouts WHERE intent_id = $1",
        intent_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Into::into))
}

/// Keeps the provider's payment for a checkout that has none yet (or fills in
/// the client secret of the one it has).
pub async fn set_intent(
    conn: &mut PgConnection,
    checkout_id: &str,
    intent_id: &str,
    client_secret: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payments.checkouts
         SET intent_id = $2, client_secret = coalesce(client_secret, $3), updated_at = now()
         WHERE checkout_id = $1 AND (intent_id IS NULL OR intent_id = $2)",
        checkout_id,
        intent_id,
        client_secret,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a checkout's payment to `to` when it is in one of `from`; whether it
/// moved.
pub async fn settle(
    conn: &mut PgConnection,
    checkout_id: &str,
    from: &[CheckoutStatus],
    to: CheckoutStatus,
    charge_id: Option<&str>,
    failure: Option<&str>,
) -> sqlx::Result<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let moved = sqlx::query!(
        "UPDATE payments.checkouts
         SET status = $3, charge_id = coalesce($4, charge_id),
             failure = CASE WHEN $3 = 'succeeded' THEN NULL ELSE coalesce($5, failure) END,
             updated_at = now()
         WHERE checkout_id = $1 AND status = ANY($2)",
        checkout_id,
        &from as &[&str],
        to.as_str(),
        charge_id,
        failure,
    )
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Open checkouts created before `before`: payments nobody completed.
pub async fn open_before(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<CheckoutPayment>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT checkout_id, customer, provider, amount, currency, intent_id, client_secret,
                status, charge_id, failure, created_at
         FROM payments.checkouts
         WHERE status = 'open' AND provider <> 'manual' AND created_at < $1
         ORDER BY created_at LIMIT $2",
        before,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The vendors a platform admin allows to take offline payments.
pub async fn manual_vendors(conn: &mut PgConnection) -> sqlx::Result<Vec<TenantId>> {
    let rows = sqlx::query_scalar!("SELECT tenant_id FROM payments.manual_methods")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(TenantId::from_uuid).collect())
}

/// Allows or stops offline payments for `tenant` (platform role).
pub async fn set_manual(
    conn: &mut PgConnection,
    tenant: TenantId,
    enabled: bool,
    by: &str,
) -> sqlx::Result<()> {
    if enabled {
        sqlx::query!(
            "INSERT INTO payments.manual_methods (tenant_id, enabled_by) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO NOTHING",
            tenant.as_uuid(),
            by,
        )
        .execute(conn)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM payments.manual_methods WHERE tenant_id = $1",
            tenant.as_uuid()
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Whether webhook event `id` was applied already.
pub async fn event_applied(conn: &mut PgConnection, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM payments.webhook_events WHERE id = $1)",
        id
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(false))
}

/// Records that webhook event `id` was applied.
pub async fn event_done(conn: &mut PgConnection, id: &str, kind: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO payments.webhook_events (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        id,
        kind,
    )
    .execute(conn)
    .await?;
    Ok(())
}
