//! Stock holds keep their promise over HTTP: a paid order keeps its stock past
//! the checkout TTL, an overdue hold is expired the moment it is touched, and
//! reservations and checkouts under contention answer held or short, never
//! `INTERNAL`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::orders::{cart, customer, pay, shop_with, stock, CHANGE, CHECKOUT};
use crate::support::{code, TestApp};

const RESERVE: &str = "mutation($o: String!, $n: Int!, $ttl: Int) {
    reserveStock(orderId: $o, lines: [{ sku: \"ONE\", quantity: $n }], ttlSeconds: $ttl) { status } }";

fn order_id(body: &Value) -> String {
    body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

async fn reservation_status(app: &TestApp, token: &str, order: &str) -> Value {
    let (_, body) = app
        .gql(
            Some(token),
            "query($o: String!) { reservation(orderId: $o) { status expiresAt } }",
            json!({ "o": order }),
        )
        .await;
    body["data"]["reservation"].clone()
}

#[tokio::test]
async fn a_paid_order_keeps_its_stock_past_the_checkout_ttl() {
    let shop = shop_with(2, "reservation_ttl_secs = 3").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let first = customer(app, "first@example.com").await;
    let second = customer(app, "second@example.com").await;
    let (_, body) = app
        .gql(Some(&first), CHECKOUT, cart(&shop, &[2, 0], "k1"))
        .await;
    let id = order_id(&body);
    let paid = pay(app, &first, &body).await;
    assert_eq!(
        paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
        "{paid}"
    );

    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 2, "reserved": 2, "available": 0 }),
        "the paid order still holds its units after the 3 s TTL"
    );
    assert_eq!(
        reservation_status(app, &vendor, &id).await,
        json!({ "status": "CONFIRMED", "expiresAt": null })
    );
    let (_, body) = app
        .gql(Some(&second), CHECKOUT, cart(&shop, &[2, 0], "k2"))
        .await;
    assert_eq!(code(&body), Some("INSUFFICIENT_STOCK"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["shortages"][0]["available"],
        0
    );

    for status in ["PROCESSING", "SHIPPED"] {
        let (_, body) = app
            .gql(Some(&vendor), CHANGE, json!({ "id": id, "s": status }))
            .await;
        assert_eq!(
            body["data"]["changeOrderStatus"]["status"], status,
            "{body}"
        );
    }
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 0, "reserved": 0, "available": 0 }),
        "shipping committed the two units, and only those"
    );
}

#[tokio::test]
async fn a_payment_after_the_hold_expired_is_refunded_and_the_order_expires() {
    // No sweep runs during the test: the payment itself finds the hold overdue.
    let shop = shop_with(
        5,
        "reservation_ttl_secs = 1\nreservation_expiry_interval_ms = 60000",
    )
    .await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = customer(app, "late@example.com").await;
    let (_, body) = app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[2, 0], "k"))
        .await;
    let id = order_id(&body);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let paid = pay(app, &buyer, &body).await;
    assert_eq!(
        paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
        "{paid}"
    );
    let (_, money) = app
        .gql(
            Some(&buyer),
            "query($id: ID!) { orderPayment(orderId: $id) { status paid { amount } refunded { amount } note refunds { automatic done } } }",
            json!({ "id": id }),
        )
        .await;
    let money = &money["data"]["orderPayment"];
    assert_eq!(money["status"], "REFUNDED", "{money}");
    assert_eq!(
        money["paid"], money["refunded"],
        "all of it went back: {money}"
    );
    assert_eq!(
        money["refunds"],
        json!([{ "automatic": true, "done": true }])
    );
    assert!(
        money["note"]
            .as_str()
            .is_some_and(|n| n.contains("expired")),
        "the customer is told why: {money}"
    );
    let (_, body) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { order(id: $id) { status stockReserved } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["order"],
        json!({ "status": "EXPIRED", "stockReserved": false })
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 5, "reserved": 0, "available": 5 })
    );
}

#[tokio::test]
async fn an_overdue_hold_is_expired_when_touched_not_when_the_sweep_runs() {
    let app = TestApp::spawn_with("reservation_expiry_interval_ms = 30000").await;
    let token = app.new_vendor().await;
    crate::support::stock(&app, &token, "ONE", 1).await;
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "o": "h1", "n": 1, "ttl": 1 }),
        )
        .await;
    assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE", "{body}");
    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_eq!(
        reservation_status(&app, &token, "h1").await["status"],
        "EXPIRED"
    );
    for mutation in ["commitReservation", "confirmReservation"] {
        let (_, body) = app
            .gql(
                Some(&token),
                &format!("mutation {{ {mutation}(orderId: \"h1\") {{ status }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(
            code(&body),
            Some("RESERVATION_EXPIRED"),
            "{mutation}: {body}"
        );
    }
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "o": "h2", "n": 1, "ttl": 60 }),
        )
        .await;
    assert_eq!(
        body["data"]["reserveStock"]["status"], "ACTIVE",
        "another buyer takes the overdue unit: {body}"
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItem(sku: \"ONE\") { onHand reserved } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"],
        json!({ "onHand": 1, "reserved": 1 })
    );
}

