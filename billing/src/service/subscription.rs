//! A tenant's subscription: read (a period that ended rolls on), a change of
//! plan (now, pro-rated), a cancellation (at the end of the period).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;

use super::{apply, Billing, BillingError};
use crate::domain::{Period, Plan, Subscription, SubscriptionStatus};
use crate::store::{self, SubscriptionUpdate};
use souk_tenants::audit::{self, Entry};
use souk_tenants::{TenantId, TenantTx};

impl Billing {
    /// Moves a subscription whose period ended (without Stripe, which moves its
    /// own) into the current month; a cancellation at period end takes effect.
    async fn roll(
        tx: &mut PgConnection,
        current: Subscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, BillingError> {
        if now < current.period_end || current.stripe_subscription_id.is_some() {
            return Ok(current);
        }
        let period = Period::containing(now);
        let update = SubscriptionUpdate {
            period: Some((period.start(), period.end())),
            status: current
                .cancel_at_period_end
                .then_some(SubscriptionStatus::Canceled),
            cancel_at_period_end: Some(false),
            ..SubscriptionUpdate::default()
        };
        Ok(apply(tx, current.tenant, &current.plan_code, &update).await?)
    }

    pub(super) async fn locked(&self, tx: &mut TenantTx) -> Result<Subscription, BillingError> {
        let tenant = tx.tenant();
        let current = store::subscription(tx, tenant, true)
            .await?
            .ok_or(BillingError::NoSubscription)?;
        Self::roll(tx, current, Utc::now()).await
    }

    /// The plan a subscription is on.
    pub(super) async fn plan_of(
        tx: &mut TenantTx,
        subscription: &Subscription,
    ) -> Result<Plan, BillingError> {
        store::plan(tx, &subscription.plan_code)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(subscription.plan_code.clone()))
    }

    /// The subscription and its plan in `tx`. Read without a lock; only a
    /// subscription whose period ended is locked and moved on.
    pub(super) async fn current(
        &self,
        tx: &mut TenantTx,
    ) -> Result<(Subscription, Plan), BillingError> {
        let tenant = tx.tenant();
        let read = store::subscription(tx, tenant, false)
            .await?
            .ok_or(BillingError::NoSubscription)?;
        let subscription = if Utc::now() >= read.period_end && read.stripe_subscription_id.is_none()
        {
            self.locked(tx).await?
        } else {
            read
        };
        let plan = Self::plan_of(tx, &subscription).await?;
        Ok((subscription, plan))
    }

    /// The tenant's subscription and the plan it is on.
    pub async fn subscription(
        &self,
        tenant: TenantId,
    ) -> Result<(Subscription, Plan), BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let current = self.current(&mut tx).await?;
        tx.commit().await?;
        Ok(current)
    }

    /// Moves the tenant to `code` now; the invoice pro-rates the period.
    pub async fn change_plan(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<(Subscription, Plan), BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let current = self.locked(&mut tx).await?;
        let plan = store::plan(&mut tx, code)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(code.to_string()))?;
        if current.plan_code == plan.code && current.status != SubscriptionStatus::Canceled {
            // Already there: an idempotent answer, nothing recorded.
            tx.commit().await?;
            return Ok((current, plan));
        }
        if plan.retired_at.is_some() {
            return Err(BillingError::PlanRetired(plan.code));
        }
        let update = SubscriptionUpdate {
            plan_code: Some(&plan.code),
            status: Some(SubscriptionStatus::Active),
            cancel_at_period_end: Some(false),
            ..SubscriptionUpdate::default()
        };
        let changed = apply(&mut tx, tenant, &current.plan_code, &update).await?;
        store::record_plan_change(&mut tx, tenant, &plan.code).await?;
        let entry = Entry::new(
            "subscription.change_plan",
            "subscription",
            tenant.to_string(),
        )
        .details(json!({ "from": current.plan_code, "to": plan.code }));
        audit::record(&mut tx, Some(tenant), entry).await?;
        tx.commit().await?;
        self.forget(tenant);
        self.sync_stripe(&changed, &plan).await;
        Ok((changed, plan))
    }

    /// Ends the subscription at the end of its period.
    pub async fn cancel_plan(
        &self,
        tenant: TenantId,
    ) -> Result<(Subscription, Plan), BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let current = self.locked(&mut tx).await?;
        let plan = Self::plan_of(&mut tx, &current).await?;
        if current.cancel_at_period_end || current.status == SubscriptionStatus::Canceled {
            tx.commit().await?;
            return Ok((current, plan));
        }
        let update = SubscriptionUpdate {
            cancel_at_period_end: Some(true),
            ..SubscriptionUpdate::default()
        };
        let changed = apply(&mut tx, tenant, &current.plan_code, &update).await?;
        let entry = Entry::new("subscription.cancel", "subscription", tenant.to_string())
            .details(json!({ "plan": changed.plan_code, "endsAt": changed.period_end }));
        audit::record(&mut tx, Some(tenant), entry).await?;
        tx.commit().await?;
        if let (Some(stripe), Some(id)) = (&self.stripe, &changed.stripe_subscription_id) {
            if let Err(err) = stripe
                .cancel_at_period_end(tenant, id, changed.version)
                .await
            {
                tracing::error!(error = %err, tenant_id = %tenant, "Stripe cancellation failed");
            }
        }
        Ok((changed, plan))
    }
}
