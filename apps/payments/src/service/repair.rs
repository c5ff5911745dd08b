//! The payments reconciler's sweep: every half-done step finished, safe with
//! several replicas running (each step is idempotent: conditional updates,
//! ledger entries keyed by what they record, provider calls under keys derived
//! from what they do).
//!
//! * a settled payment whose orders are not all in step: a success pays them
//!   (or refunds the ones that cannot stand), a failure cancels them;
//! * a refund requested and never finished: the order closed when it was a
//!   full refund, the money moved, the ledger written;
//! * a paid order that shipped without its transfer (the ship hook never ran,
//!   or payouts were off): marked shipped and transferred;
//! * a payment nobody completed before its orders' holds ran out: cancelled at
//!   the provider, its orders cancelled.

use chrono::{DateTime, Utc};
use souk_orders::domain::{OrderError, OrderStatus};
use souk_orders::service::Change;
use souk_tenants::{PlatformTx, TenantTx};

use super::{PaymentError, Payments, SYSTEM};
use crate::domain::{CheckoutPayment, CheckoutStatus, Share};

use crate::store::{checkouts, refunds, shares};

const BATCH: i64 = 200;

/// What one sweep repaired.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    pub settled: usize,
    /// Orders refunded in full that were still open, now closed.
    pub closed: usize,
    pub refunds: usize,
    pub transfers: usize,
    pub abandoned: usize,
}

/// Where the sweep over untransferred orders goes on from.
pub type Cursor = Option<(DateTime<Utc>, String)>;

