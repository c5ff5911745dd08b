//! Billing's operations, one file per use case: plans (platform admins), each
//! tenant's subscription, usage and invoice preview, Stripe kept in step, usage
//! reported to Stripe, and Stripe's webhooks.

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use crate::domain::{Invalid, Period, Subscription};
use crate::gate::Gate;
use crate::store::{self, SubscriptionUpdate};
use crate::stripe::StripeBilling;
use souk_tenants::{PlatformPool, TenantId};
use souk_vendors::service::Tenancy;

mod plans;
mod reporting;
mod stripe_sync;
mod subscription;
mod usage;
mod webhooks;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no plan {0}")]
    UnknownPlan(String),
    #[error("plan {0} is retired and takes no new subscribers")]
    PlanRetired(String),
    #[error("a plan with code {0} exists")]
    PlanExists(String),
    #[error("the tenant has no subscription")]
    NoSubscription,
    #[error("internal: {0}")]
    Internal(#[from] sqlx::Error),
}

/// A tenant's requests in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub period: Period,
    pub requests: i64,
    pub included: i64,
    pub days: Vec<(NaiveDate, i64)>,
}

/// What happened to a webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Applied,
    /// Seen before: nothing done again.
    Duplicate,
    /// Not about a subscription Souk knows, or a type Souk does not use.
    Ignored,
}

#[derive(Clone)]
pub struct Billing {
    pool: PgPool,
    /// Plan writes, the Stripe webhook's tenant lookup, the repair job and the
    /// usage reporter: the work that spans tenants.
    platform: PlatformPool,
    stripe: Option<StripeBilling>,
    gate: Option<Arc<Gate>>,
    tenancy: Option<Arc<dyn Tenancy>>,
}

impl std::fmt::Debug for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Billing")
            .field("stripe", &self.stripe)
            .finish_non_exhaustive()
    }
}

fn subscription_event(before: &str, after: &Subscription) -> serde_json::Value {
    json!({
        "tenantId": after.tenant.to_string(),
        "plan": after.plan_code,
        "previousPlan": before,
        "status": after.status.as_str(),
        "periodStart": after.period_start,
        "periodEnd": after.period_end,
        "cancelAtPeriodEnd": after.cancel_at_period_end,
        "version": after.version,
    })
}

impl Billing {
    pub fn new(
        pool: PgPool,
        platform: PlatformPool,
        stripe: Option<StripeBilling>,
        gate: Option<Arc<Gate>>,
    ) -> Self {
        Self {
            pool,
            platform,
            stripe,
            gate,
            tenancy: None,
        }
    }

    /// Names Stripe customers after their vendors (else after the tenant id).
    pub fn with_tenancy(mut self, tenancy: Arc<dyn Tenancy>) -> Self {
        self.tenancy = Some(tenancy);
        self
    }

    fn forget(&self, tenant: TenantId) {
        if let Some(gate) = &self.gate {
            gate.forget(tenant);
        }
    }
}

/// Writes `update` and its `subscription.changed` event, in the caller's
/// transaction.
async fn apply(
    tx: &mut PgConnection,
    tenant: TenantId,
    previous_plan: &str,
    update: &SubscriptionUpdate<'_>,
) -> Result<Subscription, sqlx::Error> {
    let changed = store::update_subscription(tx, tenant, update).await?;
    let payload = subscription_event(previous_plan, &changed);
    let partition = format!("subscription:{tenant}");
    store::outbox(tx, tenant, "subscription.changed", &partition, &payload).await?;
    Ok(changed)
}
