//! Stripe's payment and connected-account events, each applied once: an event
//! id is recorded after it was applied, and applying is idempotent, so a
//! replay, a retry after a failure or two deliveries at once change nothing
//! twice.

use souk_billing::webhook::StripeEvent;

use super::{PaymentError, Payments};
use crate::domain::{CheckoutStatus, ProviderKind};
use crate::store::{checkouts, Account};

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Applied before.
    Duplicate,
    /// Not about anything payments keeps.
    Ignored,
}

/// Whether payments (rather than billing) reads events of `kind`.
pub fn reads(kind: &str) -> bool {
    kind.starts_with("payment_intent.") || reads_from_accounts(kind)
}

/// Whether payments reads `kind` when a connected account sends it: only the
/// account's own state (`account.updated`); a payment made on a vendor's
/// account is not the platform's.
pub fn reads_from_accounts(kind: &str) -> bool {
    kind == "account.updated"
}

fn account_of(event: &StripeEvent) -> Option<Account> {
    let flag = |key: &str| {
        event
            .object
            .get(key)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let requirements = event
        .object
        .pointer("/requirements/currently_due")
        .and_then(serde_json::Value::as_array)
        .map(|due| {
            due.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .take(100)
                .collect()
        })
        .unwrap_or_default();
    Some(Account {
        account_id: event.text("/id")?.to_string(),
        payouts_enabled: flag("payouts_enabled"),
        charges_enabled: flag("charges_enabled"),
        requirements,
    })
}

impl Payments {
    /// An event can arrive before the checkout kept its intent's id (Stripe
    /// answered, the process had not written it yet): the intent's metadata
    /// names the checkout, which adopts it.
    async fn adopt_intent(&self, intent: &str, checkout: Option<&str>) -> Result<(), PaymentError> {
        let (Some(checkout), false) = (checkout, intent.is_empty()) else {
            return Ok(());
        };
        let mut conn = self.pool.acquire().await?;
        if checkouts::by_intent(&mut conn, intent).await?.is_none() {
            checkouts::set_intent(&mut conn, checkout, intent, None).await?;
        }
        Ok(())
    }

    /// Whether a success event is about a Stripe payment of this platform for
    /// exactly its amount and currency (a mismatch is logged, never applied).
    async fn check_intent(&self, event: &StripeEvent, intent: &str) -> Result<bool, PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let Some(payment) = checkouts::by_intent(&mut conn, intent).await? else {
            return Ok(false);
        };
        let amount = ["/amount_received", "/amount"]
            .iter()
            .find_map(|at| event.object.pointer(at).and_then(serde_json::Value::as_i64));
        let currency = event.text("/currency");
        let matches = payment.provider == ProviderKind::Stripe
            && amount.is_none_or(|a| a == payment.amount)
            && currency.is_none_or(|c| c.eq_ignore_ascii_case(&payment.currency));
        if !matches {
            tracing::error!(
                event_id = %event.id, checkout_id = %payment.checkout_id, ?amount, ?currency,
                "a payment success that does not match its checkout was not applied"
            );
        }
        Ok(matches)
    }

    /// Applies one verified Stripe event, once.
    pub async fn handle_event(&self, event: &StripeEvent) -> Result<Applied, PaymentError> {
        let mut conn = self.pool.acquire().await?;
        if checkouts::event_applied(&mut conn, &event.id).await? {
            return Ok(Applied::Duplicate);
        }
        drop(conn);
        let intent = event.text("/id").unwrap_or_default();
        if event.kind.starts_with("payment_intent.") {
            self.adopt_intent(intent, event.text("/metadata/checkout_id"))
                .await?;
        }
        let outcome = match event.kind.as_str() {
            "payment_intent.succeeded" => match self.check_intent(event, intent).await? {
                true => self.succeeded(intent, event.text("/latest_charge")).await,
                false => Err(PaymentError::NotFound),
            },
            "payment_intent.payment_failed" => {
                let reason = event
                    .text("/last_payment_error/message")
                    .unwrap_or("the payment was declined");
                self.failed(intent, CheckoutStatus::Failed, reason).await
            }
            "payment_intent.canceled" => {
                self.failed(
                    intent,
                    CheckoutStatus::Canceled,
                    "the payment was cancelled",
                )
                .await
            }
            "account.updated" => match account_of(event) {
                // An account Souk has not written down yet (Stripe told of it
                // while its creation's answer was on its way) is not ignored:
                // refused, so that Stripe delivers the event again.
                Some(account) => match self.account_updated(&account, event.created).await? {
                    true => Ok(()),
                    false => return Err(PaymentError::NotRecordedYet("the connected account")),
                },
                None => Err(PaymentError::NotFound),
            },
            _ => return Ok(Applied::Ignored),
        };
        let applied = match outcome {
            Ok(()) => Applied::Applied,
            Err(PaymentError::NotFound) => Applied::Ignored,
            Err(err) => return Err(err),
        };
        let mut conn = self.pool.acquire().await?;
        checkouts::event_done(&mut conn, &event.id, &event.kind).await?;
        Ok(applied)
    }
}
