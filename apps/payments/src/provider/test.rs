//! The test provider: no money moves. It answers every call at once, with ids
//! derived from the call's idempotency key (so a repeated call gets the same
//! object, as with Stripe); a checkout's payment succeeds or fails when the
//! customer asks (`payTestCheckout`). Connected accounts can be paid out at
//! once. Everything else — states, ledger, refunds, transfers — is the same as
//! with Stripe.
//!
//! For crash tests a call can be made to fail a number of times
//! ([`TestProvider::fail_next`]), as a provider outage would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{
    Intent, IntentRequest, NewAccount, PaymentProvider, ProviderError, RefundRequest,
    TransferRequest,
};
use crate::domain::ProviderKind;

/// A call of the test provider, for [`TestProvider::fail_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestCall {
    CreateIntent,
    CancelIntent,
    Refund,
    Transfer,
    Reverse,
    CreateAccount,
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct TestProvider {
    failures: Arc<Mutex<HashMap<TestCall, u32>>>,
    calls: Arc<Mutex<Vec<(TestCall, String)>>>,
}

/// A short id for `key` with `prefix`.
fn id(prefix: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{prefix}_{}", hex::encode(&digest[..12]))
}

impl TestProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `times` calls of `call` fail.
    pub fn fail_next(&self, call: TestCall, times: u32) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.insert(call, times);
        }
    }

    /// Every call that succeeded, with its idempotency key.
    pub fn calls(&self) -> Vec<(TestCall, String)> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn attempt(&self, call: TestCall, key: &str) -> Result<(), ProviderError> {
        let failing = self
            .failures
            .lock()
            .map_err(|_| ProviderError("test provider poisoned".into()))?
            .get_mut(&call)
            .filter(|left| **left > 0)
            .map(|left| *left -= 1)
            .is_some();
        if failing {
            return Err(ProviderError(format!("test provider: {call:?} failed")));
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((call, key.to_string()));
        }
        Ok(())
    }

    /// The charge a test payment of `intent_id` makes.
    pub fn charge_of(intent_id: &str) -> String {
        id("test_ch", intent_id)
    }
}

#[async_trait]
impl PaymentProvider for TestProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Test
    }

    async fn create_intent(&self, request: &IntentRequest) -> Result<Intent, ProviderError> {
        let key = format!("souk-checkout-{}", request.checkout_id);
        self.attempt(TestCall::CreateIntent, &key)?;
        Ok(Intent {
            id: id("test_pi", &key),
            client_secret: None,
        })
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<(), ProviderError> {
        self.attempt(TestCall::CancelIntent, intent_id)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<String, ProviderError> {
        self.attempt(TestCall::Refund, &request.key)?;
        Ok(id("test_re", &request.key))
    }

    async fn transfer(&self, request: &TransferRequest) -> Result<String, ProviderError> {
        self.attempt(TestCall::Transfer, &request.key)?;
        Ok(id("test_tr", &request.key))
    }

    async fn reverse(
        &self,
        _transfer_id: &str,
        _amount: i64,
        key: &str,
    ) -> Result<String, ProviderError> {
        self.attempt(TestCall::Reverse, key)?;
        Ok(id("test_trr", key))
    }

    async fn create_account(&self, tenant: &str) -> Result<NewAccount, ProviderError> {
        let key = format!("souk-account-{tenant}");
        self.attempt(TestCall::CreateAccount, &key)?;
        Ok(NewAccount {
            id: id("test_acct", &key),
            payouts_enabled: true,
            charges_enabled: true,
        })
    }

    async fn account_link(
        &self,
        _account_id: &str,
        _refresh_url: &str,
        return_url: &str,
    ) -> Result<String, ProviderError> {
        Ok(return_url.to_string())
    }
}
