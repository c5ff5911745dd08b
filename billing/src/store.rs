//! The `billing` schema: plans, subscriptions and their plan history, usage,
//! Stripe's webhook events and usage reports.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{OverQuota, Plan, PlanDraft, Subscription, SubscriptionStatus};
use souk_tenants::{TenantId, TenantTx};

const PLAN_COLUMNS: &str = "code, name, price_amount, currency, included_requests, \
    overage_per_thousand, rate_per_second, burst, over_quota, stripe_price_id, retired_at";

#[derive(sqlx::FromRow)]
struct PlanRow {
    code: String,
    name: String,
    price_amount: i64,
    currency: String,
    included_requests: i64,
    overage_per_thousand: i64,
    rate_per_second: i32,
    burst: i32,
    over_quota: String,
    stripe_price_id: Option<String>,
    retired_at: Option<DateTime<Utc>>,
}

impl From<PlanRow> for Plan {
    fn from(row: PlanRow) -> Self {
        Plan {
            code: row.code,
            name: row.name,
            price: row.price_amount,
            currency: row.currency,
            included_requests: row.included_requests,
            overage_per_thousand: row.overage_per_thousand,
            rate_per_second: u32::try_from(row.rate_per_second).unwrap_or(1),
            burst: u32::try_from(row.burst).unwrap_or(1),
            over_quota: OverQuota::parse(&row.over_quota).unwrap_or(OverQuota::Reject),
            stripe_price_id: row.stripe_price_id,
            retired_at: row.retired_at,
        }
    }
}

pub async fn plans(conn: &mut PgConnection, include_retired: bool) -> sqlx::Result<Vec<Plan>> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM billing.plans WHERE $1 OR retired_at IS NULL \
         ORDER BY price_amount, code"
    ))
    .bind(include_retired)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Plan::from).collect())
}

pub async fn plan(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Plan>> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM billing.plans WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

type PlanQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Postgres, PlanRow, sqlx::postgres::PgArguments>;

/// Binds `$1` (the code) and `$2`..`$10` (the terms) of a plan statement.
fn bind_plan<'q>(query: PlanQuery<'q>, code: &'q str, draft: &'q PlanDraft) -> PlanQuery<'q> {
    query
        .bind(code)
        .bind(&draft.name)
        .bind(draft.price)
        .bind(&draft.currency)
        .bind(draft.included_requests)
        .bind(draft.overage_per_thousand)
        .bind(i32::try_from(draft.rate_per_second).unwrap_or(i32::MAX))
        .bind(i32::try_from(draft.burst).unwrap_or(i32::MAX))
        .bind(draft.over_quota.as_str())
        .bind(draft.stripe_price_id.as_deref())
}

/// `None` when the code is taken.
pub async fn insert_plan(
    conn: &mut PgConnection,
    code: &str,
    draft: &PlanDraft,
) -> sqlx::Result<Option<Plan>> {
    let sql = format!(
        "INSERT INTO billing.plans (code, name, price_amount, currency, included_requests, \
         overage_per_thousand, rate_per_second, burst, over_quota, stripe_price_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (code) DO NOTHING RETURNING {PLAN_COLUMNS}"
    );
    let row = bind_plan(sqlx::query_as(&sql), code, draft)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Plan::from))
}

pub async fn update_plan(
    conn: &mut PgConnection,
    code: &str,
    draft: &PlanDraft,
) -> sqlx::Result<Option<Plan>> {
    let sql = format!(
        "UPDATE billing.plans SET name = $2, price_amount = $3, currency = $4, \
         included_requests = $5, overage_per_thousand = $6, rate_per_second = $7, burst = $8, \
         over_quota = $9, stripe_price_id = $10, updated_at = now() \
         WHERE code = $1 RETURNING {PLAN_COLUMNS}"
    );
    let row = bind_plan(sqlx::query_as(&sql), code, draft)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Plan::from))
}

