//! A state change of one order, by its customer, its vendor or an admin: the
//! transition table decides, stock follows (see `stock`).

use chrono::Utc;
use souk_catalog::domain::ObjectKey;

use super::{Actor, Change, MongoOrders};
use crate::domain::{InternalError, Order, OrderError, OrderStatus, Transition};
use crate::store::orders;

impl MongoOrders {
    /// Changes the order's state when the actor may and the table allows it.
    pub(super) async fn change_order(
        &self,
        actor: &Actor,
        id: ObjectKey,
        change: Change,
    ) -> Result<Order, OrderError> {
        let order = self.load(actor, id).await?.ok_or(OrderError::NotFound)?;
        if let Actor::Customer(_) = actor {
            // A customer may only cancel, and only before the vendor starts work; an
            // order past that (or already closed, e.g. expired) says so.
            if change.to != OrderStatus::Cancelled {
                return Err(OrderError::Forbidden);
            }
            if !order.customer_may_ask(change.to) {
                return Err(OrderError::InvalidTransition {
                    from: order.status.as_str(),
                    to: change.to.as_str(),
                    allowed: Vec::new(),
                });
            }
        }
        if !matches!(actor, Actor::System(_)) {
            if let Some(rule) = order.payment_rule(change.to) {
                return Err(OrderError::PaymentManaged(rule));
            }
        }
        let expected = change.from.is_none_or(|from| from == order.status);
        if !expected || !order.status.can_become(change.to) {
            return Err(OrderError::InvalidTransition {
                from: order.status.as_str(),
                to: change.to.as_str(),
                allowed: order.next_by_hand(),
            });
        }
        let step = Transition {
            at: Utc::now(),
            by: actor.name(),
            from: Some(order.status),
            to: change.to,
            note: change.note.clone(),
        };
        if let Some(stock_step) = order.status.step(change.to) {
            return self.change_with_step(&order, stock_step, step).await;
        }
        if !orders::transition(
            &self.scoped(order.tenant),
            order.id.0,
            order.status,
            order.version,
            &step,
        )
        .await?
        {
            return Err(OrderError::Conflict);
        }
        let effect = order.status.effect(change.to, change.goods_returned);
        self.apply_effect(&order, effect).await?;
        orders::get(&self.scoped(order.tenant), order.id.0)
            .await?
            .ok_or(OrderError::NotFound)
    }

    pub(super) async fn load(
        &self,
        actor: &Actor,
        id: ObjectKey,
    ) -> Result<Option<Order>, InternalError> {
        match actor {
            Actor::Vendor { tenant, .. } => orders::get(&self.scoped(*tenant), id.0).await,
            Actor::Customer(customer) => Ok(orders::get_any(&self.collection(), id.0)
                .await?
                .filter(|o| &o.customer == customer)),
            Actor::Admin(_) | Actor::System(_) => orders::get_any(&self.collection(), id.0).await,
        }
    }
}
