//! The orders' outbox (`order_events`) as its relay sees it.
//!
//! An order change writes its event in the same MongoDB transaction (see
//! `store::events`). The relay leases events one by one (`findOneAndUpdate` on an
//! expired lease, so two relays never hold the same event), takes an event only
//! when every earlier event of its order was sent (so an order's events leave in
//! order), and marks what it published as sent. A relay that dies after publishing
//! leaves its leases to expire; the events are then offered again.
//!
//! The relay is a platform job: it reads the outbox across tenants with a plain
//! collection handle, as the reconciler reads orders, and never changes an event
//! other than its lease and `sent_at`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::options::{FindOptions, ReturnDocument};
use mongodb::{Collection, Database};
use uuid::Uuid;

use crate::store::events::COLLECTION;

/// The most events one claim looks at.
pub const BATCH: i64 = 100;

/// An order event leased for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: Uuid,
    pub tenant: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

fn collection(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

fn lease_until(from: DateTime<Utc>, lease: Duration) -> BsonDateTime {
    let lease = chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(30));
    BsonDateTime::from_millis((from + lease).timestamp_millis())
}

/// Leases the events that may be sent now: unsent, not leased by another relay,
/// and the oldest unsent event of their order. Each stays leased for `lease`. An
/// event that cannot be read is left leased (and logged); it is offered again
/// when its lease ends.
pub async fn claim(
    db: &Database,
    lease: Duration,
) -> Result<Vec<OutboxEvent>, mongodb::error::Error> {
    let events = collection(db);
    let now = Utc::now();
    let now_bson = BsonDateTime::from_millis(now.timestamp_millis());
    let candidates: Vec<Document> = events
        .find(doc! { "sent_at": null, "lease_until": { "$lte": now_bson } })
        .with_options(
            FindOptions::builder()
                .sort(doc! { "created_at": 1, "_id": 1 })
                .limit(BATCH)
                .build(),
        )
        .await?
        .try_collect()
        .await?;
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
        match taken.as_ref().map(read) {
            Some(Some(event)) => claimed.push(event),
            Some(None) => tracing::warn!(
                event = ?candidate.get("_id"),
                "an order event could not be read; it stays leased and is retried"
            ),
            None => {}
        }
    }
    Ok(claimed)
}

fn read(event: &Document) -> Option<OutboxEvent> {
    let payload = event.get_document("payload").ok()?.clone();
    Some(OutboxEvent {
        id: Uuid::parse_str(event.get_str("_id").ok()?).ok()?,
        tenant: Uuid::parse_str(event.get_str("tenant_id").ok()?).ok()?,
        kind: event.get_str("type").ok()?.to_string(),
        payload: serde_json::to_value(payload).ok()?,
        created_at: DateTime::from_timestamp_millis(
            event.get_datetime("created_at").ok()?.timestamp_millis(),
        )?,
    })
}

/// Marks the events with `ids` sent: they are never offered again.
pub async fn mark_sent(db: &Database, ids: &[Uuid]) -> Result<(), mongodb::error::Error> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    collection(db)
        .update_many(
            doc! { "_id": { "$in": ids } },
            doc! { "$set": { "sent_at": BsonDateTime::now() } },
        )
        .await?;
    Ok(())
}
