//! Claiming, publishing and marking outbox events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::publisher_confirm::Confirmation;
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The exchange events are published to.
pub const EXCHANGE: &str = "souk.events";
/// The most events one batch claims.
pub const BATCH: i32 = 100;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("MongoDB: {0}")]
    Mongo(mongodb::error::Error),
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker did not confirm event {0}")]
    NotConfirmed(Uuid),
}

/// One claimed event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    #[sqlx(flatten)]
    pub message: Message,
}

/// An event as it leaves for the broker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub event_id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// The message body: a versioned envelope around the payload.
    pub fn body(&self) -> Vec<u8> {
        serde_json::json!({
            "id": self.event_id,
            "type": self.kind,
            "version": 1,
            "tenantId": self.tenant_id,
            "occurredAt": self.created_at,
            "data": self.payload,
        })
        .to_string()
        .into_bytes()
    }
}

/// Claims up to `max` events, locked until the transaction ends.
pub async fn claim(conn: &mut PgConnection, max: i32) -> Result<Vec<Event>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", event_id AS "event_id!", tenant_id AS "tenant_id!",
                  kind AS "kind!", payload AS "payload!", created_at AS "created_at!"
           FROM souk.claim_events($1)"#,
        max,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Event {
            id: row.id,
            message: Message {
                event_id: row.event_id,
                tenant_id: row.tenant_id,
                kind: row.kind,
                payload: row.payload,
                created_at: row.created_at,
            },
        })
        .collect())
}

pub async fn mark_sent(conn: &mut PgConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT FROM souk.mark_sent($1)", ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Declares the durable topic exchange events go to (idempotent).
pub async fn declare_exchange(channel: &Channel) -> Result<(), lapin::Error> {
    channel
        .exchange_declare(
            EXCHANGE,
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
}

/// A confirmed channel to the broker.
#[derive(Debug)]
pub struct Publisher {
    _connection: Connection,
    channel: Channel,
}

impl Publisher {
    pub async fn connect(url: &str) -> Result<Self, RelayError> {
        Self::connect_for(url, &[]).await
    }

    /// Connects and declares the email queues named in `queues` with their
    /// bindings before anything is published, so that no event can miss them.
    pub async fn connect_for(url: &str, queues: &[String]) -> Result<Self, RelayError> {
        let connection = Connection::connect(url, ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        declare_exchange(&channel).await?;
        for queue in queues {
            crate::order_mail::queue::declare(&channel, queue).await?;
        }
        Ok(Self {
            _connection: connection,
            channel,
        })
    }

    /// Publishes every message, then waits for every confirm.
    pub async fn publish(&self, events: &[Message]) -> Result<(), RelayError> {
        let mut confirms = Vec::with_capacity(events.len());
        for event in events {
            let properties = BasicProperties::default()
                .with_message_id(event.event_id.to_string().into())
                .with_content_type("application/json".into())
                .with_delivery_mode(2)
                .with_timestamp(u64::try_from(event.created_at.timestamp()).unwrap_or(0));
            let confirm = self
                .channel
                .basic_publish(
                    EXCHANGE,
                    &event.kind,
                    BasicPublishOptions::default(),
                    &event.body(),
                    properties,
                )
                .await?;
            confirms.push((event.event_id, confirm));
        }
        for (id, confirm) in confirms {
            match confirm.await? {
                Confirmation::Ack(_) => {}
                Confirmation::Nack(_) | Confirmation::NotRequested => {
                    return Err(RelayError::NotConfirmed(id))
                }
            }
        }
        Ok(())
    }
}

/// Relays one batch: claim, publish, confirm, mark sent, commit. Returns how many
/// events were sent. `pool` logs in as the platform role: the outbox of every
/// tenant is relayed.
pub async fn relay_once(pool: &PgPool, publisher: &Publisher) -> Result<usize, RelayError> {
    let mut tx = pool.begin().await?;
    let events = claim(&mut tx, BATCH).await?;
    if events.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let messages: Vec<Message> = events.iter().map(|e| e.message.clone()).collect();
    publisher.publish(&messages).await?;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    mark_sent(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(events.len())
}

/// Relays PostgreSQL outbox events until `stop`, declaring `queues` (see
/// [`Publisher::connect_for`]).
pub async fn run(pool: PgPool, amqp_url: String, queues: Vec<String>, stop: CancellationToken) {
    with_publisher(&amqp_url, &queues, stop, &PgOutbox(pool)).await;
}

/// Where a relay takes its events from.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Sends one batch through `publisher`; returns how many events left.
    async fn relay_once(&self, publisher: &Publisher) -> Result<usize, RelayError>;
}

/// The PostgreSQL outbox (`souk.outbox`), read through the platform role's pool.
#[derive(Debug)]
pub struct PgOutbox(pub PgPool);

#[async_trait::async_trait]
impl Outbox for PgOutbox {
    async fn relay_once(&self, publisher: &Publisher) -> Result<usize, RelayError> {
        relay_once(&self.0, publisher).await
    }
}

/// Relays `outbox` over and over until `stop`: reconnects with backoff while the
/// broker is away (events wait in their outbox meanwhile), idles briefly when a
/// pass had nothing to send.
pub async fn with_publisher(
    amqp_url: &str,
    queues: &[String],
    stop: CancellationToken,
    outbox: &dyn Outbox,
) {
    let mut backoff = Duration::from_millis(250);
    while !stop.is_cancelled() {
        let publisher = match Publisher::connect_for(amqp_url, queues).await {
            Ok(publisher) => {
                backoff = Duration::from_millis(250);
                publisher
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_in_ms = backoff.as_millis() as u64, "cannot reach the broker");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        loop {
            match outbox.relay_once(&publisher).await {
                Ok(0) => {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
                Ok(sent) => tracing::debug!(sent, "relayed events"),
                Err(err) => {
                    tracing::warn!(error = %err, "relay failed; reconnecting");
                    break;
                }
            }
            if stop.is_cancelled() {
                return;
            }
        }
    }
}
