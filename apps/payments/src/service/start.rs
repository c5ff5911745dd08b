//! A checkout's payment: started once per checkout (a retried checkout gets the
//! same payment), read by its customer, and — with the test provider — made to
//! succeed or fail when the customer asks.

use souk_orders::domain::{Order, PaymentMethod};
use souk_tenants::TenantTx;

use super::{PaymentError, Payments};
use crate::domain::{CheckoutStatus, ProviderKind};
use crate::provider::{IntentRequest, TestProvider};
use crate::store::{checkouts, shares};

pub use crate::domain::CheckoutPayment;

/// Why a declined test payment failed.
const DECLINED: &str = "the test card was declined";

/// The checkout's amount: the sum of its orders, which share a currency.
fn amount_of(orders: &[Order]) -> Result<(i64, String), PaymentError> {
    let invalid = |code, message: &str| PaymentError::Invalid {
        code,
        field: "lines",
        message: message.to_string(),
    };
    let first = orders
        .first()
        .ok_or_else(|| invalid("INVALID_ARGUMENT", "the checkout has no orders"))?;
    let currency = first.total.currency().to_string();
    let mut amount: i64 = 0;
    for order in orders {
        if order.total.currency() != currency {
            return Err(invalid(
                "MIXED_CURRENCY",
                "a checkout is paid in one currency",
            ));
        }
        amount = amount
            .checked_add(order.total.amount())
            .ok_or_else(|| invalid("INVALID_QUANTITY", "the total is too large"))?;
    }
    Ok((amount, currency))
}

impl Payments {
    /// The payment that completes `orders` (one checkout's, all its
    /// customer's): recorded with each vendor's share, then created at the
    /// provider. Called again for the same checkout, it answers the same
    /// payment; a provider failure leaves it to be created on the next call.
    pub async fn start(
        &self,
        customer: &str,
        orders: &[Order],
    ) -> Result<CheckoutPayment, PaymentError> {
        let (amount, currency) = amount_of(orders)?;
        let checkout = orders
            .first()
            .map(|o| o.checkout.clone())
            .unwrap_or_default();
        let provider = if orders
            .iter()
            .all(|o| o.payment_method == PaymentMethod::Manual)
        {
            ProviderKind::Manual
        } else {
            self.provider.kind()
        };
        let mut conn = self.pool.acquire().await?;
        checkouts::insert(&mut conn, &checkout, customer, provider, amount, &currency).await?;
        drop(conn);
        if provider != ProviderKind::Manual {
            for order in orders {
                let mut tx = TenantTx::begin(&self.pool, order.tenant).await?;
                let (id, total) = (order.id.to_string(), &order.total);
                shares::insert(
                    &mut tx,
                    order.tenant,
                    &id,
                    &checkout,
                    total.amount(),
                    &currency,
                )
                .await?;
                tx.commit().await?;
            }
        }
        let payment = self.checkout_payment(customer, &checkout).await?;
        // Created already — unless a Stripe intent lacks the secret the
        // storefront needs (its success event came first); asking again under the
        // same key answers the same intent.
        let complete = payment.intent_id.is_some()
            && (payment.client_secret.is_some() || payment.provider != ProviderKind::Stripe);
        if payment.provider == ProviderKind::Manual || complete {
            return Ok(payment);
        }
        let intent = self
            .provider
            .create_intent(&IntentRequest {
                checkout_id: checkout.clone(),
                customer: customer.to_string(),
                amount,
                currency,
                orders: orders.iter().map(|o| o.id.to_string()).collect(),
            })
            .await?;
        let mut conn = self.pool.acquire().await?;
        checkouts::set_intent(
            &mut conn,
            &checkout,
            &intent.id,
            intent.client_secret.as_deref(),
        )
        .await?;
        drop(conn);
        self.checkout_payment(customer, &checkout).await
    }

    /// The customer's own checkout payment.
    pub async fn checkout_payment(
        &self,
        customer: &str,
        checkout: &str,
    ) -> Result<CheckoutPayment, PaymentError> {
        let mut conn = self.pool.acquire().await?;
        checkouts::get(&mut conn, checkout)
            .await?
            .filter(|p| p.customer == customer)
            .ok_or(PaymentError::NotFound)
    }

    /// The test provider only: the customer completes (or fails) the payment,
    /// which is then applied exactly as Stripe's webhook would be.
    pub async fn pay_test(
        &self,
        customer: &str,
        checkout: &str,
        succeed: bool,
    ) -> Result<CheckoutPayment, PaymentError> {
        if self.provider.kind() != ProviderKind::Test {
            return Err(PaymentError::TestProviderDisabled);
        }
        let payment = self.checkout_payment(customer, checkout).await?;
        if payment.provider != ProviderKind::Test {
            return Err(PaymentError::Closed("paid offline"));
        }
        let Some(intent) = payment.intent_id.clone() else {
            // Not created yet (the provider failed): the customer retries checkout.
            return Err(PaymentError::Closed("not ready"));
        };
        // One outcome per test payment: the first call claims it; any other,
        // at the same time or later, is told the payment is closed.
        let (to, charge, failure) = if succeed {
            (
                CheckoutStatus::Succeeded,
                Some(TestProvider::charge_of(&intent)),
                None,
            )
        } else {
            (CheckoutStatus::Failed, None, Some(DECLINED))
        };
        let mut conn = self.pool.acquire().await?;
        let claimed = checkouts::settle(
            &mut conn,
            checkout,
            &[CheckoutStatus::Open],
            to,
            charge.as_deref(),
            failure,
        )
        .await?;
        drop(conn);
        if !claimed {
            let now = self.checkout_payment(customer, checkout).await?;
            return Err(PaymentError::Closed(now.status.as_str()));
        }
        if succeed {
            self.apply_success(checkout).await?;
        } else {
            self.apply_failure(checkout, DECLINED).await?;
        }
        self.checkout_payment(customer, checkout).await
    }
}
