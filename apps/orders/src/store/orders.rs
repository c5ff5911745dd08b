//! Order documents: one shared collection, each order with its tenant.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::error::TRANSIENT_TRANSACTION_ERROR;
use mongodb::options::FindOptions;
use mongodb::Collection;
use souk_catalog::domain::ObjectKey;
use souk_inventory::domain::Sku;
use souk_tenants::mongo::{ScopeError, TenantCollection};
use souk_tenants::TenantId;

use super::events::{self, OrderEvent};
use super::{to_bson, to_chrono};
use crate::domain::{
    InternalError, Order, OrderLine, OrderStatus, ShippingAddress, StockStep, Transition,
};

pub const COLLECTION: &str = "orders";

fn corrupt(what: &str) -> InternalError {
    InternalError::msg(format!("a stored order has no valid {what}"))
}

fn transition_doc(t: &Transition) -> Document {
    doc! {
        "at": to_bson(t.at),
        "by": &t.by,
        "from": t.from.map(OrderStatus::as_str),
        "to": t.to.as_str(),
        "note": &t.note,
    }
}

/// A new order as a document (without its tenant, which the handle adds).
pub fn new_document(order: &Order) -> Document {
    let lines: Vec<Bson> = order
        .lines
        .iter()
        .map(|l| {
            Bson::Document(doc! {
                "product_id": l.product.0,
                "sku": l.sku.as_str(),
                "title": &l.title,
                "quantity": l.quantity,
                "unit_price": l.unit_price,
                "currency": &l.currency,
            })
        })
        .collect();
    let s = &order.shipping;
    doc! {
        "_id": order.id.0,
        "checkout_id": &order.checkout,
        "customer_id": &order.customer,
        "lines": lines,
        "currency": &order.currency,
        "total": order.total,
        "shipping": {
            "recipient": &s.recipient, "line1": &s.line1, "line2": &s.line2, "city": &s.city,
            "region": &s.region, "postal_code": &s.postal_code, "country": &s.country,
        },
        "status": order.status.as_str(),
        "reserved": order.reserved,
        "history": order.history.iter().map(|t| Bson::Document(transition_doc(t))).collect::<Vec<_>>(),
        "version": order.version,
        "created_at": to_bson(order.created_at),
        "updated_at": to_bson(order.updated_at),
    }
}

fn opt_str(doc: &Document, key: &str) -> Option<String> {
    doc.get_str(key).ok().map(str::to_string)
}

