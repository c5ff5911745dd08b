//! The orders' outbox: `order_events`, written in the same MongoDB transaction as
//! the order change it reports, relayed to RabbitMQ by `souk worker`.
//!
//! Each event carries the order's version after the change as `seq`; a unique
//! index on `(tenant_id, order_id, seq)` makes one event per version, and the
//! relay sends an order's events in `seq` order.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::ClientSession;
use souk_tenants::mongo::{ScopeError, TenantCollection};

use super::to_bson;

pub const COLLECTION: &str = "order_events";

/// An event about one order, as its change records it.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    pub order: ObjectId,
    pub seq: i64,
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Writes `event` into the outbox inside `session`'s transaction.
pub async fn record(
    orders: &TenantCollection,
    session: &mut ClientSession,
    event: &OrderEvent,
) -> Result<(), ScopeError> {
    let payload = mongodb::bson::to_bson(&event.payload)
        .map_err(|err| ScopeError::Mongo(mongodb::error::Error::custom(err.to_string())))?;
    let document: Document = doc! {
        "_id": uuid::Uuid::now_v7().to_string(),
        "order_id": event.order,
        "seq": event.seq,
        "type": event.kind,
        "payload": payload,
        "created_at": to_bson(event.at),
        "sent_at": null,
        "lease_until": mongodb::bson::DateTime::from_millis(0),
    };
    orders
        .sibling(COLLECTION)
        .insert_one_in(session, &document)
        .await?;
    Ok(())
}
