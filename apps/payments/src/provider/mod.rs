//! The payment provider boundary: what Souk asks of whoever moves the money.
//!
//! Every call names an idempotency key derived from what it does (the checkout,
//! the order and the step, the refund), so a call repeated after a crash or a
//! lost answer does the thing once. Two providers: Stripe Connect
//! ([`StripeConnect`]) and the built-in test provider ([`TestProvider`]).

mod stripe;
mod test;

use async_trait::async_trait;

pub use self::stripe::StripeConnect;
pub use self::test::{TestCall, TestProvider};
use crate::domain::ProviderKind;

/// A provider call that did not complete. Retried later under the same key.
#[derive(Debug, thiserror::Error)]
#[error("the payment provider failed: {0}")]
pub struct ProviderError(pub String);

/// The payment a checkout needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    pub checkout_id: String,
    pub customer: String,
    pub amount: i64,
    pub currency: String,
    /// The vendor orders it pays for.
    pub orders: Vec<String>,
}

/// A payment the customer completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    /// What the storefront's payment form needs (Stripe's Payment Element).
    pub client_secret: Option<String>,
}

/// Money going back to the customer from a checkout's charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub intent_id: String,
    pub amount: i64,
    pub order_id: String,
    pub key: String,
}

/// A vendor order's money moving to the vendor's connected account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub amount: i64,
    pub currency: String,
    pub destination: String,
    /// The charge the money comes from.
    pub source_charge: Option<String>,
    /// The checkout: every transfer of one payment shares the group.
    pub group: String,
    pub order_id: String,
    pub key: String,
}

/// A vendor's connected account as the provider created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub id: String,
    pub payouts_enabled: bool,
    pub charges_enabled: bool,
}

#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug + 'static {
    fn kind(&self) -> ProviderKind;
    /// Creates the checkout's payment (once per checkout).
    async fn create_intent(&self, request: &IntentRequest) -> Result<Intent, ProviderError>;
    /// Cancels a payment nobody completed.
    async fn cancel_intent(&self, intent_id: &str) -> Result<(), ProviderError>;
    /// Refunds part of a checkout's charge; the refund's id.
    async fn refund(&self, request: &RefundRequest) -> Result<String, ProviderError>;
    /// Transfers to a connected account; the transfer's id.
    async fn transfer(&self, request: &TransferRequest) -> Result<String, ProviderError>;
    /// Takes back part of a transfer; the reversal's id.
    async fn reverse(
        &self,
        transfer_id: &str,
        amount: i64,
        key: &str,
    ) -> Result<String, ProviderError>;
    /// Creates a vendor's connected account (once per vendor).
    async fn create_account(&self, tenant: &str) -> Result<NewAccount, ProviderError>;
    /// A single-use link through the provider's onboarding.
    async fn account_link(
        &self,
        account_id: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<String, ProviderError>;
}
