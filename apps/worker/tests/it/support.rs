//! A fresh database, a queue bound to every event, and events written straight
//! into the outbox of one tenant.

use std::time::Duration;

use futures::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use serde_json::{json, Value};
use souk_migrations::testing::TestDatabase;
use souk_worker::relay::{Publisher, EXCHANGE};
use uuid::Uuid;

pub fn amqp_url() -> String {
    std::env::var("SOUK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub struct Fixture {
    pub db: TestDatabase,
    pub tenant: Uuid,
    consumer: lapin::Consumer,
    _connection: Connection,
}

/// One received event: the message id and the envelope.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub body: Value,
}

impl Received {
    pub fn partition(&self) -> &str {
        self.body["data"]["partition"].as_str().unwrap_or_default()
    }

    pub fn seq(&self) -> i64 {
        self.body["data"]["seq"].as_i64().unwrap_or(-1)
    }
}

impl Fixture {
    pub async fn new() -> Self {
        let db = TestDatabase::create().await;
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .expect("broker");
        let channel = connection.create_channel().await.expect("channel");
        publisher().await; // declares the exchange
        let queue = channel
            .queue_declare(
                "",
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("queue");
        channel
            .queue_bind(
                queue.name().as_str(),
                EXCHANGE,
                "#",
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind");
        let consumer = channel
            .basic_consume(
                queue.name().as_str(),
                "worker-it",
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("consume");
        Self {
            db,
            tenant: Uuid::now_v7(),
            consumer,
            _connection: connection,
        }
    }

    /// Writes one event of `partition` with sequence number `seq`.
    pub async fn write(&self, partition: &str, seq: i64) {
        sqlx::query(
            "INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
             VALUES ($1, 'test.event', $2, $3)",
        )
        .bind(self.tenant)
        .bind(partition)
        .bind(json!({ "partition": partition, "seq": seq }))
        .execute(&self.db.owner)
        .await
        .expect("write event");
    }

    pub async fn unsent(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM souk.outbox WHERE sent_at IS NULL")
            .fetch_one(&self.db.owner)
            .await
            .expect("count")
    }

    /// This tenant's events until `want` arrived or `wait` passed.
    pub async fn receive(&mut self, want: usize, wait: Duration) -> Vec<Received> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while got.len() < want {
            let Ok(Some(Ok(delivery))) =
                tokio::time::timeout_at(deadline, self.consumer.next()).await
            else {
                break;
            };
            let body: Value = serde_json::from_slice(&delivery.data).expect("json");
            if body["tenantId"] == self.tenant.to_string() {
                let message_id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|id| id.to_string())
                    .unwrap_or_default();
                got.push(Received { message_id, body });
            }
        }
        got
    }
}

pub async fn publisher() -> Publisher {
    Publisher::connect(&amqp_url()).await.expect("publisher")
}

/// Each partition's sequence numbers in the order they arrived.
pub fn by_partition(events: &[Received]) -> std::collections::BTreeMap<String, Vec<i64>> {
    let mut partitions = std::collections::BTreeMap::<String, Vec<i64>>::new();
    for event in events {
        partitions
            .entry(event.partition().to_string())
            .or_default()
            .push(event.seq());
    }
    partitions
}
