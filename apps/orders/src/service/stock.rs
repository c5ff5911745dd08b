//! What order transitions do to stock, through the inventory boundary.
//!
//! Payment and shipment must not happen unless inventory agrees: they are stock
//! steps ([`StockStep`]), recorded on the order, done, then written as the
//! transition. Cancel, expire and refund are written first and release the
//! stock afterwards; the reconciler finishes whatever a crash interrupts.
//! Every answer of inventory is acted on: none is dropped.

use chrono::Utc;
use souk_inventory::domain::{
    Adjustment, Reason, Reference, ReservationStatus, SettleError, StockDelta,
};
use souk_tenants::IntErr;

use super::{order_id, saga_scope, MongoOrders};
use crate::domain::{
    InternalError, Order, OrderError, OrderStatus, StockEffect, StockStep, Transition,
};
use crate::store::{orders, steps};

impl MongoOrders {
    /// Runs `transition`, which needs `step`: records the step on the order
    /// (refused when the order changed meanwhile), then completes it.
    pub(crate) async fn change_with_step(
        &self,
        order: &Order,
        step: StockStep,
        transition: Transition,
    ) -> Result<Order, OrderError> {
        let scoped = self.scoped(order.tenant);
        if !steps::begin(&scoped, order.id.0, order.status, order.version, step).await? {
            return Err(OrderError::Conflict);
        }
        self.complete_step(order, step, transition).await
    }

    /// Completes a recorded step: when inventory does it, `transition` is written;
    /// when inventory refuses, the step is dropped (and a pending order whose
    /// hold expired expires). A fault leaves the step for the reconciler.
    pub(crate) async fn complete_step(
        &self,
        order: &Order,
        step: StockStep,
        transition: Transition,
    ) -> Result<Order, OrderError> {
        let scoped = self.scoped(order.tenant);
        match self.settle_step(order, step).await {
            Ok(()) => {}
            Err(OrderError::Internal(err)) => return Err(OrderError::Internal(err)),
            Err(refused) => {
                steps::abandon(&scoped, order.id.0, step).await?;
                if matches!(refused, OrderError::ReservationExpired)
                    && order.status == OrderStatus::Pending
                {
                    self.expire(order).await?;
                }
                return Err(refused);
            }
        }
        let from = order.status;
        let written =
            orders::finish_step(&scoped, order.id.0, from, order.version, &transition, step)
                .await?;
        if written && step == StockStep::Commit {
            orders::set_reserved(&scoped, order.id.0, false).await?;
        }
        orders::get(&scoped, order.id.0)
            .await?
            .ok_or(OrderError::NotFound)
    }

    async fn settle_step(&self, order: &Order, step: StockStep) -> Result<(), OrderError> {
        let scope = saga_scope(order);
        let id = order_id(order)?;
        let settled = match step {
            StockStep::Confirm => self.inventory().confirm(&scope, &id).await,
            StockStep::Commit => self.inventory().commit(&scope, &id).await,
        };
        match settled {
            Ok(_) => Ok(()),
            Err(SettleError::Expired(_)) => Err(OrderError::ReservationExpired),
            Err(SettleError::NotFound(_)) => Err(OrderError::StockNotHeld { status: "missing" }),
            Err(SettleError::Closed(closed)) => Err(OrderError::StockNotHeld {
                status: closed.status.as_str(),
            }),
            Err(SettleError::Internal(err)) => Err(err.into()),
        }
    }

    /// Moves a pending order whose hold expired to `expired`, giving back its
    /// stock (already back in inventory).
    pub(crate) async fn expire(&self, order: &Order) -> Result<(), InternalError> {
        let step = Transition {
            at: Utc::now(),
            by: "system:reservation-expiry".into(),
            from: Some(OrderStatus::Pending),
            to: OrderStatus::Expired,
            note: Some("the reservation timed out before payment".into()),
        };
        let scoped = self.scoped(order.tenant);
        if orders::transition(&scoped, order.id.0, order.status, order.version, &step).await? {
            self.apply_effect(order, StockEffect::Release).await?;
        }
        Ok(())
    }

    /// Gives a failed checkout's order back: cancels it, then releases whatever
    /// it holds.
    pub(crate) async fn undo(&self, order: &Order, note: &str) -> Result<(), InternalError> {
        // Cancel first: once the order is not pending, the reconciler leaves it be,
        // so nothing reserves it again after the release below.
        let step = Transition {
            at: Utc::now(),
            by: "system:checkout".into(),
            from: Some(OrderStatus::Pending),
            to: OrderStatus::Cancelled,
            note: Some(note.to_string()),
        };
        let scoped = self.scoped(order.tenant);
        orders::transition(
            &scoped,
            order.id.0,
            OrderStatus::Pending,
            order.version,
            &step,
        )
        .await?;
        self.apply_effect(order, StockEffect::Release).await
    }

    /// Applies a written transition's effect on stock; afterwards the order is
    /// marked as holding no stock. Inventory's answer is checked: a hold that is
    /// already gone the expected way is fine, any other is logged as the
    /// inconsistency it is; only a fault is an error (the reconciler retries).
    pub(crate) async fn apply_effect(
        &self,
        order: &Order,
        effect: StockEffect,
    ) -> Result<(), InternalError> {
        let scope = saga_scope(order);
        let id = order_id(order)?;
        let settled = match effect {
            StockEffect::None => return Ok(()),
            StockEffect::Restock => return self.restock(order).await,
            StockEffect::Release => self.inventory().release(&scope, &id).await,
            StockEffect::Commit => self.inventory().commit(&scope, &id).await,
        };
        let unexpected = match (effect, settled) {
            (_, Ok(_)) => None,
            (_, Err(SettleError::Internal(err))) => return Err(err),
            // Released stock that had expired, or never was held, is back already.
            (StockEffect::Release, Err(SettleError::Expired(_))) => None,
            (StockEffect::Release, Err(SettleError::NotFound(_))) if !order.reserved => None,
            (StockEffect::Release, Err(SettleError::Closed(closed)))
                if closed.status == ReservationStatus::Released =>
            {
                None
            }
            (_, Err(err)) => Some(err),
        };
        if let Some(err) = unexpected {
            tracing::error!(
                order_id = %order.id, tenant_id = %order.tenant, ?effect, error = %err,
                "the order's stock is not where its state says; inventory left as it is"
            );
        }
        orders::set_reserved(&self.scoped(order.tenant), order.id.0, false).await
    }

    async fn restock(&self, order: &Order) -> Result<(), InternalError> {
        let scope = saga_scope(order);
        for line in &order.lines {
            let adjustment = Adjustment {
                sku: line.sku.clone(),
                delta: StockDelta::parse(line.quantity.get())
                    .map_err(|e| InternalError::msg(e.0))?,
                reason: Reason::parse("refund: goods returned")
                    .map_err(|e| InternalError::msg(e.0))?,
                reference: Reference::parse(&order.id.to_string()).ok(),
            };
            self.inventory()
                .adjust(&scope, adjustment)
                .await
                .int_err()?;
        }
        Ok(())
    }
}