pub async fn retire_plan(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Plan>> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "UPDATE billing.plans SET retired_at = coalesce(retired_at, now()), updated_at = now() \
         WHERE code = $1 RETURNING {PLAN_COLUMNS}"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

const SUBSCRIPTION_COLUMNS: &str = "tenant_id, plan_code, status, period_start, period_end, \
    cancel_at_period_end, stripe_customer_id, stripe_subscription_id, stripe_item_id, version";

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    tenant_id: Uuid,
    plan_code: String,
    status: String,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    cancel_at_period_end: bool,
    stripe_customer_id: Option<String>,
    stripe_subscription_id: Option<String>,
    stripe_item_id: Option<String>,
    version: i64,
}

impl From<SubscriptionRow> for Subscription {
    fn from(row: SubscriptionRow) -> Self {
        Subscription {
            tenant: TenantId::from_uuid(row.tenant_id),
            plan_code: row.plan_code,
            status: SubscriptionStatus::parse(&row.status).unwrap_or(SubscriptionStatus::Active),
            period_start: row.period_start,
            period_end: row.period_end,
            cancel_at_period_end: row.cancel_at_period_end,
            stripe_customer_id: row.stripe_customer_id,
            stripe_subscription_id: row.stripe_subscription_id,
            stripe_item_id: row.stripe_item_id,
            version: row.version,
        }
    }
}

/// The subscription of the transaction's tenant, locked for update when `lock`.
pub async fn subscription(
    conn: &mut PgConnection,
    tenant: TenantId,
    lock: bool,
) -> sqlx::Result<Option<Subscription>> {
    let row: Option<SubscriptionRow> = sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM billing.subscriptions WHERE tenant_id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind(tenant.as_uuid())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Subscription::from))
}

/// The tenant whose Stripe subscription or customer this is (platform scope).
pub async fn tenant_of_stripe(
    conn: &mut PgConnection,
    subscription: Option<&str>,
    customer: Option<&str>,
) -> sqlx::Result<Option<TenantId>> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT tenant_id FROM billing.subscriptions \
         WHERE ($1::text IS NOT NULL AND stripe_subscription_id = $1) \
            OR ($2::text IS NOT NULL AND stripe_customer_id = $2) LIMIT 1",
    )
    .bind(subscription)
    .bind(customer)
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TenantId::from_uuid))
}

/// What a change writes to a subscription; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct SubscriptionUpdate<'a> {
    pub plan_code: Option<&'a str>,
    pub status: Option<SubscriptionStatus>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub cancel_at_period_end: Option<bool>,
    pub stripe_customer_id: Option<&'a str>,
    pub stripe_subscription_id: Option<&'a str>,
}

