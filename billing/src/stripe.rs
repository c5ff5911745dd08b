//! Stripe, through async-stripe: customers, subscriptions and Billing Meter events.
//!
//! Every call carries an idempotency key derived from what it does (the tenant and
//! the subscription version, or the usage window), and is retried with backoff
//! under that same key, so a retry — in this process or after a crash — never
//! creates a second customer or subscription nor bills usage twice. Requests are
//! typed; of each response only the ids Souk keeps are read, so a newer API
//! version's extra fields cannot break the integration.

use std::collections::HashMap;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_meter_event::CreateBillingMeterEvent;
use stripe_billing::subscription::{
    CreateSubscription, CreateSubscriptionItems, UpdateSubscription, UpdateSubscriptionItems,
    UpdateSubscriptionProrationBehavior,
};
use stripe_core::customer::CreateCustomer;

use souk_tenants::TenantId;

/// A failed Stripe call.
#[derive(Debug, thiserror::Error)]
pub enum StripeFailure {
    #[error("Stripe: {0}")]
    Api(#[from] StripeError),
    #[error("Stripe answered without {0}")]
    Missing(&'static str),
    #[error("bad idempotency key")]
    Key,
}

/// A Stripe API client that sends every request under an idempotency key and
/// retries it under that same key (billing's and payments' calls both go
/// through it).
#[derive(Clone)]
pub struct StripeApi {
    client: Client,
}

impl std::fmt::Debug for StripeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeApi").finish_non_exhaustive()
    }
}

/// The Stripe side of billing.
#[derive(Clone)]
pub struct StripeBilling {
    api: StripeApi,
    meter_event: String,
}

impl std::fmt::Debug for StripeBilling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeBilling")
            .field("meter_event", &self.meter_event)
            .finish_non_exhaustive()
    }
}

/// A subscription as Stripe created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSubscription {
    pub id: String,
    pub item: Option<String>,
}

fn retries() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(3)
}

/// The text field `key` of a Stripe object.
pub fn text(value: &miniserde::json::Value, key: &str) -> Option<String> {
    match value {
        miniserde::json::Value::Object(object) => match object.get(key) {
            Some(miniserde::json::Value::String(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn first_item(value: &miniserde::json::Value) -> Option<String> {
    let miniserde::json::Value::Object(object) = value else {
        return None;
    };
    let Some(miniserde::json::Value::Object(items)) = object.get("items") else {
        return None;
    };
    let Some(miniserde::json::Value::Array(data)) = items.get("data") else {
        return None;
    };
    data.first().and_then(|item| text(item, "id"))
}

impl StripeApi {
    /// A client for `secret_key`, at `api_base` when given (another server that
    /// speaks Stripe's API).
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, StripeError> {
        let mut builder = ClientBuilder::new(secret_key).timeout(Duration::from_secs(20));
        if let Some(base) = api_base {
            let base = if base.ends_with('/') {
                base.to_string()
            } else {
                format!("{base}/")
            };
            builder = builder.url(base);
        }
        Ok(Self {
            client: builder.build()?,
        })
    }

    /// Sends `request` under the idempotency key `key`, retried with backoff
    /// under the same key; the response as untyped JSON.
    pub async fn send<R: StripeRequest>(
        &self,
        request: &R,
        key: &str,
    ) -> Result<miniserde::json::Value, StripeFailure> {
        let key = IdempotencyKey::new(key).map_err(|_| StripeFailure::Key)?;
        let call = || async {
            request
                .build()
                .customize::<miniserde::json::Value>()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
                .await
        };
        Ok(call
            .retry(retries())
            .notify(|err, wait| tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "Stripe call failed; retrying"))
            .await?)
    }
}

impl StripeBilling {
    /// A client for `secret_key`, at `api_base` when given (another server that
    /// speaks Stripe's API), reporting usage under `meter_event`.
    pub fn new(
        secret_key: &str,
        api_base: Option<&str>,
        meter_event: &str,
    ) -> Result<Self, StripeError> {
        Ok(Self {
            api: StripeApi::new(secret_key, api_base)?,
            meter_event: meter_event.to_string(),
        })
    }

    async fn send<R: StripeRequest>(
        &self,
        request: &R,
        key: &str,
    ) -> Result<miniserde::json::Value, StripeFailure> {
        self.api.send(request, key).await
    }

    /// Creates the tenant's Stripe customer (once per tenant).
    pub async fn create_customer(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> Result<String, StripeFailure> {
        let request = CreateCustomer::new().name(name).metadata(HashMap::from([(
            "tenant_id".to_string(),
            tenant.to_string(),
        )]));
        let created = self
            .send(&request, &format!("souk-customer-{tenant}"))
            .await?;
        text(&created, "id").ok_or(StripeFailure::Missing("a customer id"))
    }

    /// Creates a subscription to `price` (once per tenant and subscription version).
    pub async fn create_subscription(
        &self,
        tenant: TenantId,
        customer: &str,
        price: &str,
        version: i64,
    ) -> Result<StripeSubscription, StripeFailure> {
        let mut item = CreateSubscriptionItems::new();
        item.price = Some(price.to_string());
        let request = CreateSubscription::new()
            .customer(customer)
            .items(vec![item])
            .metadata(HashMap::from([(
                "tenant_id".to_string(),
                tenant.to_string(),
            )]));
        let created = self
            .send(&request, &format!("souk-subscription-{tenant}-v{version}"))
            .await?;
        Ok(StripeSubscription {
            id: text(&created, "id").ok_or(StripeFailure::Missing("a subscription id"))?,
            item: first_item(&created),
        })
    }

    /// Moves a subscription to `price` now, pro-rated.
    pub async fn change_price(
        &self,
        tenant: TenantId,
        subscription: &str,
        item: Option<&str>,
        price: &str,
        version: i64,
    ) -> Result<(), StripeFailure> {
        let mut change = UpdateSubscriptionItems::new();
        change.id = item.map(str::to_string);
        change.price = Some(price.to_string());
        let request = UpdateSubscription::new(subscription)
            .items(vec![change])
            .cancel_at_period_end(false)
            .proration_behavior(UpdateSubscriptionProrationBehavior::CreateProrations);
        self.send(&request, &format!("souk-subscription-{tenant}-v{version}"))
            .await?;
        Ok(())
    }

    /// Ends a subscription at the end of its period.
    pub async fn cancel_at_period_end(
        &self,
        tenant: TenantId,
        subscription: &str,
        version: i64,
    ) -> Result<(), StripeFailure> {
        let request = UpdateSubscription::new(subscription).cancel_at_period_end(true);
        self.send(&request, &format!("souk-subscription-{tenant}-v{version}"))
            .await?;
        Ok(())
    }

    /// Reports `requests` of a customer as one meter event whose identifier is
    /// stable for its tenant and window; Stripe counts an identifier once.
    pub async fn report_usage(
        &self,
        customer: &str,
        requests: i64,
        identifier: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StripeFailure> {
        let payload = HashMap::from([
            ("stripe_customer_id".to_string(), customer.to_string()),
            ("value".to_string(), requests.to_string()),
        ]);
        let request = CreateBillingMeterEvent::new(self.meter_event.clone(), payload)
            .identifier(identifier)
            .timestamp(at.timestamp());
        self.send(&request, identifier).await?;
        Ok(())
    }
}
