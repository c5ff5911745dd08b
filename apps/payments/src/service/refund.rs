//! Refunds of a vendor order, full or partial: requested first (the share is
//! locked while the split is computed, so two refunds never take the same
//! money), then the order moves to `refunded` when all of it goes back (which
//! restocks returned goods), then the provider refunds and, when the vendor was
//! paid already, a proportional part of its transfer is reversed; the ledger
//! records each. A crash anywhere leaves a `requested` refund the reconciler
//! finishes under the same idempotency keys.

use chrono::Utc;
use souk_orders::domain::{OrderError, OrderStatus};
use souk_orders::service::{Actor, Change};
use souk_tenants::{TenantId, TenantTx};
use uuid::Uuid;

use super::{order_key, PaymentError, Payments};
use crate::domain::{refund_reason, EntryKind, Share, ShareStatus};
use crate::provider::{ProviderError, RefundRequest};
use crate::store::ledger::{self, NewEntry};
use crate::store::{checkouts, refunds, shares, Refund};

/// A refund as a vendor or admin asks for it.
#[derive(Debug, Clone)]
pub struct RefundInput {
    pub order_id: String,
    /// Minor units; all that is left when `None`.
    pub amount: Option<i64>,
    pub reason: String,
    /// The goods came back: a full refund of a shipped order restocks them.
    pub goods_returned: bool,
    /// The same key on the same order answers the refund it made, once.
    pub idempotency_key: Option<String>,
}

/// The automatic refund of a share whose order could not stand; its id is
/// derived from the order, so it is recorded once however often it is tried.
pub(super) fn late_refund(share: &Share, reason: &str) -> Refund {
    Refund {
        id: Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("late:{}", share.order_id).as_bytes(),
        ),
        tenant: share.tenant,
        order_id: share.order_id.clone(),
        amount: share.amount,
        commission_returned: 0,
        reversal: 0,
        reason: reason.chars().take(500).collect(),
        goods_returned: false,
        automatic: true,
        requested_by: "system:payments".into(),
        done: false,
        refund_id: None,
        reversal_id: None,
        created_at: Utc::now(),
    }
}

/// The id of the refund asked for under `key`: the same for every retry.
fn keyed_refund_id(order_id: &str, key: &str) -> Result<Uuid, PaymentError> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 100 {
        return Err(invalid("idempotencyKey", "1 to 100 characters"));
    }
    Ok(Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("refund:{order_id}:{key}").as_bytes(),
    ))
}

fn invalid(field: &'static str, message: impl Into<String>) -> PaymentError {
    PaymentError::Invalid {
        code: "INVALID_ARGUMENT",
        field,
        message: message.into(),
    }
}

impl Payments {
    /// Refunds a vendor order (its owner or manager, or a platform admin).
    pub async fn refund_order(
        &self,
        actor: &Actor,
        input: RefundInput,
    ) -> Result<(Share, Vec<Refund>), PaymentError> {
        let reason = refund_reason(&input.reason).map_err(|m| invalid("reason", m))?;
        let order = self.order_for(actor, &input.order_id).await?;
        let shipped = matches!(order.status, OrderStatus::Shipped | OrderStatus::Delivered);
        let (refund, full) = self
            .request_after_transfer(order.tenant, actor, &input, reason, shipped)
            .await?;
        // A refund asked for before under the same key and still on its way
        // (its first request is moving the money, or was cut off) is finished
        // by the retry too: every step is once.
        if !refund.done {
            match full {
                Some(true) => self.close_order(&refund).await?,
                Some(false) => {}
                None => self.close_if_full(&refund).await?,
            }
            self.finish_refund(&refund).await?;
        }
        self.refunds_of(order.tenant, &refund.order_id).await
    }