pub async fn update_subscription(
    conn: &mut PgConnection,
    tenant: TenantId,
    update: &SubscriptionUpdate<'_>,
) -> sqlx::Result<Subscription> {
    let row: SubscriptionRow = sqlx::query_as(&format!(
        "UPDATE billing.subscriptions SET \
            plan_code = coalesce($2, plan_code), \
            status = coalesce($3, status), \
            period_start = coalesce($4, period_start), \
            period_end = coalesce($5, period_end), \
            cancel_at_period_end = coalesce($6, cancel_at_period_end), \
            stripe_customer_id = coalesce($7, stripe_customer_id), \
            stripe_subscription_id = coalesce($8, stripe_subscription_id), \
            version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 RETURNING {SUBSCRIPTION_COLUMNS}"
    ))
    .bind(tenant.as_uuid())
    .bind(update.plan_code)
    .bind(update.status.map(SubscriptionStatus::as_str))
    .bind(update.period.map(|(start, _)| start))
    .bind(update.period.map(|(_, end)| end))
    .bind(update.cancel_at_period_end)
    .bind(update.stripe_customer_id)
    .bind(update.stripe_subscription_id)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// Remembers the Stripe objects a subscription is billed through.
pub async fn link_stripe(
    conn: &mut PgConnection,
    tenant: TenantId,
    customer: &str,
    subscription: &str,
    item: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE billing.subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3, \
         stripe_item_id = coalesce($4, stripe_item_id), updated_at = now() WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .bind(customer)
    .bind(subscription)
    .bind(item)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_plan_change(
    conn: &mut PgConnection,
    tenant: TenantId,
    plan: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO billing.plan_changes (id, tenant_id, plan_code) VALUES ($1, $2, $3)")
        .bind(Uuid::now_v7())
        .bind(tenant.as_uuid())
        .bind(plan)
        .execute(conn)
        .await?;
    Ok(())
}

/// The plans held during `[start, end)`: the one held at `start` and every later
/// change before `end`, oldest first, each with when it started.
pub async fn plans_held(
    conn: &mut PgConnection,
    tenant: TenantId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<Vec<(Plan, DateTime<Utc>)>> {
    let changes: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "(SELECT plan_code, at FROM billing.plan_changes WHERE tenant_id = $1 AND at <= $2 \
          ORDER BY at DESC, id DESC LIMIT 1) \
         UNION ALL \
         (SELECT plan_code, at FROM billing.plan_changes WHERE tenant_id = $1 AND at > $2 AND at < $3) \
         ORDER BY at",
    )
    .bind(tenant.as_uuid())
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await?;
    let mut held = Vec::with_capacity(changes.len());
    for (code, at) in changes {
        if let Some(plan) = plan(conn, &code).await? {
            held.push((plan, at));
        }
    }
    Ok(held)
}

/// Requests per day of the transaction's tenant within `[from, to)`.
pub async fn daily_usage(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, i64)>> {
    sqlx::query_as(
        "SELECT day, requests FROM billing.usage WHERE tenant_id = $1 AND day >= $2 AND day < $3 \
         ORDER BY day",
    )
    .bind(tenant.as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
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
    sqlx::query_as("SELECT tenant_id, month_total FROM billing.record_usage($1, $2, $3, $4, $5)")
        .bind(flush)
        .bind(&tenants)
        .bind(&days)
        .bind(&values)
        .bind(report)
        .fetch_all(pool)
        .await
}

/// A tenant's effective limits and this month's usage, as the gateway checks them.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    sqlx::query_as(
        "SELECT p.rate_per_second, p.burst, p.included_requests, p.over_quota,
                coalesce((SELECT sum(u.requests) FROM billing.usage u
                          WHERE u.tenant_id = s.tenant_id
                            AND u.day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::bigint
                    AS month_total
         FROM billing.subscriptions s
         JOIN billing.plans p ON p.code = CASE WHEN s.status = 'canceled' THEN 'free' ELSE s.plan_code END
         WHERE s.tenant_id = $1",
    )
    .bind(tx.tenant().as_uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Writes an event to the PostgreSQL outbox of the transaction's tenant.
pub async fn outbox(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: &str,
    partition: &str,
    payload: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload) VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant.as_uuid())
    .bind(kind)
    .bind(partition)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a Stripe webhook event id; `false` when it was already processed.
pub async fn first_delivery(conn: &mut PgConnection, id: &str, kind: &str) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO billing.webhook_events (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A closed one-minute window of a tenant's requests, not yet reported to Stripe.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    sqlx::query_as(
        "SELECT r.window_start, r.requests, r.identifier, s.stripe_customer_id \
         FROM billing.usage_reports r JOIN billing.subscriptions s ON s.tenant_id = r.tenant_id \
         WHERE r.reported_at IS NULL AND r.window_start < date_trunc('minute', now()) \
           AND s.stripe_customer_id IS NOT NULL \
         ORDER BY r.window_start LIMIT $1",
    )
    .bind(max)
    .fetch_all(conn)
    .await
}

pub async fn mark_reported(conn: &mut PgConnection, identifier: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE billing.usage_reports SET reported_at = now() WHERE identifier = $1")
        .bind(identifier)
        .execute(conn)
        .await?;
    Ok(())
}

/// Tenants on a plan with a Stripe price whose Stripe subscription was never
/// created (platform scope).
pub async fn unsynced(conn: &mut PgConnection, max: i64) -> sqlx::Result<Vec<TenantId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT s.tenant_id FROM billing.subscriptions s \
         JOIN billing.plans p ON p.code = s.plan_code \
         WHERE p.stripe_price_id IS NOT NULL AND s.stripe_subscription_id IS NULL \
           AND s.status <> 'canceled' \
         ORDER BY s.updated_at LIMIT $1",
    )
    .bind(max)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}
