//! Usage (`billing.usage`): the metered requests per tenant and day, the limits the
//! gateway checks against them, and the per-minute reports owed to Stripe.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use souk_tenants::{TenantId, TenantTx};

/// Requests per day of the transaction's tenant within `[from, to)`.
pub async fn daily_usage(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, i64)>> {
    let rows = sqlx::query!(
        "SELECT day, requests FROM billing.usage WHERE tenant_id = $1 AND day >= $2 AND day < $3
         ORDER BY day",
        tenant.as_uuid(),
        from,
        to,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.day, row.requests))
        .collect())
}

/// Adds one flush of counts (once per `flush` id) and answers each flushed
/// tenant's total for the current month.
/// With `report`, the counts also go to this minute's Stripe usage report.
pub async fn record_usage(
    pool: &PgPool,
    flush: Uuid,
    counts: &[(TenantId, NaiveDate, i64)],
    report: bool,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    let tenants: Vec<Uuid> = counts.iter().map(|(t, _, _)| t.as_uuid()).collect();
    let days: Vec<NaiveDate> = counts.iter().map(|(_, d, _)| *d).collect();
    let values: Vec<i64> = counts.iter().map(|(_, _, c)| *c).collect();
    let rows = sqlx::query!(
        r#"SELECT tenant_id AS "tenant_id!", month_total AS "month_total!"
           FROM billing.record_usage($1, $2, $3, $4, $5)"#,
        flush,
        &tenants,
        &days,
        &values,
        report,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.tenant_id, row.month_total))
        .collect())
}

/// A tenant's effective limits and this month's usage, as the gateway checks them.
#[derive(Debug, Clone)]
pub struct TenantLimits {
    pub rate_per_second: i32,
    pub burst: i32,
    pub included_requests: i64,
    pub over_quota: String,
    pub month_total: i64,
}

/// Read in the tenant's own scope: the plan of its subscription (the free plan once
/// canceled) and its requests this UTC month.
pub async fn tenant_limits(tx: &mut TenantTx) -> sqlx::Result<Option<TenantLimits>> {
    sqlx::query_as!(
        TenantLimits,
        r#"SELECT p.rate_per_second, p.burst, p.included_requests, p.over_quota,
                coalesce((SELECT sum(u.requests) FROM billing.usage u
                          WHERE u.tenant_id = s.tenant_id
                            AND u.day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::bigint
                    AS "month_total!"
           FROM billing.subscriptions s
           JOIN billing.plans p ON p.code = CASE WHEN s.status = 'canceled' THEN 'free' ELSE s.plan_code END
           WHERE s.tenant_id = $1"#,
        tx.tenant().as_uuid(),
    )
    .fetch_optional(&mut **tx)
    .await
}

/// A closed one-minute window of a tenant's requests, not yet reported to Stripe.
#[derive(Debug, Clone)]
pub struct PendingReport {
    pub window_start: DateTime<Utc>,
    pub requests: i64,
    pub identifier: String,
    pub stripe_customer_id: String,
}

/// Closed windows of tenants with a Stripe customer (platform scope).
pub async fn pending_reports(
    conn: &mut PgConnection,
    max: i64,
) -> sqlx::Result<Vec<PendingReport>> {
    sqlx::query_as!(
        PendingReport,
        r#"SELECT r.window_start, r.requests, r.identifier,
                s.stripe_customer_id AS "stripe_customer_id!"
           FROM billing.usage_reports r JOIN billing.subscriptions s ON s.tenant_id = r.tenant_id
           WHERE r.reported_at IS NULL AND r.window_start < date_trunc('minute', now())
             AND s.stripe_customer_id IS NOT NULL
           ORDER BY r.window_start LIMIT $1"#,
        max,
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_reported(conn: &mut PgConnection, identifier: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE billing.usage_reports SET reported_at = now() WHERE identifier = $1",
        identifier,
    )
    .execute(conn)
    .await?;
    Ok(())
}
