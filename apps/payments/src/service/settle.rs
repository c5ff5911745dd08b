//! What a payment's outcome does to its checkout's orders.
//!
//! Success: every order of the checkout becomes paid through the order state
//! machine (which confirms its hold), and its share is recorded with its
//! commission. An order that cannot be paid any more — its hold expired, or it
//! was cancelled meanwhile — does not oversell: its share is refunded at once,
//! with the reason kept, and the other vendors' orders stand. Failure or
//! cancellation: the checkout's pending orders are cancelled, their holds
//! released. Every step is idempotent and safe to repeat from the reconciler.

use souk_catalog::domain::ObjectKey;
use souk_orders::domain::{OrderError, OrderStatus};
use souk_orders::service::Change;
use souk_tenants::{PlatformTx, TenantTx};

use super::refund::late_refund;
use super::{order_key, PaymentError, Payments, SYSTEM};
use crate::domain::{CheckoutStatus, EntryKind, Share, ShareStatus};
use crate::store::ledger::{self, NewEntry};
use crate::store::{checkouts, refunds, shares};

impl Payments {
    /// Applies the success of payment `intent` (with its `charge`). A payment
    /// declined before may still succeed with another card (Stripe).
    pub async fn succeeded(&self, intent: &str, charge: Option<&str>) -> Result<(), PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let payment = checkouts::by_intent(&mut conn, intent)
            .await?
            .ok_or(PaymentError::NotFound)?;
        checkouts::settle(
            &mut conn,
            &payment.checkout_id,
            &[CheckoutStatus::Open, CheckoutStatus::Failed],
            CheckoutStatus::Succeeded,
            charge,
            None,
        )
        .await?;
        drop(conn);
        self.apply_success(&payment.checkout_id).await
    }

    /// Brings every share of a succeeded checkout in step.
    pub(super) async fn apply_success(&self, checkout: &str) -> Result<(), PaymentError> {
        for share in self.shares_of(checkout).await? {
            match share.status {
                ShareStatus::Awaiting => self.settle_paid(&share).await?,
                // The payment failed before and the order was cancelled.
                ShareStatus::Voided => {
                    let reason = "paid after an earlier attempt failed and the order was \
                                  cancelled: the payment for it was refunded";
                    self.refund_unpayable(&share, reason).await?
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies the failure (or cancellation) of payment `intent`.
    pub async fn failed(
        &self,
        intent: &str,
        to: CheckoutStatus,
        reason: &str,
    ) -> Result<(), PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let payment = checkouts::by_intent(&mut conn, intent)
            .await?
            .ok_or(PaymentError::NotFound)?;
        let moved = checkouts::settle(
            &mut conn,
            &payment.checkout_id,
            &[CheckoutStatus::Open, CheckoutStatus::Failed],
            to,
            None,
            Some(reason),
        )
        .await?;
        if !moved {
            // A failure event for a payment that succeeded (before, or just now
            // while this one was applied) changes nothing.
            let now = checkouts::get(&mut conn, &payment.checkout_id).await?;
            if now.is_none_or(|p| p.status == CheckoutStatus::Succeeded) {
                return Ok(());
            }
        }
        drop(conn);
        self.apply_failure(&payment.checkout_id, reason).await
    }

    /// Cancels every order of a failed checkout that still awaits its money.
    pub(super) async fn apply_failure(
        &self,
        checkout: &str,
        reason: &str,
    ) -> Result<(), PaymentError> {
        for share in self.shares_of(checkout).await? {
            if share.status == ShareStatus::Awaiting {
                self.settle_unpaid(&share, reason).await?;
            }
        }
        Ok(())
    }

    /// Cancels the checkout's open payment when none of its orders can be paid
    /// any more (each cancelled or expired): a payment now would only charge
    /// the customer to refund them.
    pub(super) async fn cancel_if_nothing_to_pay(
        &self,
        checkout: &str,
    ) -> Result<(), PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let payment = checkouts::get(&mut conn, checkout).await?;
        drop(conn);
        let Some(payment) = payment.filter(|p| p.status == CheckoutStatus::Open) else {
            return Ok(());
        };
        for share in self.shares_of(checkout).await? {
            let order = self
                .orders
                .order(&SYSTEM, order_key(&share.order_id)?)
                .await?;
            if order
                .is_some_and(|o| !matches!(o.status, OrderStatus::Cancelled | OrderStatus::Expired))
            {
                return Ok(());
            }
        }
        self.cancel_payment(&payment, "every order of the checkout was cancelled")
            .await
    }

    pub(super) async fn shares_of(&self, checkout: &str) -> Result<Vec<Share>, PaymentError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let found = shares::of_checkout(&mut tx, checkout).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Brings one share of a paid checkout in step with its order.
    pub(crate) async fn settle_paid(&self, share: &Share) -> Result<(), PaymentError> {
        let key = order_key(&share.order_id)?;
        let Some(order) = self.orders.order(&SYSTEM, key).await? else {
            return self.refund_unpayable(share, "the order is gone").await;
        };
        let status = match order.status {
            OrderStatus::Pending => self.pay_order(key).await?,
            status => status,
        };
        match status {
            OrderStatus::Pending => Err(PaymentError::Closed("still pending; retried later")),
            OrderStatus::Cancelled | OrderStatus::Expired => {
                let reason = format!(
                    "paid after the order was {}: the payment for it was refunded",
                    status.as_str()
                );
                self.refund_unpayable(share, &reason).await
            }
            _ => self.record_paid(share).await,
        }
    }

    /// Moves a pending order to paid, and where it is now. An order whose
    /// stock is not held any more cannot be paid: it is cancelled (releasing
    /// whatever is left), so that its money goes back. A conflicting change is
    /// retried.
    async fn pay_order(&self, key: ObjectKey) -> Result<OrderStatus, PaymentError> {
        for _ in 0..3 {
            let change = Change {
                to: OrderStatus::Paid,
                note: Some("the checkout's payment succeeded".into()),
                goods_returned: false,
                from: Some(OrderStatus::Pending),
            };
            let refused = match self.orders.change(&SYSTEM, key, change).await {
                Ok(paid) => return Ok(paid.status),
                Err(OrderError::Internal(err)) => return Err(err.into()),
                Err(OrderError::Conflict) => continue,
                Err(refused) => refused,
            };
            let now = self.orders.order(&SYSTEM, key).await?;
            match now.map(|o| o.status) {
                Some(OrderStatus::Pending)
                    if matches!(refused, OrderError::StockNotHeld { .. }) =>
                {
                    let cancel = Change {
                        to: OrderStatus::Cancelled,
                        note: Some("its stock was no longer held when the payment came".into()),
                        goods_returned: false,
                        from: Some(OrderStatus::Pending),
                    };
                    match self.orders.change(&SYSTEM, key, cancel).await {
                        Ok(order) => return Ok(order.status),
                        Err(OrderError::Internal(err)) => return Err(err.into()),
                        Err(_) => continue,
                    }
                }
                Some(OrderStatus::Pending) => continue,
                Some(status) => return Ok(status),
                None => return Ok(OrderStatus::Cancelled),
            }
        }
        Ok(OrderStatus::Pending)
    }

    /// Records a paid share: its charge and the commission of the vendor's plan.
    async fn record_paid(&self, share: &Share) -> Result<(), PaymentError> {
        let commission = match self.billing.subscription(share.tenant).await {
            Ok((_, plan)) => plan.commission.fee(share.amount),
            Err(souk_billing::BillingError::NoSubscription) => 0,
            Err(err) => return Err(souk_tenants::InternalError::new(err).into()),
        };
        let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
        if shares::mark_paid(&mut tx, &share.order_id, commission).await? {
            append_charge(&mut tx, share).await?;
            if commission > 0 {
                append(&mut tx, share, EntryKind::Commission, -commission, None).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A share whose order cannot be paid any more: its money is recorded as
    /// received and refunded in full, automatically.
    async fn refund_unpayable(&self, share: &Share, reason: &str) -> Result<(), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
        if shares::mark_received(&mut tx, &share.order_id).await? {
            append_charge(&mut tx, share).await?;
        }
        let refund = late_refund(share, reason);
        refunds::insert(&mut tx, &refund).await?;
        shares::set_note(&mut tx, &share.order_id, reason).await?;
        tx.commit().await?;
        self.finish_refund(&refund).await
    }

    /// A share whose payment failed: its order is cancelled (releasing its hold)
    /// while it is still pending, and the share is voided. An order that moved
    /// on meanwhile keeps its share: a success racing this failure paid it, and
    /// that payment records the share (cancelling a paid order here would keep
    /// the customer's money for an order they never get).
    pub(crate) async fn settle_unpaid(
        &self,
        share: &Share,
        reason: &str,
    ) -> Result<(), PaymentError> {
        if !self.cancel_pending(share, reason).await? {
            return Ok(());
        }
        let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
        shares::mark_voided(&mut tx, &share.order_id, reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels the share's order if it is pending; whether the order is now
    /// closed unpaid (cancelled, expired or gone). A change that keeps
    /// conflicting is `Conflict`, left to the next repair.
    async fn cancel_pending(&self, share: &Share, reason: &str) -> Result<bool, PaymentError> {
        let key = order_key(&share.order_id)?;
        let change = Change {
            to: OrderStatus::Cancelled,
            note: Some(format!("payment failed: {reason}")),
            goods_returned: false,
            from: Some(OrderStatus::Pending),
        };
        match self.change_order(key, change).await {
            Ok(_) | Err(OrderError::NotFound) => Ok(true),
            Err(OrderError::InvalidTransition { .. }) => {
                let now = self.orders.order(&SYSTEM, key).await?.map(|o| o.status);
                Ok(matches!(
                    now,
                    None | Some(OrderStatus::Cancelled | OrderStatus::Expired)
                ))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Changes an order as the payments service, retrying a change that raced
    /// another with a growing pause (a shipment moves an order through several
    /// steps); `Conflict` when it still races after that.
    pub(super) async fn change_order(
        &self,
        key: ObjectKey,
        change: Change,
    ) -> Result<souk_orders::domain::Order, OrderError> {
        for attempt in 0..10u64 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            match self.orders.change(&SYSTEM, key, change.clone()).await {
                Err(OrderError::Conflict) => continue,
                done => return done,
            }
        }
        Err(OrderError::Conflict)
    }
}

/// Appends the share's charge, with the provider's charge it came with.
async fn append_charge(tx: &mut TenantTx, share: &Share) -> Result<(), PaymentError> {
    let charge = checkouts::get(tx, &share.checkout_id)
        .await?
        .and_then(|p| p.charge_id);
    append(
        tx,
        share,
        EntryKind::Charge,
        share.amount,
        charge.as_deref(),
    )
    .await
}

/// Appends `kind` for `share`, once (its key names the order and the kind).
pub(super) async fn append(
    tx: &mut TenantTx,
    share: &Share,
    kind: EntryKind,
    amount: i64,
    object: Option<&str>,
) -> Result<(), PaymentError> {
    ledger::append(
        tx,
        NewEntry {
            tenant: share.tenant,
            order_id: &share.order_id,
            kind,
            amount,
            currency: &share.currency,
            stripe_object: object,
            key: format!("{}:{}", kind.as_str(), share.order_id),
        },
    )
    .await?;
    Ok(())
}
