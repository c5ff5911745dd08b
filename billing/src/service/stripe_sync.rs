//! Stripe kept in step with the subscription: a customer once, then a
//! subscription to the plan's price, and a repair pass for what a failed call
//! left missing.

use super::{Billing, BillingError};
use crate::domain::{Plan, Subscription};
use crate::store;
use souk_tenants::{PlatformTx, TenantId, TenantTx};

impl Billing {
    async fn customer_name(&self, tenant: TenantId) -> String {
        let vendor = match &self.tenancy {
            Some(tenancy) => tenancy.vendor(tenant).await.ok().flatten(),
            None => None,
        };
        vendor.map_or_else(|| tenant.to_string(), |v| v.name)
    }

    /// Brings Stripe to the subscription's plan: a customer once, then a
    /// subscription to the plan's price, or a pro-rated price change. Plans without
    /// a Stripe price are billed from Souk's own data alone.
    /// Returns whether Stripe is now in step.
    pub(super) async fn sync_stripe(&self, subscription: &Subscription, plan: &Plan) -> bool {
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
}
