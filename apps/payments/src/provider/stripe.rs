//! Stripe Connect with separate charges and transfers: one PaymentIntent per
//! checkout (its `transfer_group` the checkout id, its metadata naming the
//! orders), refunds against it, a transfer per shipped vendor order from the
//! charge (`source_transaction`), reversals of those, and Express connected
//! accounts onboarded through Account Links.
//!
//! Calls go through billing's [`StripeApi`]: each under an idempotency key
//! derived from what it does, retried under that same key.

use std::collections::HashMap;

use async_trait::async_trait;
use souk_billing::stripe::{text, StripeApi, StripeFailure};
use stripe_connect::account::{CreateAccount, CreateAccountType};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
use stripe_connect::transfer::CreateTransfer;
use stripe_connect::transfer_reversal::CreateIdTransferReversal;
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
};
use stripe_core::refund::CreateRefund;
use stripe_types::Currency;

use super::{
    Intent, IntentRequest, NewAccount, PaymentProvider, ProviderError, RefundRequest,
    TransferRequest,
};
use crate::domain::ProviderKind;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct StripeConnect {
    api: StripeApi,
}

impl From<StripeFailure> for ProviderError {
    fn from(failure: StripeFailure) -> Self {
        ProviderError(failure.to_string())
    }
}

fn currency(code: &str) -> Currency {
    // Stripe spells currencies in lowercase; every string parses (unknown ones
    // are passed through as given).
    code.to_ascii_lowercase()
        .parse()
        .unwrap_or_else(|never| match never {})
}

fn flag(value: &miniserde::json::Value, key: &str) -> bool {
    match value {
        miniserde::json::Value::Object(object) => {
            matches!(object.get(key), Some(miniserde::json::Value::Bool(true)))
        }
        _ => false,
    }
}

fn required(value: &miniserde::json::Value, what: &'static str) -> Result<String, ProviderError> {
    text(value, "id").ok_or_else(|| ProviderError(format!("Stripe answered without {what}")))
}

impl StripeConnect {
    /// A client for the platform's `secret_key`, at `api_base` when given.
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, ProviderError> {
        let api = StripeApi::new(secret_key, api_base).map_err(|e| ProviderError(e.to_string()))?;
        Ok(Self { api })
    }
}

#[async_trait]
impl PaymentProvider for StripeConnect {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Stripe
    }

    async fn create_intent(&self, request: &IntentRequest) -> Result<Intent, ProviderError> {
        let mut metadata = HashMap::from([
            ("checkout_id".to_string(), request.checkout_id.clone()),
            ("customer_id".to_string(), request.customer.clone()),
        ]);
        metadata.extend(order_metadata(&request.orders));
        let call = CreatePaymentIntent::new(request.amount, currency(&request.currency))
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
            .transfer_group(request.checkout_id.clone())
            .metadata(metadata);
        let created = self
            .api
            .send(&call, &format!("souk-checkout-{}", request.checkout_id))
            .await?;
        Ok(Intent {
            id: required(&created, "a payment intent id")?,
            client_secret: text(&created, "client_secret"),
        })
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<(), ProviderError> {
        let call = CancelPaymentIntent::new(intent_id);
        self.api
            .send(&call, &format!("souk-cancel-{intent_id}"))
            .await?;
        Ok(())
    }

    async fn refund(&self, request: &RefundRequest) -> Result<String, ProviderError> {
        let call = CreateRefund::new()
            .payment_intent(request.intent_id.clone())
            .amount(request.amount)
            .metadata(HashMap::from([(
                "order_id".to_string(),
                request.order_id.clone(),
            )]));
        let created = self.api.send(&call, &request.key).await?;
        required(&created, "a refund id")
    }

    async fn transfer(&self, request: &TransferRequest) -> Result<String, ProviderError> {
        let mut call =
            CreateTransfer::new(currency(&request.currency), request.destination.clone())
                .amount(request.amount)
                .transfer_group(request.group.clone())
                .metadata(HashMap::from([(
                    "order_id".to_string(),
                    request.order_id.clone(),
                )]));
        if let Some(charge) = &request.source_charge {
            call = call.source_transaction(charge.clone());
        }
        let created = self.api.send(&call, &request.key).await?;
        required(&created, "a transfer id")
    }

    async fn reverse(
        &self,
        transfer_id: &str,
        amount: i64,
        key: &str,
    ) -> Result<String, ProviderError> {
        let call = CreateIdTransferReversal::new(transfer_id).amount(amount);
        let created = self.api.send(&call, key).await?;
        required(&created, "a transfer reversal id")
    }

    async fn create_account(&self, tenant: &str) -> Result<NewAccount, ProviderError> {
        let call = CreateAccount::new()
            .type_(CreateAccountType::Express)
            .metadata(HashMap::from([(
                "tenant_id".to_string(),
                tenant.to_string(),
            )]));
        let created = self
            .api
            .send(&call, &format!("souk-account-{tenant}"))
            .await?;
        Ok(NewAccount {
            id: required(&created, "an account id")?,
            payouts_enabled: flag(&created, "payouts_enabled"),
            charges_enabled: flag(&created, "charges_enabled"),
        })
    }

    async fn account_link(
        &self,
        account_id: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<String, ProviderError> {
        let call = CreateAccountLink::new(account_id, CreateAccountLinkType::AccountOnboarding)
            .refresh_url(refresh_url)
            .return_url(return_url);
        // An Account Link is single-use: each request makes a new one.
        let key = format!("souk-account-link-{account_id}-{}", uuid::Uuid::now_v7());
        let created = self.api.send(&call, &key).await?;
        text(&created, "url").ok_or_else(|| ProviderError("Stripe answered without a link".into()))
    }
}

/// The longest metadata value Stripe keeps.
const METADATA_VALUE_MAX: usize = 500;

/// The checkout's order ids as metadata: comma-separated under `order_ids`, and
/// when they do not fit one value (a cart from many vendors), continued under
/// `order_ids_2`, `order_ids_3`, … (a checkout has at most 100 orders, well
/// within Stripe's 50 keys).
fn order_metadata(orders: &[String]) -> Vec<(String, String)> {
    let mut values: Vec<String> = Vec::new();
    for order in orders {
        match values.last_mut() {
            Some(value) if value.len() + 1 + order.len() <= METADATA_VALUE_MAX => {
                value.push(',');
                value.push_str(order);
            }
            _ => values.push(order.clone()),
        }
    }
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| match index {
            0 => ("order_ids".to_string(), value),
            n => (format!("order_ids_{}", n + 1), value),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_split_over_keys_each_within_stripes_limit() {
        let orders: Vec<String> = (0..100).map(|n| format!("{n:024x}")).collect();
        let metadata = order_metadata(&orders);
        assert!(metadata.len() > 1 && metadata.len() <= 48);
        assert!(metadata.iter().all(|(_, v)| v.len() <= METADATA_VALUE_MAX));
        assert_eq!(metadata[0].0, "order_ids");
        assert_eq!(metadata[1].0, "order_ids_2");
        let joined: Vec<&str> = metadata.iter().flat_map(|(_, v)| v.split(',')).collect();
        assert_eq!(
            joined,
            orders.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!(
            order_metadata(&orders[..2]),
            vec![("order_ids".to_string(), orders[..2].join(","))]
        );
    }
}
