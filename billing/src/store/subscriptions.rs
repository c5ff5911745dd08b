//! Subscriptions (`billing.subscriptions`), their plan history
//! (`billing.plan_changes`) and the events a change leaves in the outbox.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::plan;
use crate::domain::{Plan, Subscription, SubscriptionStatus};
use souk_tenants::TenantId;

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
    let row = if lock {
        sqlx::query_as!(
            SubscriptionRow,
            "SELECT tenant_id, plan_code, status, period_start, period_end, cancel_at_period_end,
                    stripe_customer_id, stripe_subscription_id, stripe_item_id, version
             FROM billing.subscriptions WHERE tenant_id = $1 FOR UPDATE",
            tenant.as_uuid(),
        )
        .fetch_optional(conn)
        .await?
    } else {
        sqlx::query_as!(
            SubscriptionRow,
            "SELECT tenant_id, plan_code, status, period_start, period_end, cancel_at_period_end,
                    stripe_customer_id, stripe_subscription_id, stripe_item_id, version
             FROM billing.subscriptions WHERE tenant_id = $1",
            tenant.as_uuid(),
        )
        .fetch_optional(conn)
        .await?
    };
    Ok(row.map(Subscription::from))
}

/// The tenant whose Stripe subscription or customer this is (platform scope).
pub async fn tenant_of_stripe(
    conn: &mut PgConnection,
    subscription: Option<&str>,
    customer: Option<&str>,
) -> sqlx::Result<Option<TenantId>> {
    let id = sqlx::query_scalar!(
        "SELECT tenant_id FROM billing.subscriptions
         WHERE ($1::text IS NOT NULL AND stripe_subscription_id = $1)
            OR ($2::text IS NOT NULL AND stripe_customer_id = $2) LIMIT 1",
        subscription,
        customer,
    )
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
    let row = sqlx::query_as!(
        SubscriptionRow,
        "UPDATE billing.subscriptions SET
            plan_code = coalesce($2, plan_code),
            status = coalesce($3, status),
            period_start = coalesce($4, period_start),
            period_end = coalesce($5, period_end),
            cancel_at_period_end = coalesce($6, cancel_at_period_end),
            stripe_customer_id = coalesce($7, stripe_customer_id),
            stripe_subscription_id = coalesce($8, stripe_subscription_id),
            version = version + 1, updated_at = now()
         WHERE tenant_id = $1
         RETURNING tenant_id, plan_code, status, period_start, period_end, cancel_at_period_end,
                stripe_customer_id, stripe_subscription_id, stripe_item_id, version",
        tenant.as_uuid(),
        update.plan_code,
        update.status.map(SubscriptionStatus::as_str),
        update.period.map(|(start, _)| start),
        update.period.map(|(_, end)| end),
        update.cancel_at_period_end,
        update.stripe_customer_id,
        update.stripe_subscription_id,
    )
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
    sqlx::query!(
        "UPDATE billing.subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3,
         stripe_item_id = coalesce($4, stripe_item_id), updated_at = now() WHERE tenant_id = $1",
        tenant.as_uuid(),
        customer,
        subscription,
        item,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_plan_change(
    conn: &mut PgConnection,
    tenant: TenantId,
    plan: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO billing.plan_changes (id, tenant_id, plan_code) VALUES ($1, $2, $3)",
        Uuid::now_v7(),
        tenant.as_uuid(),
        plan,
    )
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
    let changes = sqlx::query!(
        r#"(SELECT plan_code AS "plan_code!", at AS "at!" FROM billing.plan_changes
            WHERE tenant_id = $1 AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1)
           UNION ALL
           (SELECT plan_code, at FROM billing.plan_changes
            WHERE tenant_id = $1 AND at > $2 AND at < $3)
           ORDER BY "at!""#,
        tenant.as_uuid(),
        start,
        end,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut held = Vec::with_capacity(changes.len());
    for change in changes {
        if let Some(plan) = plan(conn, &change.plan_code).await? {
            held.push((plan, change.at));
        }
    }
    Ok(held)
}

/// Writes an event to the PostgreSQL outbox of the transaction's tenant.
pub async fn outbox(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: &str,
    partition: &str,
    payload: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload) VALUES ($1, $2, $3, $4)",
        tenant.as_uuid(),
        kind,
        partition,
        payload,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Tenants on a plan with a Stripe price whose Stripe subscription was never
/// created (platform scope).
pub async fn unsynced(conn: &mut PgConnection, max: i64) -> sqlx::Result<Vec<TenantId>> {
    let ids = sqlx::query_scalar!(
        "SELECT s.tenant_id FROM billing.subscriptions s
         JOIN billing.plans p ON p.code = s.plan_code
         WHERE p.stripe_price_id IS NOT NULL AND s.stripe_subscription_id IS NULL
           AND s.status <> 'canceled'
         ORDER BY s.updated_at LIMIT $1",
        max,
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}
