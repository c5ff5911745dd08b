//! Events through the transactional outbox to the running RabbitMQ
//! (127.0.0.1:5672; `SOUK_TEST_AMQP_URL` overrides), each test reading its own
//! tenant's events from a fresh queue bound to `souk.events`.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use serde_json::{json, Value};
use souk_tenants::Role;
use souk_worker::relay::{claim, relay_once, Publisher, EXCHANGE};

use crate::support::{stock, TestApp};

fn amqp_url() -> String {
    std::env::var("SOUK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A fresh exclusive queue bound to every event type.
async fn listen() -> lapin::Consumer {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    Publisher::connect(&amqp_url())
        .await
        .expect("exchange declared");
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
            "test",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("consume");
    std::mem::forget(connection);
    consumer
}

/// This tenant's events, as (message id, body), until `want` arrived or 5 s passed.
async fn receive(
    consumer: &mut lapin::Consumer,
    tenant: &str,
    want: usize,
) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while got.len() < want {
        let Ok(Some(Ok(delivery))) = tokio::time::timeout_at(deadline, consumer.next()).await
        else {
            break;
        };
        let body: Value = serde_json::from_slice(&delivery.data).expect("json");
        if body["tenantId"] == tenant {
            let id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default();
            got.push((id, body));
        }
    }
    got
}

fn types(events: &[(String, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, e)| e["type"].as_str().expect("type").to_string())
        .collect()
}

#[tokio::test]
async fn each_change_yields_one_event_in_order() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    let mut consumer = listen().await;
    stock(&app, &token, "EV-1", 10).await;
    app.gql(
        Some(&token),
        "mutation { updateStockItem(sku: \"EV-1\", reorderThreshold: 3) { sku } }",
        json!({}),
    )
    .await;
    app.gql(
        Some(&token),
        "mutation { adjustStock(sku: \"EV-1\", delta: 2, reason: \"delivery\") { onHand } }",
        json!({}),
    )
    .await;
    app.gql(Some(&token), "mutation { reserveStock(orderId: \"o-1\", lines: [{ sku: \"EV-1\", quantity: 9 }]) { status } }", json!({})).await;
    app.gql(
        Some(&token),
        "mutation { releaseReservation(orderId: \"o-1\") { status } }",
        json!({}),
    )
    .await;

    let publisher = Publisher::connect(&amqp_url()).await.expect("broker");
    while relay_once(&app.db.platform, &publisher)
        .await
        .expect("relay")
        > 0
    {}
    let events = receive(&mut consumer, &tenant.to_string(), 4).await;
    assert_eq!(
        types(&events),
        [
            "stock.adjusted",
            "reservation.created",
            "stock.low",
            "reservation.released"
        ]
    );
    let low = &events[2].1["data"];
    assert_eq!(
        (
            low["sku"].as_str(),
            low["available"].as_i64(),
            low["reorderThreshold"].as_i64()
        ),
        (Some("EV-1"), Some(3), Some(3))
    );
    let ids: HashSet<&String> = events.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 4, "every event has its own id");
    assert!(events.iter().all(|(id, body)| body["id"] == id.as_str()));
    assert!(
        receive(&mut consumer, &tenant.to_string(), 1)
            .await
            .is_empty(),
        "nothing is sent twice"
    );
}

#[tokio::test]
async fn events_wait_while_the_broker_is_away_and_a_crashed_batch_is_sent_again() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    let mut consumer = listen().await;
    stock(&app, &token, "EV-2", 5).await;
    for i in 0..3 {
        app.gql(Some(&token), &format!("mutation {{ adjustStock(sku: \"EV-2\", delta: 1, reason: \"count {i}\") {{ onHand }} }}"), json!({})).await;
    }
    // The broker is away: nothing can be published, nothing is lost.
    assert!(Publisher::connect("amqp://guest:guest@127.0.0.1:1/%2f")
        .await
        .is_err());
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM souk.outbox WHERE sent_at IS NULL")
        .fetch_one(&app.db.owner)
        .await
        .expect("count");
    assert_eq!(unsent, 3);

    // A relay publishes the batch and dies before marking it sent.
    let publisher = Publisher::connect(&amqp_url()).await.expect("broker");
    {
        let mut tx = app.db.platform.begin().await.expect("begin");
        let events = claim(&mut tx, 100).await.expect("claim");
        assert_eq!(
            events.len(),
            1,
            "one partition (the SKU): only its oldest event is claimable"
        );
        let messages: Vec<_> = events.into_iter().map(|e| e.message).collect();
        publisher.publish(&messages).await.expect("publish");
        // dropped without commit: the crash
    }
    while relay_once(&app.db.platform, &publisher)
        .await
        .expect("relay")
        > 0
    {}
    let events = receive(&mut consumer, &tenant.to_string(), 4).await;
    let reasons: Vec<&str> = events
        .iter()
        .map(|(_, e)| e["data"]["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        reasons,
        ["count 0", "count 0", "count 1", "count 2"],
        "at least once, in order"
    );
    assert_eq!(
        events[0].0, events[1].0,
        "the redelivery carries the same id, for consumers to dedupe"
    );
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM souk.outbox WHERE sent_at IS NULL")
        .fetch_one(&app.db.owner)
        .await
        .expect("count");
    assert_eq!(unsent, 0, "the backlog arrived");
}

