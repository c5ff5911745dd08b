//! Relays the orders' MongoDB outbox (`order_events`) to RabbitMQ.
//!
//! The orders service owns its outbox and leases its events
//! ([`souk_orders::outbox`]); the relay publishes a leased batch with confirms and
//! only then has it marked sent. A worker that dies after publishing leaves its
//! leases to expire; the events are then sent again with the same message id.

use std::time::Duration;

use mongodb::Database;
use souk_orders::outbox::{self, OutboxEvent};
use tokio_util::sync::CancellationToken;

use crate::relay::{Message, Publisher, RelayError};

/// How long a claimed event stays leased to the worker that claimed it.
pub const LEASE: Duration = Duration::from_secs(30);

/// Leases the events this pass may send (see [`souk_orders::outbox::claim`]).
pub async fn claim(
    db: &Database,
    lease: Duration,
) -> Result<Vec<OutboxEvent>, mongodb::error::Error> {
    outbox::claim(db, lease).await
}

/// The broker message of a leased order event.
pub fn message(event: &OutboxEvent) -> Option<Message> {
    Some(Message {
        event_id: event.id,
        tenant_id: event.tenant,
        kind: event.kind.clone(),
        payload: event.payload.clone(),
        created_at: event.created_at,
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
    publisher.publish(&messages).await?;
    let ids: Vec<_> = messages.iter().map(|m| m.event_id).collect();
    outbox::mark_sent(db, &ids)
        .await
        .map_err(RelayError::Mongo)?;
    Ok(messages.len())
}

/// Relays order events until `stop`, reconnecting with backoff while the broker is
/// away (events wait in the outbox meanwhile); `queues` as for
/// [`crate::relay::run`].
pub async fn run(db: Database, amqp_url: String, queues: Vec<String>, stop: CancellationToken) {
    crate::relay::with_publisher(&amqp_url, &queues, stop, &MongoOutbox(db)).await;
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
