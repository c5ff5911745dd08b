//! From order events to the emails they owe.

use std::time::Duration;

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use serde_json::Value;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::relay::EXCHANGE;

/// The durable queue of order events for emails.
pub const QUEUE: &str = "souk.order-emails";
/// The most events the queue keeps; beyond that the oldest go.
pub const MAX_WAITING: i64 = 1_000_000;
/// The events it takes.
const ROUTES: [&str; 2] = ["order.placed", "order.status_changed"];
/// How long "order placed" waits before it is rendered: the checkout's other
/// vendors' orders are placed meanwhile, and the email lists them all.
pub const PLACED_DELAY_SECS: i32 = 3;

/// Declares `queue` and its bindings (idempotent). Every publisher does this
/// before it publishes. [`QUEUE`] is durable and stays; a queue of any other
/// name is temporary (a test's, a trial run's): it goes a minute after it was
/// last used. Either keeps at most [`MAX_WAITING`] events.
pub async fn declare(channel: &Channel, queue: &str) -> Result<(), lapin::Error> {
    let mut arguments = FieldTable::default();
    // While no worker sends emails, the oldest events make room for new ones
    // rather than filling the broker (which would block every publisher).
    arguments.insert(
        "x-max-length".into(),
        lapin::types::AMQPValue::LongLongInt(MAX_WAITING),
    );
    if queue != QUEUE {
        arguments.insert("x-expires".into(), lapin::types::AMQPValue::LongInt(60_000));
    }
    channel
        .queue_declare(
            queue,
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await?;
    for route in ROUTES {
        channel
            .queue_bind(
                queue,
                EXCHANGE,
                route,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Which email a row of `souk.order_emails` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// To the customer, once per checkout, listing each vendor's order.
    Placed,
    /// To the customer, once per status change worth telling.
    Status,
    /// To the vendor's opted-in owners and managers, once per order.
    NewOrder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Placed => "placed",
            Kind::Status => "status",
            Kind::NewOrder => "new_order",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Kind::Placed, Kind::Status, Kind::NewOrder]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// An email an event owes.
#[derive(Debug, Clone, PartialEq)]
pub struct Owed {
    /// Names the email: one row, and one email, per key.
    pub key: String,
    pub kind: Kind,
    pub event: Uuid,
    pub tenant: Uuid,
    pub payload: Value,
    /// Seconds before it is due.
    pub delay: i32,
}

/// The statuses whose change the customer hears of.
pub const TOLD: [&str; 6] = [
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "expired",
    "refunded",
];

/// The emails the event in `body` (the relay's envelope) owes; an error for a
/// body that is not an order event.
pub fn owed(body: &[u8]) -> Result<Vec<Owed>, String> {
    let envelope: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let field = |name: &str| {
        envelope[name]
            .as_str()
            .and_then(|raw| Uuid::parse_str(raw).ok())
            .ok_or_else(|| format!("no {name}"))
    };
    let (event, tenant) = (field("id")?, field("tenantId")?);
    let data = &envelope["data"];
    let order = data["orderId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or("no orderId")?;
    let owe = |key: String, kind: Kind, payload: Value, delay: i32| Owed {
        key,
        kind,
        event,
        tenant,
        payload,
        delay,
    };
    match envelope["type"].as_str() {
        Some("order.placed") => {
            let customer = data["customerId"].as_str().ok_or("no customerId")?;
            let checkout = data["checkoutId"].as_str().filter(|c| !c.is_empty());
            let placed = serde_json::json!({ "customerId": customer, "checkoutId": checkout.unwrap_or(order), "orderId": order });
            Ok(vec![
                owe(
                    format!("placed:{customer}:{}", checkout.unwrap_or(order)),
                    Kind::Placed,
                    placed,
                    PLACED_DELAY_SECS,
                ),
                owe(
                    format!("new_order:{tenant}:{order}"),
                    Kind::NewOrder,
                    serde_json::json!({ "orderId": order }),
                    PLACED_DELAY_SECS,
                ),
            ])
        }
        Some("order.status_changed") => {
            let to = data["to"].as_str().ok_or("no to")?;
            if !TOLD.contains(&to) {
                return Ok(Vec::new());
            }
            let payload =
                serde_json::json!({ "orderId": order, "to": to, "version": data["version"] });
            Ok(vec![owe(
                format!("status:{event}"),
                Kind::Status,
                payload,
                0,
            )])
        }
        _ => Ok(Vec::new()),
    }
}

/// Writes the emails owed, once per key; returns how many were new.
pub async fn enqueue(pool: &PgPool, owed: &[Owed]) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut new = 0;
    for email in owed {
        new += sqlx::query!(
            "INSERT INTO souk.order_emails (dedup_key, kind, event_id, tenant_id, payload, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second')
             ON CONFLICT (dedup_key) DO NOTHING",
            email.key,
            email.kind.as_str(),
            email.event,
            email.tenant,
            email.payload,
            f64::from(email.delay),
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(new)
}

/// Whether PostgreSQL refused the data itself (SQLSTATE class 22, data
/// exceptions, or 23, integrity violations): trying again cannot help.
fn permanent(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code.starts_with("22") || code.starts_with("23"))
}

/// Takes order events from `queue` until `stop`, writing the emails each owes
/// (through `pool`, the platform role's) before acknowledging it. Reconnects
/// with backoff while the broker is away; a message that is not an order event
/// is logged and dropped; while the database is away, messages go back to the
/// queue.
pub async fn consume(pool: PgPool, amqp_url: String, queue: String, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(250);
    while !stop.is_cancelled() {
        match consume_connected(&pool, &amqp_url, &queue, &stop).await {
            Ok(()) if stop.is_cancelled() => return,
            Ok(()) => tracing::warn!("order emails: the broker closed the queue's consumer"),
            Err(err) => {
                tracing::warn!(error = %err, retry_in_ms = backoff.as_millis() as u64, "order emails: the queue is away");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn consume_connected(
    pool: &PgPool,
    amqp_url: &str,
    queue: &str,
    stop: &CancellationToken,
) -> Result<(), lapin::Error> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    crate::relay::declare_exchange(&channel).await?;
    declare(&channel, queue).await?;
    channel.basic_qos(64, BasicQosOptions::default()).await?;
    let mut deliveries = channel
        .basic_consume(
            queue,
            "souk-order-emails",
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    loop {
        let delivery = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            next = deliveries.next() => match next {
                Some(delivery) => delivery?,
                None => return Ok(()),
            },
        };
        match owed(&delivery.data) {
            Err(err) => {
                tracing::warn!(error = %err, "order emails: a message that is not an order event; dropped");
                delivery.ack(BasicAckOptions::default()).await?;
            }
            Ok(owed) => match enqueue(pool, &owed).await {
                Ok(_) => delivery.ack(BasicAckOptions::default()).await?,
                Err(err) if permanent(&err) => {
                    tracing::error!(error = %err, "order emails: an event's emails cannot be recorded, ever; dropped");
                    delivery.ack(BasicAckOptions::default()).await?;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "order emails: cannot record an event's emails; it goes back to the queue");
                    delivery
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..BasicNackOptions::default()
                        })
                        .await?;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(kind: &str, data: Value) -> Vec<u8> {
        serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-000000000001",
            "type": kind,
            "version": 1,
            "tenantId": "0190a1b2-0000-7000-8000-0000000000aa",
            "data": data,
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_placed_order_owes_its_checkout_email_and_its_vendor_email() {
        let body = envelope(
            "order.placed",
            serde_json::json!({ "orderId": "o1", "checkoutId": "c1", "customerId": "u1" }),
        );
        let owed = owed(&body).expect("an order event");
        let keys: Vec<_> = owed.iter().map(|o| (o.kind, o.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                (Kind::Placed, "placed:u1:c1"),
                (
                    Kind::NewOrder,
                    "new_order:0190a1b2-0000-7000-8000-0000000000aa:o1"
                )
            ]
        );
        assert!(owed.iter().all(|o| o.delay == PLACED_DELAY_SECS));
    }

    #[test]
    fn only_the_changes_customers_hear_of_owe_an_email() {
        let change = |to: &str| {
            owed(&envelope(
                "order.status_changed",
                serde_json::json!({ "orderId": "o1", "from": "pending", "to": to }),
            ))
            .expect("an order event")
        };
        assert_eq!(change("processing"), Vec::new());
        let shipped = change("shipped");
        assert_eq!(shipped.len(), 1);
        assert_eq!(
            shipped[0].key,
            "status:0190a1b2-0000-7000-8000-000000000001"
        );
        assert_eq!(shipped[0].payload["to"], "shipped");
    }

    #[test]
    fn other_messages_owe_nothing_and_garbage_is_an_error() {
        assert_eq!(
            owed(&envelope(
                "stock.low",
                serde_json::json!({ "orderId": "x" })
            )),
            Ok(Vec::new())
        );
        assert!(owed(b"\0not json").is_err());
        assert!(owed(&envelope("order.placed", serde_json::json!({}))).is_err());
        assert!(owed(br#"{"id":"x","tenantId":"y","type":"order.placed"}"#).is_err());
    }

    #[test]
    fn kinds_read_back() {
        for kind in [Kind::Placed, Kind::Status, Kind::NewOrder] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("spam"), None);
    }
}