/// (held, short) answers of `loops` reserve/release rounds by one client.
async fn reserve_release(
    app: Arc<TestApp>,
    token: String,
    client: usize,
    loops: usize,
) -> (usize, usize) {
    let (mut held, mut short) = (0, 0);
    for n in 0..loops {
        let order = format!("c{client}-{n}");
        let (_, body) = app
            .gql(Some(&token), RESERVE, json!({ "o": order, "n": 1 }))
            .await;
        match code(&body) {
            None => {
                held += 1;
                let (_, body) = app
                    .gql(
                        Some(&token),
                        "mutation($o: String!) { releaseReservation(orderId: $o) { status } }",
                        json!({ "o": order }),
                    )
                    .await;
                assert_eq!(
                    body["data"]["releaseReservation"]["status"], "RELEASED",
                    "{body}"
                );
            }
            Some("INSUFFICIENT_STOCK") => {
                assert_eq!(body["errors"][0]["extensions"]["available"], 0, "{body}");
                short += 1;
            }
            Some(other) => panic!("client {client} got {other}: {body}"),
        }
    }
    (held, short)
}

#[tokio::test]
async fn thirty_two_clients_on_one_unit_get_held_or_short_and_the_books_balance() {
    const CLIENTS: usize = 32;
    const LOOPS: usize = 25;
    let app = Arc::new(TestApp::spawn().await);
    let token = app.new_vendor().await;
    crate::support::stock(&app, &token, "ONE", 1).await;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| tokio::spawn(reserve_release(app.clone(), token.clone(), client, LOOPS)))
        .collect();
    let (mut held, mut short) = (0, 0);
    for task in tasks {
        let (h, s) = task.await.expect("client");
        held += h;
        short += s;
    }
    println!("{CLIENTS} clients x {LOOPS}: {held} held, {short} INSUFFICIENT_STOCK, 0 INTERNAL");
    assert_eq!(held + short, CLIENTS * LOOPS);
    assert!(held > 0);
    let (on_hand, reserved, holding): (i64, i64, i64) = sqlx::query_as(
        "SELECT s.on_hand, s.reserved,
                (SELECT coalesce(sum(l.quantity), 0)::bigint FROM inventory.reservation_lines l
                 JOIN inventory.reservations r USING (tenant_id, order_id)
                 WHERE l.tenant_id = s.tenant_id AND l.sku = s.sku
                   AND r.status IN ('active', 'confirmed'))
         FROM inventory.stock_items s WHERE s.sku = 'ONE'",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("books");
    assert_eq!((on_hand, reserved, holding), (1, 0, 0));
}

#[tokio::test]
async fn concurrent_checkouts_of_one_unit_get_orders_or_short_and_keys_answer_again() {
    const BUYERS: usize = 8;
    const LOOPS: usize = 8;
    let shop = Arc::new(shop_with(1, "").await);
    let mut buyers = Vec::new();
    for b in 0..BUYERS {
        buyers.push(customer(&shop.app, &format!("buyer{b}@example.com")).await);
    }
    let tasks: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(b, token)| {
            let (shop, token) = (shop.clone(), token.clone());
            tokio::spawn(async move {
                let (mut won, mut short) = (0, 0);
                for n in 0..LOOPS {
                    let key = format!("b{b}-{n}");
                    let (_, body) = shop
                        .app
                        .gql(Some(&token), CHECKOUT, cart(&shop, &[1, 0], &key))
                        .await;
                    match code(&body) {
                        None => {
                            won += 1;
                            let id = order_id(&body);
                            let (_, body) = shop
                                .app
                                .gql(Some(&token), CHANGE, json!({ "id": id, "s": "CANCELLED" }))
                                .await;
                            assert_eq!(
                                body["data"]["changeOrderStatus"]["status"], "CANCELLED",
                                "{body}"
                            );
                        }
                        Some("INSUFFICIENT_STOCK") => short += 1,
                        Some(other) => panic!("checkout {key} got {other}: {body}"),
                    }
                    // The key answers again with a real answer, never "in progress".
                    let (_, again) = shop
                        .app
                        .gql(Some(&token), CHECKOUT, cart(&shop, &[1, 0], &key))
                        .await;
                    assert_ne!(code(&again), Some("CHECKOUT_IN_PROGRESS"), "{again}");
                    assert_ne!(code(&again), Some("INTERNAL"), "{again}");
                }
                (won, short)
            })
        })
        .collect();
    let (mut won, mut short) = (0, 0);
    for task in tasks {
        let (w, s) = task.await.expect("buyer");
        won += w;
        short += s;
    }
    println!(
        "{BUYERS} buyers x {LOOPS} checkouts of 1 unit: {won} placed, {short} INSUFFICIENT_STOCK"
    );
    assert_eq!(won + short, BUYERS * LOOPS);
    assert!(won > 0);
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 1, "reserved": 0, "available": 1 })
    );
}