#[tokio::test]
async fn the_app_role_cannot_read_or_forge_another_tenant_events() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(a));
    stock(&app, &token, "EV-3", 1).await;
    app.gql(
        Some(&token),
        "mutation { adjustStock(sku: \"EV-3\", delta: 1, reason: \"x\") { onHand } }",
        json!({}),
    )
    .await;
    let b = souk_tenants::TenantId::generate();
    let mut tx = souk_tenants::TenantTx::begin(&app.db.app, b)
        .await
        .expect("scope");
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM souk.outbox")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(seen, 0);
    let forged = sqlx::query("INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload) VALUES ($1, 'stock.low', 'x', '{}')")
        .bind(a.as_uuid())
        .execute(&mut *tx)
        .await;
    assert!(forged.is_err(), "tenant B cannot write tenant A's events");
}

#[tokio::test]
async fn order_events_leave_in_order_once_and_again_after_a_crash() {
    use souk_worker::order_relay::{self, LEASE};

    let shop = crate::orders::shop(10).await;
    let buyer = crate::orders::customer(&shop.app, "events@example.com").await;
    let mut consumer = listen().await;
    let (_, body) = shop
        .app
        .gql(
            Some(&buyer),
            crate::orders::CHECKOUT,
            crate::orders::cart(&shop, &[1, 1], "ev-1"),
        )
        .await;
    let order = body["data"]["checkout"]["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .find(|o| o["lines"][0]["sku"] == "SKU-A")
        .expect("vendor A's order")
        .clone();
    let tenant = order["vendorId"].as_str().expect("vendor").to_string();
    let change = |status: &'static str| {
        let id = order["id"].clone();
        let token = shop.vendors[0].0.clone();
        let app = &shop.app;
        async move {
            let (_, body) = app
                .gql(
                    Some(&token),
                    crate::orders::CHANGE,
                    json!({ "id": id, "s": status }),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
        }
    };
    let paid = crate::orders::pay(&shop.app, &buyer, &body).await;
    assert!(paid["errors"].is_null(), "{paid}");
    change("PROCESSING").await;

    // Two relays at once: each event leaves once, an order's events in order.
    let db = souk_gateway::app::mongo_database(&shop.app.mongo.url)
        .await
        .expect("mongo");
    let (one, two) = (
        Publisher::connect(&amqp_url()).await.expect("broker"),
        Publisher::connect(&amqp_url()).await.expect("broker"),
    );
    loop {
        let (a, b) = tokio::join!(
            order_relay::relay_once(&db, &one, LEASE),
            order_relay::relay_once(&db, &two, LEASE)
        );
        if a.expect("relay") + b.expect("relay") == 0 {
            break;
        }
    }
    let events = receive(&mut consumer, &tenant, 4).await;
    assert_eq!(
        types(&events),
        [
            "order.placed",
            "order.status_changed",
            "order.status_changed"
        ],
        "exactly these, once each"
    );
    let steps: Vec<(Value, Value, Value)> = events
        .iter()
        .map(|(_, e)| {
            (
                e["data"]["from"].clone(),
                e["data"]["to"].clone(),
                e["data"]["version"].clone(),
            )
        })
        .collect();
    assert_eq!(steps[1].0, "pending");
    assert_eq!(steps[1].1, "paid");
    assert_eq!(steps[2].0, "paid");
    assert_eq!(steps[2].1, "processing");
    assert!(steps[1].2.as_i64() < steps[2].2.as_i64());
    assert_eq!(events[0].1["data"]["orderId"], order["id"]);
    assert_eq!(events[0].1["version"], 1, "a versioned envelope");
    let ids: HashSet<&String> = events.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 3);

    // A relay publishes and dies before marking the event sent: the event stays
    // leased, then goes out again with the same id.
    change("SHIPPED").await;
    let claimed = order_relay::claim(&db, Duration::from_millis(800))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let messages: Vec<_> = claimed.iter().filter_map(order_relay::message).collect();
    one.publish(&messages).await.expect("publish");
    assert_eq!(
        order_relay::relay_once(&db, &two, LEASE)
            .await
            .expect("relay"),
        0,
        "a leased event is not sent by another worker"
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        order_relay::relay_once(&db, &two, LEASE)
            .await
            .expect("relay"),
        1
    );
    let again = receive(&mut consumer, &tenant, 2).await;
    assert_eq!(
        types(&again),
        ["order.status_changed", "order.status_changed"]
    );
    assert_eq!(
        again[0].0, again[1].0,
        "the same message id: consumers dedupe"
    );
    assert_eq!(again[1].1["data"]["to"], "shipped");
}
