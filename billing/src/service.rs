//! Billing's operations: plans (platform admins), each tenant's subscription,
//! usage and invoice preview, Stripe kept in step, and Stripe's webhooks.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::domain::{
    invoice_preview, Invalid, InvoicePreview, Period, Plan, PlanDraft, Subscription,
    SubscriptionStatus,
};
use crate::gate::Gate;
use crate::store::{self, SubscriptionUpdate};
use crate::stripe::StripeBilling;
use crate::webhook::StripeEvent;
use souk_tenants::audit::{self, Entry};
use souk_tenants::{PlatformPool, PlatformTx, TenantId, TenantTx};
use souk_vendors::service::Tenancy;

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

    async fn customer_name(&self, tenant: TenantId) -> String {
        let vendor = match &self.tenancy {
            Some(tenancy) => tenancy.vendor(tenant).await.ok().flatten(),
            None => None,
        };
        vendor.map_or_else(|| tenant.to_string(), |v| v.name)
    }

    pub async fn plans(&self, include_retired: bool) -> Result<Vec<Plan>, BillingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(store::plans(&mut conn, include_retired).await?)
    }

    pub async fn plan(&self, code: &str) -> Result<Option<Plan>, BillingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(store::plan(&mut conn, code).await?)
    }

    pub async fn create_plan(&self, code: &str, draft: PlanDraft) -> Result<Plan, BillingError> {
        let code = crate::domain::parse_code(code)?;
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::insert_plan(&mut tx, &code, &draft)
            .await?
            .ok_or_else(|| BillingError::PlanExists(code.clone()))?;
        audit::record(&mut tx, None, plan_entry("plan.create", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    pub async fn update_plan(&self, code: &str, draft: PlanDraft) -> Result<Plan, BillingError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::update_plan(&mut tx, code, &draft)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(code.to_string()))?;
        audit::record(&mut tx, None, plan_entry("plan.update", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Takes a plan off sale; its subscribers keep it until they move.
    pub async fn retire_plan(&self, code: &str) -> Result<Plan, BillingError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::retire_plan(&mut tx, code)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(code.to_string()))?;
        audit::record(&mut tx, None, plan_entry("plan.retire", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

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

    async fn locked(&self, tx: &mut TenantTx) -> Result<Subscription, BillingError> {
        let tenant = tx.tenant();
        let current = store::subscription(tx, tenant, true)
            .await?
            .ok_or(BillingError::NoSubscription)?;
        Self::roll(tx, current, Utc::now()).await
    }

    /// The plan a subscription is on.
    async fn plan_of(tx: &mut TenantTx, subscription: &Subscription) -> Result<Plan, BillingError> {
        store::plan(tx, &subscription.plan_code)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(subscription.plan_code.clone()))
    }

    /// The subscription and its plan in `tx`. Read without a lock; only a
    /// subscription whose period ended is locked and moved on.
    async fn current(&self, tx: &mut TenantTx) -> Result<(Subscription, Plan), BillingError> {
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

    fn forget(&self, tenant: TenantId) {
        if let Some(gate) = &self.gate {
            gate.forget(tenant);
        }
    }

    /// Brings Stripe to the subscription's plan: a customer once, then a
    /// subscription to the plan's price, or a pro-rated price change. Plans without
    /// a Stripe price are billed from Souk's own data alone.
    /// Returns whether Stripe is now in step.
    async fn sync_stripe(&self, subscription: &Subscription, plan: &Plan) -> bool {
        let (Some(stripe), Some(price)) = (&self.stripe, &plan.stripe_price_id) else {
            return true;
        };
        let tenant = subscription.tenant;
        let result = async {
            let customer = match &subscription.stripe_customer_id {
                Some(customer) => customer.clone(),
                None => {
                    let name = self.customer_name(tenant).await;
                    stripe.create_customer(tenant, &name).await?
                }
            };
            let (id, item) = match &subscription.stripe_subscription_id {
                Some(id) => {
                    let item = subscription.stripe_item_id.clone();
                    stripe
                        .change_price(tenant, id, item.as_deref(), price, subscription.version)
                        .await?;
                    (id.clone(), item)
                }
                None => {
                    let created = stripe
                        .create_subscription(tenant, &customer, price, subscription.version)
                        .await?;
                    (created.id, created.item)
                }
            };
            Ok::<_, crate::stripe::StripeFailure>((customer, id, item))
        }
        .await;
        match result {
            Ok((customer, id, item)) => {
                match self
                    .remember_stripe(tenant, &customer, &id, item.as_deref())
                    .await
                {
                    Ok(()) => true,
                    Err(err) => {
                        tracing::error!(error = %err, tenant_id = %tenant, "Stripe ids not saved");
                        false
                    }
                }
            }
            Err(err) => {
                tracing::error!(error = %err, tenant_id = %tenant, "Stripe not updated; retried later");
                false
            }
        }
    }

    /// Creates the Stripe subscriptions that a failed call left missing (a paid
    /// plan with a Stripe price, no Stripe subscription yet), under the same
    /// idempotency keys as the first attempt. Returns how many are now in step.
    pub async fn sync_unsynced(&self) -> Result<usize, BillingError> {
        if self.stripe.is_none() {
            return Ok(0);
        }
        let tenants = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let tenants = store::unsynced(&mut tx, 100).await?;
            tx.commit().await?;
            tenants
        };
        let mut synced = 0;
        for tenant in tenants {
            let (subscription, plan) = self.subscription(tenant).await?;
            if self.sync_stripe(&subscription, &plan).await {
                synced += 1;
            }
        }
        Ok(synced)
    }

    async fn remember_stripe(
        &self,
        tenant: TenantId,
        customer: &str,
        subscription: &str,
        item: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        store::link_stripe(&mut tx, tenant, customer, subscription, item).await?;
        tx.commit().await
    }

    /// The tenant's requests in `period`, per day.
    pub async fn usage(&self, tenant: TenantId, period: Period) -> Result<Usage, BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let (_, plan) = self.current(&mut tx).await?;
        let days = daily(&mut tx, period).await?;
        tx.commit().await?;
        Ok(Usage {
            period,
            requests: days.iter().map(|(_, n)| n).sum(),
            included: plan.included_requests,
            days,
        })
    }

    /// What `period` costs so far.
    pub async fn invoice_preview(
        &self,
        tenant: TenantId,
        period: Period,
    ) -> Result<InvoicePreview, BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let requests = daily(&mut tx, period).await?.iter().map(|(_, n)| n).sum();
        let held = store::plans_held(&mut tx, tenant, period.start(), period.end()).await?;
        tx.commit().await?;
        Ok(invoice_preview(period, &held, requests))
    }

    /// Applies one verified Stripe event, once.
    pub async fn handle_webhook(&self, event: &StripeEvent) -> Result<Delivery, BillingError> {
        let subscription_id = match event.kind.as_str() {
            kind if kind.starts_with("customer.subscription.") => event.text("/id"),
            kind if kind.starts_with("invoice.") => event
                .text("/subscription")
                .or_else(|| event.text("/parent/subscription_details/subscription")),
            _ => None,
        };
        let customer = event.text("/customer");
        let tenant = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let tenant = store::tenant_of_stripe(&mut tx, subscription_id, customer).await?;
            tx.commit().await?;
            tenant
        };
        let Some(tenant) = tenant else {
            let mut conn = self.pool.acquire().await?;
            let first = store::first_delivery(&mut conn, &event.id, &event.kind).await?;
            return Ok(if first {
                Delivery::Ignored
            } else {
                Delivery::Duplicate
            });
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if !store::first_delivery(&mut tx, &event.id, &event.kind).await? {
            return Ok(Delivery::Duplicate);
        }
        let Some(update) = webhook_update(event) else {
            tx.commit().await?;
            return Ok(Delivery::Ignored);
        };
        let before = store::subscription(&mut tx, tenant, true)
            .await?
            .ok_or(BillingError::NoSubscription)?;
        apply(&mut tx, tenant, &before.plan_code, &update).await?;
        tx.commit().await?;
        self.forget(tenant);
        Ok(Delivery::Applied)
    }

    /// Reports closed usage windows to Stripe as meter events; returns how many.
    pub async fn report_usage_once(&self) -> Result<usize, BillingError> {
        let Some(stripe) = &self.stripe else {
            return Ok(0);
        };
        let pending = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let pending = store::pending_reports(&mut tx, 100).await?;
            tx.commit().await?;
            pending
        };
        let mut sent = 0;
        for report in pending {
            match stripe
                .report_usage(
                    &report.stripe_customer_id,
                    report.requests,
                    &report.identifier,
                    report.window_start,
                )
                .await
            {
                Ok(()) => {
                    let mut tx = PlatformTx::begin(&self.platform).await?;
                    store::mark_reported(&mut tx, &report.identifier).await?;
                    tx.commit().await?;
                    sent += 1;
                }
                Err(err) => {
                    tracing::warn!(error = %err, identifier = %report.identifier, "usage not reported; retried later");
                    break;
                }
            }
        }
        Ok(sent)
    }

    /// Reports usage to Stripe every `interval` until `stop`.
    pub async fn run_reporter(self, interval: Duration, stop: CancellationToken) {
        if self.stripe.is_none() {
            return;
        }
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {
                    if let Err(err) = self.sync_unsynced().await {
                        tracing::warn!(error = %err, "Stripe subscriptions not brought in step");
                    }
                    if let Err(err) = self.report_usage_once().await {
                        tracing::warn!(error = %err, "usage reporting failed");
                    }
                }
            }
        }
    }
}

