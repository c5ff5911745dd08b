//! Stripe's webhooks: each verified event applied to its tenant's subscription
//! once.

use super::{apply, Billing, BillingError, Delivery};
use crate::domain::SubscriptionStatus;
use crate::store::{self, SubscriptionUpdate};
use crate::webhook::StripeEvent;
use souk_tenants::{PlatformTx, TenantTx};

impl Billing {
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
