//! Relays the orders' MongoDB outbox (`order_events`) to RabbitMQ.
//!
//! An order change writes its event in the same MongoDB transaction. The relay
//! leases events one by one (`findOneAndUpdate` on an expired lease, so two workers
//! never hold the same event), takes an event only when every earlier event of its
//! order was sent (so an order's events leave in order), publishes the batch with
//! confirms and only then marks it sent. A worker that dies after publishing leaves
//! its leases to expire; the events are then sent again with the same message id.
//!
//! The relay is a platform job: it reads the outbox across tenants with a plain
//! collection handle, as the reconciler reads orders, and never changes an event
//! other than its lease and `sent_at`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::options::{FindOptions, ReturnDocument};
use mongodb::{Collection, Database};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::relay::{Message, Publisher, RelayError};

/// How long a claimed event stays leased to the worker that claimed it.
pub const LEASE: Duration = Duration::from_secs(30);
/// The most events one pass looks at.
pub const BATCH: i64 = 100;

fn collection(db: &Database) -> Collection<Document> {
    db.collection(souk_orders::store::events::COLLECTION)
}

fn lease_until(from: chrono::DateTime<Utc>, lease: Duration) -> BsonDateTime {
    let lease = chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(30));
    BsonDateTime::from_millis((from + lease).timestamp_millis())
}

/// Leases the events this pass may send: unsent, not leased by another worker, and
/// the oldest unsent event of their order. Each stays leased for `lease`.
pub async fn claim(db: &Database, lease: Duration) -> Result<Vec<Document>, mongodb::error::Error> {
    let events = collection(db);
    let now = Utc::now();
    let now_bson = BsonDateTime::from_millis(now.timestamp_millis());
    let candidates: Vec<Document> = {
        use futures::TryStreamExt;
        events
            .find(doc! { "sent_at": null, "lease_until": { "$lte": now_bson } })
            .with_options(
                FindOptions::builder()
                    .sort(doc! { "created_at": 1, "_id": 1 })
                    .limit(BATCH)
                    .build(),
            )
            .await?
            .try_collect()
            .await?
    };
    let mut orders = HashSet::new();
    let mut claimed = Vec::new();
    for candidate in candidates {
        let (Ok(order), Ok(seq), Ok(tenant)) = (
            candidate.get_object_id("order_id"),
            candidate.get_i64("seq"),
            candidate.get_str("tenant_id"),
        ) else {
            tracing::warn!(event = ?candidate.get("_id"), "order event without order, seq or tenant; skipped");
            continue;
        };
        if !orders.insert((tenant.to_string(), order)) {
            continue;
        }
        let earlier =
            doc! { "tenant_id": tenant, "order_id": order, "seq": { "$lt": seq }, "sent_at": null };
        if events.count_documents(earlier).await? > 0 {
            continue;
        }
        let free = doc! { "_id": candidate.get("_id").cloned(), "sent_at": null, "lease_until": { "$lte": now_bson } };
        let taken = events
            .find_one_and_update(
                free,
                doc! { "$set": { "lease_until": lease_until(now, lease) } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        claimed.extend(taken);
    }
    Ok(claimed)
}

/// The broker message of a stored order event.
pub fn message(event: &Document) -> Option<Message> {
    let payload = event.get_document("payload").ok()?.clone();
    Some(Message {
        event_id: Uuid::parse_str(event.get_str("_id").ok()?).ok()?,
        tenant_id: Uuid::parse_str(event.get_str("tenant_id").ok()?).ok()?,
        kind: event.get_str("type").ok()?.to_string(),
        payload: serde_json::to_value(payload).ok()?,
        created_at: chrono::DateTime::from_timestamp_millis(
            event.get_datetime("created_at").ok()?.timestamp_millis(),
        )?,
    })
}

/// Relays one pass: claim, publish, confirm, mark sent. Returns how many events
/// were sent.
pub async fn relay_once(
    db: &Database,
    publisher: &Publisher,
    lease: Duration,
) -> Result<usize, RelayError> {
    let claimed = claim(db, lease).await.map_err(RelayError::Mongo)?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let messages: Vec<Message> = claimed.iter().filter_map(message).collect();
    if messages.len() != claimed.len() {
        tracing::warn!(
            "an order event could not be read as a message; it stays leased and is retried"
        );
    }
    publisher.publish(&messages).await?;
    let ids: Vec<String> = messages.iter().map(|m| m.event_id.to_string()).collect();
    collection(db)
        .update_many(
            doc! { "_id": { "$in": ids } },
            doc! { "$set": { "sent_at": BsonDateTime::now() } },
        )
        .await
        .map_err(RelayError::Mongo)?;
    Ok(messages.len())
}

/// Relays order events until `stop`, reconnecting with backoff while the broker is
/// away (events wait in the outbox meanwhile).
pub async fn run(db: Database, amqp_url: String, stop: CancellationToken) {
    crate::relay::with_publisher(&amqp_url, stop, &MongoOutbox(db)).await;
}

/// The orders' outbox in MongoDB.
#[derive(Debug)]
pub struct MongoOutbox(pub Database);

#[async_trait::async_trait]
impl crate::relay::Outbox for MongoOutbox {
    async fn relay_once(&self, publisher: &Publisher) -> Result<usize, RelayError> {
        relay_once(&self.0, publisher, LEASE).await
    }
}
