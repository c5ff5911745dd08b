//! The plans vendors subscribe to (`billing.plans`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::{Commission, OverQuota, Plan, PlanDraft};

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
    commission_bps: i32,
    commission_fixed: i64,
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
            commission: Commission::parse(i64::from(row.commission_bps), row.commission_fixed)
                .unwrap_or_default(),
            retired_at: row.retired_at,
        }
    }
}

pub async fn plans(conn: &mut PgConnection, include_retired: bool) -> sqlx::Result<Vec<Plan>> {
    let rows = sqlx::query_as!(
        PlanRow,
        "SELECT code, name, price_amount, currency, included_requests, overage_per_thousand,
                rate_per_second, burst, over_quota, stripe_price_id, commission_bps, commission_fixed,
                retired_at
         FROM billing.plans WHERE $1 OR retired_at IS NULL
         ORDER BY price_amount, code",
        include_retired,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Plan::from).collect())
}

pub async fn plan(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Plan>> {
    let row = sqlx::query_as!(
        PlanRow,
        "SELECT code, name, price_amount, currency, included_requests, overage_per_thousand,
                rate_per_second, burst, over_quota, stripe_price_id, commission_bps, commission_fixed,
                retired_at
         FROM billing.plans WHERE code = $1",
        code,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

/// A plan's rate and burst as the `integer` columns hold them.
fn limits(draft: &PlanDraft) -> (i32, i32) {
    (
        i32::try_from(draft.rate_per_second).unwrap_or(i32::MAX),
        i32::try_from(draft.burst).unwrap_or(i32::MAX),
    )
}

/// `None` when the code is taken.
pub async fn insert_plan(
    conn: &mut PgConnection,
    code: &str,
    draft: &PlanDraft,
) -> sqlx::Result<Option<Plan>> {
    let (rate_per_second, burst) = limits(draft);
    let row = sqlx::query_as!(
        PlanRow,
        "INSERT INTO billing.plans (code, name, price_amount, currency, included_requests,
                overage_per_thousand, rate_per_second, burst, over_quota, stripe_price_id,
                commission_bps, commission_fixed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::integer, 0), coalesce($12::bigint, 0))
         ON CONFLICT (code) DO NOTHING
         RETURNING code, name, price_amount, currency, included_requests, overage_per_thousand,
                rate_per_second, burst, over_quota, stripe_price_id, commission_bps, commission_fixed,
                retired_at",
        code,
        &draft.name,
        draft.price,
        &draft.currency,
        draft.included_requests,
        draft.overage_per_thousand,
        rate_per_second,
        burst,
        draft.over_quota.as_str(),
        draft.stripe_price_id.as_deref(),
        draft.commission.map(|c| c.bps() as i32),
        draft.commission.map(|c| c.fixed()),
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

pub async fn update_plan(
    conn: &mut PgConnection,
    code: &str,
    draft: &PlanDraft,
) -> sqlx::Result<Option<Plan>> {
    let (rate_per_second, burst) = limits(draft);
    let row = sqlx::query_as!(
        PlanRow,
        "UPDATE billing.plans SET name = $2, price_amount = $3, currency = $4,
                included_requests = $5, overage_per_thousand = $6, rate_per_second = $7,
                burst = $8, over_quota = $9, stripe_price_id = $10,
                commission_bps = coalesce($11::integer, commission_bps),
                commission_fixed = coalesce($12::bigint, commission_fixed), updated_at = now()
         WHERE code = $1
         RETURNING code, name, price_amount, currency, included_requests, overage_per_thousand,
                rate_per_second, burst, over_quota, stripe_price_id, commission_bps, commission_fixed,
                retired_at",
        code,
        &draft.name,
        draft.price,
        &draft.currency,
        draft.included_requests,
        draft.overage_per_thousand,
        rate_per_second,
        burst,
        draft.over_quota.as_str(),
        draft.stripe_price_id.as_deref(),
        draft.commission.map(|c| c.bps() as i32),
        draft.commission.map(|c| c.fixed()),
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

pub async fn retire_plan(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Plan>> {
    let row = sqlx::query_as!(
        PlanRow,
        "UPDATE billing.plans SET retired_at = coalesce(retired_at, now()), updated_at = now()
         WHERE code = $1
         RETURNING code, name, price_amount, currency, included_requests, overage_per_thousand,
                rate_per_second, burst, over_quota, stripe_price_id, commission_bps, commission_fixed,
                retired_at",
        code,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Plan::from))
}

/// Every subscription's plan prices pro-rated over `[from, to)` (platform
/// role): each stretch a plan was held, up to the next change or now, charged
/// for its share of a 30-day month; canceled subscriptions count until their
/// last change of plan only. Per currency.
pub async fn subscription_revenue(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"WITH held AS (
               SELECT c.tenant_id, c.plan_code, c.at AS since,
                      coalesce(lead(c.at) OVER (PARTITION BY c.tenant_id ORDER BY c.at),
                               CASE WHEN s.status = 'canceled' THEN s.updated_at ELSE now() END) AS until
               FROM billing.plan_changes c JOIN billing.subscriptions s USING (tenant_id)
           )
           SELECT p.currency AS "currency!",
                  coalesce(sum(round(p.price_amount::numeric
                      * extract(epoch FROM least(h.until, $2) - greatest(h.since, $1))
                      / (30 * 86400))), 0)::bigint AS "amount!"
           FROM held h JOIN billing.plans p ON p.code = h.plan_code
           WHERE h.until > $1 AND h.since < $2
           GROUP BY p.currency ORDER BY p.currency"#,
        from,
        to,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.currency, r.amount)).collect())
}