pub fn from_document(doc: &Document) -> Result<Order, InternalError> {
    let lines = doc
        .get_array("lines")
        .map_err(|_| corrupt("lines"))?
        .iter()
        .map(|l| {
            let l = l.as_document().ok_or_else(|| corrupt("line"))?;
            Ok(OrderLine {
                product: ObjectKey(
                    l.get_object_id("product_id")
                        .map_err(|_| corrupt("product"))?,
                ),
                sku: Sku::parse(l.get_str("sku").map_err(|_| corrupt("sku"))?)
                    .map_err(|_| corrupt("sku"))?,
                title: opt_str(l, "title").unwrap_or_default(),
                quantity: l.get_i64("quantity").map_err(|_| corrupt("quantity"))?,
                unit_price: l.get_i64("unit_price").map_err(|_| corrupt("price"))?,
                currency: opt_str(l, "currency").unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, InternalError>>()?;
    let history = doc
        .get_array("history")
        .map_err(|_| corrupt("history"))?
        .iter()
        .filter_map(Bson::as_document)
        .map(|t| {
            Ok(Transition {
                at: to_chrono(t.get_datetime("at").map_err(|_| corrupt("history time"))?),
                by: opt_str(t, "by").unwrap_or_default(),
                from: t.get_str("from").ok().and_then(OrderStatus::parse),
                to: OrderStatus::parse(t.get_str("to").map_err(|_| corrupt("history"))?)
                    .ok_or_else(|| corrupt("history"))?,
                note: opt_str(t, "note"),
            })
        })
        .collect::<Result<Vec<_>, InternalError>>()?;
    let s = doc
        .get_document("shipping")
        .map_err(|_| corrupt("shipping"))?;
    Ok(Order {
        id: ObjectKey(doc.get_object_id("_id").map_err(|_| corrupt("id"))?),
        tenant: TenantId::parse(doc.get_str("tenant_id").map_err(|_| corrupt("tenant"))?)
            .map_err(|_| corrupt("tenant"))?,
        checkout: opt_str(doc, "checkout_id").unwrap_or_default(),
        customer: opt_str(doc, "customer_id").unwrap_or_default(),
        lines,
        currency: opt_str(doc, "currency").unwrap_or_default(),
        total: doc.get_i64("total").map_err(|_| corrupt("total"))?,
        shipping: ShippingAddress {
            recipient: opt_str(s, "recipient").unwrap_or_default(),
            line1: opt_str(s, "line1").unwrap_or_default(),
            line2: opt_str(s, "line2"),
            city: opt_str(s, "city").unwrap_or_default(),
            region: opt_str(s, "region"),
            postal_code: opt_str(s, "postal_code").unwrap_or_default(),
            country: opt_str(s, "country").unwrap_or_default(),
        },
        status: OrderStatus::parse(doc.get_str("status").map_err(|_| corrupt("status"))?)
            .ok_or_else(|| corrupt("status"))?,
        reserved: doc.get_bool("reserved").unwrap_or(false),
        history,
        version: doc.get_i64("version").map_err(|_| corrupt("version"))?,
        created_at: to_chrono(
            doc.get_datetime("created_at")
                .map_err(|_| corrupt("created_at"))?,
        ),
        updated_at: to_chrono(
            doc.get_datetime("updated_at")
                .map_err(|_| corrupt("updated_at"))?,
        ),
    })
}

pub async fn get(orders: &TenantCollection, id: ObjectId) -> Result<Option<Order>, InternalError> {
    let found = orders.find_one(doc! { "_id": id }).await?;
    found.as_ref().map(from_document).transpose()
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
                    "$push": { "history": transition_doc(step) },
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
        .map(|l| serde_json::json!({ "sku": l.sku.as_str(), "quantity": l.quantity, "unitPrice": l.unit_price }))
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
            "currency": order.currency,
            "total": order.total,
            "lines": lines,
            "version": order.version,
        }),
        at: order.created_at,
    };
    retry_transient(|| async {
        let mut session = orders.start_transaction().await?;
        orders
            .insert_one_in(&mut session, new_document(order))
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
        .find(filter_document(filter), newest_first(limit))
        .await?;
    docs.iter().map(from_document).collect()
}

/// Orders across tenants (a customer's own, or a platform admin's view), newest first.
pub async fn list_any(
    orders: &Collection<Document>,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<Order>, InternalError> {
    let cursor = orders
        .find(filter_document(filter))
        .with_options(newest_first(limit))
        .await?;
    let docs: Vec<Document> = cursor.try_collect().await?;
    docs.iter().map(from_document).collect()
}

/// One order by id, across tenants (the customer's or an admin's read).
pub async fn get_any(
    orders: &Collection<Document>,
    id: ObjectId,
) -> Result<Option<Order>, InternalError> {
    let found = orders.find_one(doc! { "_id": id }).await?;
    found.as_ref().map(from_document).transpose()
}

/// Pending orders older than `before` whose reservation never completed: the
/// saga's leftovers, for the reconciler.
pub async fn stalled(
    orders: &Collection<Document>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Order>, InternalError> {
    let cursor = orders
        .find(doc! { "status": "pending", "reserved": false, "created_at": { "$lt": to_bson(before) } })
        .sort(doc! { "created_at": 1 })
        .limit(limit)
        .await?;
    let docs: Vec<Document> = cursor.try_collect().await?;
    docs.iter().map(from_document).collect()
}