    /// Requests the refund once the order's transfer, if one is being made
    /// (the shipment's, a moment ago), is recorded: a refund must know what it
    /// reverses. A transfer still not recorded after a few tries (the provider
    /// is away) answers the provider's failure.
    async fn request_after_transfer(
        &self,
        tenant: TenantId,
        actor: &Actor,
        input: &RefundInput,
        reason: String,
        shipped: bool,
    ) -> Result<(Refund, Option<bool>), PaymentError> {
        let mut attempt = 0u64;
        loop {
            let requested = match self.finish_transfer(tenant, &input.order_id).await {
                Ok(()) => {
                    self.request_refund(tenant, actor, input, &reason, shipped)
                        .await
                }
                Err(err) => Err(err),
            };
            match requested {
                Err(PaymentError::Provider(_)) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                done => return done,
            }
        }
    }

    /// Records the refund, split, under the share's lock; whether it (with the
    /// refunds before it) takes back all that was paid; or the refund asked
    /// for before under the input's key, and `None`. `shipped`: the order
    /// shipped, so its goods can come back.
    async fn request_refund(
        &self,
        tenant: TenantId,
        actor: &Actor,
        input: &RefundInput,
        reason: &str,
        shipped: bool,
    ) -> Result<(Refund, Option<bool>), PaymentError> {
        let id = match &input.idempotency_key {
            Some(key) => keyed_refund_id(&input.order_id, key)?,
            None => Uuid::now_v7(),
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let share = shares::get(&mut tx, &input.order_id, true)
            .await?
            .ok_or(PaymentError::NotRefundable("not paid online"))?;
        if input.idempotency_key.is_some() {
            let earlier = refunds::of_order(&mut tx, &share.order_id).await?;
            if let Some(earlier) = earlier.into_iter().find(|r| r.id == id) {
                let same = input.amount.is_none_or(|a| a == earlier.amount)
                    && earlier.reason == reason
                    && earlier.goods_returned == input.goods_returned;
                return match same {
                    true => Ok((earlier, None)),
                    false => Err(PaymentError::Invalid {
                        code: "IDEMPOTENCY_CONFLICT",
                        field: "idempotencyKey",
                        message: "this key was used for another refund of this order".into(),
                    }),
                };
            }
        }
        if share.status != ShareStatus::Paid {
            return Err(PaymentError::NotRefundable(match share.status {
                ShareStatus::Awaiting => "not paid yet",
                ShareStatus::Refunded => "refunded already",
                _ => "not paid",
            }));
        }
        if shares::transfer_in_flight(&mut tx, &share.order_id)
            .await?
            .is_some()
        {
            // Asked of the provider just now and not recorded yet: the refund
            // must know what it reverses.
            return Err(ProviderError("a transfer to the vendor is under way".into()).into());
        }
        let (requested, reversing) = refunds::requested_total(&mut tx, &share.order_id).await?;
        let refundable = share.refundable(requested);
        if refundable == 0 {
            return Err(PaymentError::NotRefundable(
                "being refunded in full already",
            ));
        }
        let amount = input.amount.unwrap_or(refundable);
        if amount <= 0 {
            return Err(invalid("amount", "a refund is at least 1 minor unit"));
        }
        if input.goods_returned && !shipped {
            return Err(invalid(
                "goodsReturned",
                "goods come back only from an order that shipped",
            ));
        }
        if input.goods_returned && amount != refundable {
            // Which of the lines came back is not known for a part of the money.
            return Err(invalid(
                "goodsReturned",
                "returned goods are restocked with the refund of all that is left",
            ));
        }
        let split = share
            .split(amount, requested, reversing)
            .ok_or(PaymentError::TooMuch { refundable })?;
        let refund = Refund {
            id,
            tenant,
            order_id: share.order_id.clone(),
            amount,
            commission_returned: split.commission_returned,
            reversal: split.reversal,
            reason: reason.to_string(),
            goods_returned: input.goods_returned,
            automatic: false,
            requested_by: actor.name(),
            done: false,
            refund_id: None,
            reversal_id: None,
            created_at: Utc::now(),
        };
        let full = amount == refundable;
        refunds::insert(&mut tx, &refund).await?;
        tx.commit().await?;
        Ok((refund, Some(full)))
    }

    /// A full refund closes the order: `refunded` (restocking returned goods).
    /// A change racing it is retried; one still racing after that is left to
    /// the reconciler, which closes the order when it finishes the refund.
    pub(crate) async fn close_order(&self, refund: &Refund) -> Result<(), PaymentError> {
        let change = Change {
            to: OrderStatus::Refunded,
            note: Some(format!("refunded: {}", refund.reason)),
            goods_returned: refund.goods_returned,
            from: None,
        };
        // Still racing after the retries: `Conflict`; the refund stays
        // requested, and the reconciler closes the order before it moves the money.
        match self
            .change_order(order_key(&refund.order_id)?, change)
            .await
        {
            Ok(_) | Err(OrderError::InvalidTransition { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Moves a requested refund's money and records it, once.
    pub(crate) async fn finish_refund(&self, refund: &Refund) -> Result<(), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, refund.tenant).await?;
        let share = shares::get(&mut tx, &refund.order_id, false)
            .await?
            .ok_or(PaymentError::NotFound)?;
        tx.commit().await?;
        let mut conn = self.pool.acquire().await?;
        let payment = checkouts::get(&mut conn, &share.checkout_id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        drop(conn);
        let intent = payment.intent_id.ok_or(PaymentError::NotFound)?;
        let refund_id = self
            .provider
            .refund(&RefundRequest {
                intent_id: intent,
                amount: refund.amount,
                order_id: refund.order_id.clone(),
                key: format!("souk-refund-{}", refund.id),
            })
            .await?;
        let reversal_id = match (&share.transfer_id, refund.reversal) {
            (Some(transfer), reversal) if reversal > 0 => Some(
                self.provider
                    .reverse(transfer, reversal, &format!("souk-reversal-{}", refund.id))
                    .await?,
            ),
            _ => None,
        };
        self.record_refund(refund, &share, &refund_id, reversal_id.as_deref())
            .await
    }

    async fn record_refund(
        &self,
        refund: &Refund,
        share: &Share,
        refund_id: &str,
        reversal_id: Option<&str>,
    ) -> Result<(), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, refund.tenant).await?;
        if refunds::finish(&mut tx, refund.id, refund_id, reversal_id).await? {
            let entries = [
                (EntryKind::Refund, -refund.amount, Some(refund_id)),
                (
                    EntryKind::CommissionRefund,
                    refund.commission_returned,
                    None,
                ),
                (EntryKind::Reversal, -refund.reversal, reversal_id),
            ];
            for (kind, amount, object) in entries.into_iter().filter(|(_, a, _)| *a != 0) {
                ledger::append(
                    &mut tx,
                    NewEntry {
                        tenant: refund.tenant,
                        order_id: &refund.order_id,
                        kind,
                        amount,
                        currency: &share.currency,
                        stripe_object: object,
                        key: format!("{}:{}", kind.as_str(), refund.id),
                    },
                )
                .await?;
            }
            shares::add_refund(
                &mut tx,
                &refund.order_id,
                refund.amount,
                refund.commission_returned,
                refund.reversal,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The money of an order the actor may see.
    pub async fn order_payment(
        &self,
        actor: &Actor,
        order_id: &str,
    ) -> Result<(Share, Vec<Refund>), PaymentError> {
        let order = self.order_for(actor, order_id).await?;
        self.refunds_of(order.tenant, &order.id.to_string()).await
    }

    /// An order's share and its refunds, in its vendor's scope.
    pub async fn refunds_of(
        &self,
        tenant: TenantId,
        order_id: &str,
    ) -> Result<(Share, Vec<Refund>), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let share = shares::get(&mut tx, order_id, false)
            .await?
            .ok_or(PaymentError::NotFound)?;
        let refunds = refunds::of_order(&mut tx, order_id).await?;
        tx.commit().await?;
        Ok((share, refunds))
    }
}
