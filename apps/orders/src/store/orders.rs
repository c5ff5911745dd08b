//! Order documents: one shared collection, each order with its tenant.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::error::TRANSIENT_TRANSACTION_ERROR;
use mongodb::options::FindOptions;
use mongodb::Collection;
use souk_tenants::mongo::{ScopeError, TenantCollection};
use souk_tenants::IntErr;

use super::document::{OrderDocument, TransitionDocument};
use super::events::{self, OrderEvent};
use super::to_bson;
use crate::domain::{InternalError, Order, OrderStatus, StockStep, Transition};

pub const COLLECTION: &str = "orders";

/// An order from its raw document, for reads that also look at fields beyond
/// the order (a stock step in flight).
pub fn from_document(doc: &Document) -> Result<Order, InternalError> {
    let stored: OrderDocument = mongodb::bson::from_document(doc.clone()).int_err()?;
    Order::try_from(stored)
}

fn decode(docs: Vec<OrderDocument>) -> Result<Vec<Order>, InternalError> {
    docs.into_iter().map(Order::try_from).collect()
}

pub async fn get(orders: &TenantCollection, id: ObjectId) -> Result<Option<Order>, InternalError> {
    let found = orders
        .typed::<OrderDocument>()
        .find_one(doc! { "_id": id })
        .await?;
    found.map(Order::try_from).transpose()
}

/// Moves an order from `from` at `version` to `to`, recording `step` and its
/// `order.status_changed` event in one transaction; `false` when the order is no
/// longer there (another change won).
/// A transition is refused while a stock step is in flight (see
/// [`super::steps`]).
pub async fn transition(
    orders: &TenantCollection,
    id: ObjectId,
    from: OrderStatus,
    version: i64,
    step: &Transition,
) -> Result<bool, InternalError> {
    transition_where(orders, id, from, version, step, None).await
}

/// Writes the transition that a stock step begun with [`super::steps::begin`]
/// leads to, ending the step; `false` when the order no longer holds that step.
pub async fn finish_step(
    orders: &TenantCollection,
    id: ObjectId,
    from: OrderStatus,
    version: i64,
    step: &Transition,
    pending: StockStep,
) -> Result<bool, InternalError> {
    transition_where(orders, id, from, version, step, Some(pending)).await
}

async fn transition_where(
    orders: &TenantCollection,
    id: ObjectId,
    from: OrderStatus,
    version: i64,
    step: &Transition,
    pending: Option<StockStep>,
) -> Result<bool, InternalError> {
    let in_flight = match pending {
        None => Bson::Document(doc! { "$exists": false }),
        Some(pending) => Bson::String(pending.as_str().to_string()),
    };
    let event = OrderEvent {
        order: id,
        seq: version + 1,
        kind: "order.status_changed",
        payload: serde_json::json!({
            "orderId": id.to_hex(),
            "from": from.as_str(),
            "to": step.to.as_str(),
            "version": version + 1,
            "by": step.by,
            "note": step.note,
            "at": step.at,
        }),
        at: step.at,
    };
    let entry = mongodb::bson::to_bson(&TransitionDocument::from(step)).int_err()?;
    retry_transient(|| async {
        let mut session = orders.start_transaction().await?;
        let done = orders
            .update_one_in(
                &mut session,
                doc! { "_id": id, "status": from.as_str(), "version": version, "step": in_flight.clone() },
                doc! {
                    "$set": { "status": step.to.as_str(), "updated_at": to_bson(step.at) },
                    "$unset": { "step": "", "step_at": "" },
                    "$inc": { "version": 1_i64 },
                    "$push": { "history": entry.clone() },
                },
            )
            .await?;
        if done.matched_count != 1 {
            session.abort_transaction().await?;
            return Ok(false);
        }
        events::record(orders, &mut session, &event).await?;
        session.commit_transaction().await?;
        Ok(true)
    })
    .await
}

