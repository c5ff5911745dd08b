//! The saga's repair: a background task, safe with several replicas running.
//!
//! Checkout writes orders `pending`, reserves their stock, then marks them
//! reserved; a state change writes the new state, then applies its stock effect.
//! A crash between two steps leaves one of these shapes, each repaired here with
//! idempotent steps (reservations are idempotent by order id; release and commit
//! of a settled reservation change nothing):
//!
//! * a pending order older than the threshold, not marked reserved: reserve it
//!   (or cancel it when stock is short), then mark it;
//! * a closed order (cancelled, expired, refunded) still marked reserved: release;
//! * a shipped or delivered order still marked reserved: commit;
//! * a pending, reserved order whose reservation expired: expire the order;
//! * a payment or shipment whose stock step (confirm, commit) was recorded but
//!   never finished: do the step again (both are idempotent) and write the
//!   transition, or drop the step when inventory refuses it.

use souk_tenants::IntErr;
use std::time::Duration;

use chrono::Utc;
use mongodb::bson::doc;
use souk_inventory::domain::{ReservationStatus, ReserveError};
use tokio_util::sync::CancellationToken;

use crate::domain::{InternalError, Order, OrderError, OrderStatus, StockEffect, Transition};
use crate::service::{reservation, saga_scope, MongoOrders};
use crate::store::orders::{self, from_document};
use crate::store::steps;

/// What one sweep repaired.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    pub reserved: usize,
    pub cancelled: usize,
    pub released: usize,
    pub committed: usize,
    pub expired: usize,
    /// Interrupted payments and shipments finished (or dropped when refused).
    pub steps: usize,
}

const BATCH: i64 = 200;

async fn marked_reserved(
    orders: &MongoOrders,
    statuses: &[OrderStatus],
) -> Result<Vec<Order>, InternalError> {
    use futures::TryStreamExt;
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let cursor = orders
        .collection()
        .find(doc! { "status": { "$in": statuses }, "reserved": true })
        .limit(BATCH)
        .await?;
    let docs: Vec<mongodb::bson::Document> = cursor.try_collect().await?;
    docs.iter().map(from_document).collect()
}

/// One sweep over every tenant's orders.
pub async fn repair(
    orders: &MongoOrders,
    stalled_after: Duration,
) -> Result<Repairs, InternalError> {
    let mut repairs = Repairs::default();
    let before = Utc::now() - chrono::Duration::from_std(stalled_after).unwrap_or_default();
    reserve_stalled(orders, before, &mut repairs).await?;
    for order in marked_reserved(
        orders,
        &[
            OrderStatus::Cancelled,
            OrderStatus::Expired,
            OrderStatus::Refunded,
        ],
    )
    .await?
    {
        orders.apply_effect(&order, StockEffect::Release).await?;
        repairs.released += 1;
    }
    for order in marked_reserved(orders, &[OrderStatus::Shipped, OrderStatus::Delivered]).await? {
        orders.apply_effect(&order, StockEffect::Commit).await?;
        repairs.committed += 1;
    }
    for order in marked_reserved(orders, &[OrderStatus::Pending]).await? {
        let id = souk_inventory::domain::OrderId::parse(&order.id.to_string())
            .map_err(|e| InternalError::msg(e.0))?;
        let held = orders
            .inventory()
            .reservation(order.tenant, &id)
            .await
            .int_err()?;
        if held.is_some_and(|r| r.status == ReservationStatus::Expired) {
            orders.expire(&order).await?;
            repairs.expired += 1;
        }
    }
    repairs.steps = finish_steps(orders, before).await?;
    Ok(repairs)
}

/// Reserves the stock of pending orders whose reservation never completed, or
/// cancels them when the stock is gone.
async fn reserve_stalled(
    orders: &MongoOrders,
    before: chrono::DateTime<Utc>,
    repairs: &mut Repairs,
) -> Result<(), InternalError> {
    for order in orders::stalled(&orders.collection(), before, BATCH).await? {
        let request = reservation(&order, orders.ttl())?;
        match orders
            .inventory()
            .reserve(&saga_scope(&order), request)
            .await
        {
            Ok(_) => {
                orders::set_reserved(&orders.scoped(order.tenant), order.id.0, true).await?;
                // Closed meanwhile (a checkout's undo)? Then give the stock back now.
                let now = orders::get(&orders.scoped(order.tenant), order.id.0).await?;
                if let Some(now) = now.filter(|o| o.status != OrderStatus::Pending) {
                    orders.apply_effect(&now, StockEffect::Release).await?;
                    repairs.released += 1;
                } else {
                    repairs.reserved += 1;
                }
            }
            Err(ReserveError::Insufficient(_) | ReserveError::UnknownSku(_)) => {
                orders.undo(&order, "stock unavailable").await?;
                repairs.cancelled += 1;
            }
            Err(err) => {
                tracing::warn!(order_id = %order.id, error = %err, "could not repair a stalled order")
            }
        }
    }
    Ok(())
}

/// Finishes the stock steps that began before `before` and never ended.
async fn finish_steps(
    orders: &MongoOrders,
    before: chrono::DateTime<Utc>,
) -> Result<usize, InternalError> {
    let mut finished = 0;
    for (order, step) in steps::stalled(&orders.collection(), before, BATCH).await? {
        let Some(to) = order
            .status
            .allowed()
            .into_iter()
            .find(|to| order.status.step(*to) == Some(step))
        else {
            continue;
        };
        let transition = Transition {
            at: Utc::now(),
            by: "system:reconciler".into(),
            from: Some(order.status),
            to,
            note: Some(format!("{} finished after an interruption", step.as_str())),
        };
        match orders.complete_step(&order, step, transition).await {
            Ok(_) => finished += 1,
            Err(OrderError::Internal(err)) => return Err(err),
            Err(refused) => {
                tracing::warn!(order_id = %order.id, error = %refused, "an interrupted stock step was refused");
                finished += 1;
            }
        }
    }
    Ok(finished)
}

/// Repairs every `every` until `stop` is cancelled.
pub async fn run(
    orders: MongoOrders,
    every: Duration,
    stalled_after: Duration,
    stop: CancellationToken,
) {
    let mut ticks = souk_tenants::ticks::Ticks::new(every, stop);
    while ticks.next().await {
        match repair(&orders, stalled_after).await {
            Ok(repairs) if repairs != Repairs::default() => {
                tracing::info!(?repairs, "repaired orders")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "order repair failed; retrying next tick"),
        }
    }
}