/// The transaction's tenant's requests per day of `period`.
async fn daily(tx: &mut TenantTx, period: Period) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    let tenant = tx.tenant();
    store::daily_usage(tx, tenant, period.first_day(), period.next().first_day()).await
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

fn plan_entry(action: &'static str, plan: &Plan) -> Entry {
    Entry::new(action, "plan", plan.code.clone()).details(json!({
        "name": plan.name,
        "price": plan.price,
        "currency": plan.currency,
        "includedRequests": plan.included_requests,
        "ratePerSecond": plan.rate_per_second,
        "burst": plan.burst,
        "overQuota": plan.over_quota.as_str(),
    }))
}

/// What a Stripe event changes on the subscription, if anything.
fn webhook_update(event: &StripeEvent) -> Option<SubscriptionUpdate<'_>> {
    let period = |start: &str, end: &str| match (event.time(start), event.time(end)) {
        (Some(start), Some(end)) if end > start => Some((start, end)),
        _ => None,
    };
    match event.kind.as_str() {
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted"
        | "customer.subscription.paused"
        | "customer.subscription.resumed" => {
            let status = if event.kind == "customer.subscription.deleted" {
                Some(SubscriptionStatus::Canceled)
            } else {
                event
                    .text("/status")
                    .and_then(SubscriptionStatus::from_stripe)
            };
            Some(SubscriptionUpdate {
                status,
                period: period("/current_period_start", "/current_period_end").or_else(|| {
                    period(
                        "/items/data/0/current_period_start",
                        "/items/data/0/current_period_end",
                    )
                }),
                cancel_at_period_end: event
                    .object
                    .pointer("/cancel_at_period_end")
                    .and_then(serde_json::Value::as_bool),
                ..SubscriptionUpdate::default()
            })
        }
        "invoice.paid" | "invoice.payment_succeeded" => Some(SubscriptionUpdate {
            status: Some(SubscriptionStatus::Active),
            period: period("/period_start", "/period_end"),
            ..SubscriptionUpdate::default()
        }),
        "invoice.payment_failed" => Some(SubscriptionUpdate {
            status: Some(SubscriptionStatus::PastDue),
            ..SubscriptionUpdate::default()
        }),
        _ => None,
    }
}