/// Inserts a placed order and its `order.placed` event in one transaction.
pub async fn insert(orders: &TenantCollection, order: &Order) -> Result<(), InternalError> {
    let lines: Vec<serde_json::Value> = order
        .lines
        .iter()
        .map(|l| serde_json::json!({ "sku": l.sku.as_str(), "quantity": l.quantity.get(), "unitPrice": l.unit_price.amount() }))
        .collect();
    let event = OrderEvent {
        order: order.id.0,
        seq: order.version,
        kind: "order.placed",
        payload: serde_json::json!({
            "orderId": order.id.to_string(),
            "checkoutId": order.checkout,
            "customerId": order.customer,
            "status": order.status.as_str(),
            "currency": order.total.currency(),
            "total": order.total.amount(),
            "lines": lines,
            "version": order.version,
        }),
        at: order.created_at,
    };
    retry_transient(|| async {
        let mut session = orders.start_transaction().await?;
        orders
            .typed::<OrderDocument>()
            .insert_one_in(&mut session, &OrderDocument::from(order))
            .await?;
        events::record(orders, &mut session, &event).await?;
        session.commit_transaction().await?;
        Ok(())
    })
    .await
}

/// Runs a transaction again when MongoDB labels its failure transient (a write
/// conflict with a concurrent transaction on the same order, an election): up
/// to ten attempts, waiting a little longer each time. A retried transition then
/// finds the order changed and answers a conflict.
async fn retry_transient<T, F, Fut>(mut attempt: F) -> Result<T, InternalError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ScopeError>>,
{
    let mut tries: u32 = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(ScopeError::Mongo(err))
                if tries < 10 && err.contains_label(TRANSIENT_TRANSACTION_ERROR) =>
            {
                tracing::debug!(error = %err, tries, "transient transaction failure; retrying");
                let wait = 2_u64.saturating_pow(tries).min(100) + rand::random::<u64>() % 5;
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            other => return other.map_err(InternalError::from),
        }
    }
}

pub async fn set_reserved(
    orders: &TenantCollection,
    id: ObjectId,
    reserved: bool,
) -> Result<(), InternalError> {
    orders
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "reserved": reserved } },
        )
        .await?;
    Ok(())
}

/// Filters of an order listing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<OrderStatus>,
    pub customer: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The last order of the previous page: (created_at, id).
    pub after: Option<(DateTime<Utc>, ObjectId)>,
}

fn filter_document(filter: &ListFilter) -> Document {
    let mut parts = Vec::new();
    if let Some(status) = filter.status {
        parts.push(doc! { "status": status.as_str() });
    }
    if let Some(customer) = &filter.customer {
        parts.push(doc! { "customer_id": customer });
    }
    if let Some(from) = filter.from {
        parts.push(doc! { "created_at": { "$gte": to_bson(from) } });
    }
    if let Some(to) = filter.to {
        parts.push(doc! { "created_at": { "$lt": to_bson(to) } });
    }
    if let Some((at, id)) = filter.after {
        parts.push(doc! { "$or": [
            { "created_at": { "$lt": to_bson(at) } },
            { "created_at": to_bson(at), "_id": { "$lt": id } },
        ] });
    }
    if parts.is_empty() {
        Document::new()
    } else {
        doc! { "$and": parts }
    }
}

fn newest_first(limit: i64) -> FindOptions {
    FindOptions::builder()
        .sort(doc! { "created_at": -1, "_id": -1 })
        .limit(limit)
        .build()
}

/// One tenant's orders, newest first.
pub async fn list_scoped(
    orders: &TenantCollection,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<Order>, InternalError> {
    let docs = orders
        .typed::<OrderDocument>()
        .find(filter_document(filter), newest_first(limit))
        .await?;
    decode(docs)
}

/// Orders across tenants (a customer's own, or a platform admin's view), newest first.
pub async fn list_any(
    orders: &Collection<Document>,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<Order>, InternalError> {
    let cursor = orders
        .clone_with_type::<OrderDocument>()
        .find(filter_document(filter))
        .with_options(newest_first(limit))
        .await?;
    decode(cursor.try_collect().await?)
}

/// One order by id, across tenants (the customer's or an admin's read).
pub async fn get_any(
    orders: &Collection<Document>,
    id: ObjectId,
) -> Result<Option<Order>, InternalError> {
    let found = orders
        .clone_with_type::<OrderDocument>()
        .find_one(doc! { "_id": id })
        .await?;
    found.map(Order::try_from).transpose()
}

/// Pending orders older than `before` whose reservation never completed: the
/// saga's leftovers, for the reconciler.
pub async fn stalled(
    orders: &Collection<Document>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Order>, InternalError> {
    let cursor = orders
        .clone_with_type::<OrderDocument>()
        .find(doc! { "status": "pending", "reserved": false, "created_at": { "$lt": to_bson(before) } })
        .sort(doc! { "created_at": 1 })
        .limit(limit)
        .await?;
    decode(cursor.try_collect().await?)
}