impl Payments {
    /// One sweep; `stalled_before` is how old a step must be to count as
    /// interrupted, `abandoned_before` how old an open payment must be to be
    /// cancelled when none of its orders can be paid any more.
    pub async fn repair(
        &self,
        stalled_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
        cursor: &mut Cursor,
    ) -> Result<Repairs, PaymentError> {
        let mut repairs = Repairs {
            settled: self.repair_settled().await?,
            ..Repairs::default()
        };
        let stalled = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let found = refunds::stalled(&mut tx, stalled_before, BATCH).await?;
            tx.commit().await?;
            found
        };
        for refund in stalled {
            let finished = match refund.automatic {
                true => self.finish_refund(&refund).await,
                false => match self.close_if_full(&refund).await {
                    Ok(()) => self.finish_refund(&refund).await,
                    Err(err) => Err(err),
                },
            };
            match finished {
                Ok(()) => repairs.refunds += 1,
                Err(err) => tracing::warn!(
                    refund_id = %refund.id, error = %err,
                    "an interrupted refund is still unfinished; retried next sweep"
                ),
            }
        }
        repairs.closed = self.close_refunded().await?;
        repairs.transfers = self.repair_transfers(cursor).await?;
        repairs.abandoned = self.cancel_abandoned(abandoned_before).await?;
        Ok(repairs)
    }

    async fn repair_settled(&self) -> Result<usize, PaymentError> {
        let awaiting = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let found = shares::awaiting_settled(&mut tx, BATCH).await?;
            tx.commit().await?;
            found
        };
        let mut settled = 0;
        for share in awaiting {
            let done = self.repair_share(&share).await;
            settled += tally(
                done,
                &share,
                "a settled payment's order is still out of step",
            );
        }
        Ok(settled)
    }

    /// Settles one share of a settled payment; whether there was one to settle.
    async fn repair_share(&self, share: &Share) -> Result<bool, PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let payment = checkouts::get(&mut conn, &share.checkout_id).await?;
        drop(conn);
        match payment.map(|p| (p.status, p.failure)) {
            Some((CheckoutStatus::Succeeded, _)) => self.settle_paid(share).await?,
            Some((_, failure)) => {
                let reason = failure.unwrap_or_else(|| "the payment failed".into());
                self.settle_unpaid(share, &reason).await?
            }
            None => return Ok(false),
        }
        Ok(true)
    }

    /// Orders whose money all went back and that are still open (shipped, say:
    /// a refund that raced the shipment could leave one so) become `refunded`;
    /// each share is looked at until its order is seen closed.
    async fn close_refunded(&self) -> Result<usize, PaymentError> {
        let refunded = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let found = shares::refunded_unclosed(&mut tx, BATCH).await?;
            tx.commit().await?;
            found
        };
        let mut closed = 0;
        for share in refunded {
            let done = self.close_refunded_order(&share).await;
            closed += tally(done, &share, "a refunded order is still open");
        }
        Ok(closed)
    }

    /// Closes one refunded share's order if it is open; whether it was.
    async fn close_refunded_order(&self, share: &Share) -> Result<bool, PaymentError> {
        let key = super::order_key(&share.order_id)?;
        let open = self.orders.order(&SYSTEM, key).await?.is_some_and(|o| {
            !matches!(
                o.status,
                OrderStatus::Refunded | OrderStatus::Cancelled | OrderStatus::Expired
            )
        });
        if open {
            let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
            let refunds = refunds::of_order(&mut tx, &share.order_id).await?;
            tx.commit().await?;
            let change = Change {
                to: OrderStatus::Refunded,
                note: Some("refunded in full".into()),
                // As the refund that took the last of the money asked.
                goods_returned: refunds.last().is_some_and(|r| r.goods_returned),
                from: None,
            };
            match self.change_order(key, change).await {
                Ok(_) | Err(OrderError::InvalidTransition { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
        shares::mark_order_closed(&mut tx, &share.order_id).await?;
        tx.commit().await?;
        Ok(open)
    }

    /// Closes the refund's order when it, with the refunds before it, takes
    /// back all that was paid.
    pub(super) async fn close_if_full(
        &self,
        refund: &crate::store::Refund,
    ) -> Result<(), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, refund.tenant).await?;
        let share = shares::get(&mut tx, &refund.order_id, false).await?;
        let (requested, _) = refunds::requested_total(&mut tx, &refund.order_id).await?;
        tx.commit().await?;
        if share.is_some_and(|s| s.refunded + requested >= s.amount) {
            self.close_order(refund).await?;
        }
        Ok(())
    }

    /// Paid orders without a transfer, a page at a time from `cursor`.
    async fn repair_transfers(&self, cursor: &mut Cursor) -> Result<usize, PaymentError> {
        let page = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let found = shares::untransferred(&mut tx, cursor.clone(), BATCH).await?;
            tx.commit().await?;
            found
        };
        *cursor = match page.last() {
            Some(last) if page.len() as i64 == BATCH => {
                last.paid_at.map(|at| (at, last.order_id.clone()))
            }
            _ => None,
        };
        let mut moved = 0;
        for share in page {
            let done = self.repair_transfer(&share).await;
            moved += tally(done, &share, "a shipped order's transfer is still not made");
        }
        Ok(moved)
    }

    /// Transfers one paid order's share if the order shipped; whether money moved.
    async fn repair_transfer(&self, share: &Share) -> Result<bool, PaymentError> {
        if !share.shipped {
            let shipped = match self.order_for(&SYSTEM, &share.order_id).await {
                Ok(o) => matches!(o.status, OrderStatus::Shipped | OrderStatus::Delivered),
                Err(PaymentError::NotFound) => false,
                Err(err) => return Err(err),
            };
            if !shipped {
                return Ok(false);
            }
            let mut tx = TenantTx::begin(&self.pool, share.tenant).await?;
            shares::mark_shipped(&mut tx, &share.order_id).await?;
            tx.commit().await?;
        }
        self.transfer(share.tenant, &share.order_id).await
    }

    /// Open payments older than `before`, which is past the holds' time to
    /// live: none of their orders can still be paid (a payment now would only be
    /// refunded), so they are cancelled at the provider and here, and their
    /// orders with them.
    async fn cancel_abandoned(&self, before: DateTime<Utc>) -> Result<usize, PaymentError> {
        let mut conn = self.pool.acquire().await?;
        let open = checkouts::open_before(&mut conn, before, BATCH).await?;
        drop(conn);
        let mut cancelled = 0;
        for payment in open {
            let reason = "not paid before the stock holds expired";
            match self.cancel_payment(&payment, reason).await {
                Ok(()) => cancelled += 1,
                Err(err) => tracing::warn!(
                    checkout_id = %payment.checkout_id, error = %err,
                    "an abandoned payment was not cancelled; retried next sweep"
                ),
            }
        }
        Ok(cancelled)
    }

    /// Cancels an open payment at the provider and here, and its orders with it.
    pub(super) async fn cancel_payment(
        &self,
        payment: &CheckoutPayment,
        reason: &str,
    ) -> Result<(), PaymentError> {
        match &payment.intent_id {
            Some(intent) => {
                self.provider.cancel_intent(intent).await?;
                self.failed(intent, CheckoutStatus::Canceled, reason).await
            }
            None => {
                let mut conn = self.pool.acquire().await?;
                checkouts::settle(
                    &mut conn,
                    &payment.checkout_id,
                    &[CheckoutStatus::Open],
                    CheckoutStatus::Canceled,
                    None,
                    Some(reason),
                )
                .await?;
                Ok(())
            }
        }
    }
}

/// Counts one share's repair: 1 when it repaired something. A share that
/// cannot be repaired now (its order keeps changing, a store or the provider is
/// away, a restricted account) is logged and retried next sweep; it holds up
/// neither the others nor the sweep's later steps.
fn tally(done: Result<bool, PaymentError>, share: &Share, still: &str) -> usize {
    match done {
        Ok(repaired) => usize::from(repaired),
        Err(err) => {
            tracing::warn!(order_id = %share.order_id, error = %err, "{still}; retried next sweep");
            0
        }
    }
}
