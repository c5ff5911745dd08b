//! Inventory through the public API: flows, tenant isolation and bad input.

use serde_json::json;

use crate::support::{code, ledger_rows, stock, TestApp};

const RESERVE: &str = "mutation($order: String!, $lines: [ReservationLineInput!]!, $ttl: Int) {
    reserveStock(orderId: $order, lines: $lines, ttlSeconds: $ttl) {
        orderId status lines { sku quantity }
    }
}";

#[tokio::test]
async fn a_vendor_reserves_ships_and_reads_the_ledger() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "TEE-M", 10).await;
    stock(&app, &token, "CAP", 3).await;
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "order": "ord-1", "lines": [{"sku": "TEE-M", "quantity": 4}, {"sku": "CAP", "quantity": 1}] }),
        )
        .await;
    assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE", "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation { commitReservation(orderId: \"ord-1\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["commitReservation"]["status"], "COMMITTED",
        "{body}"
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItem(sku: \"TEE-M\") { onHand reserved available }
               stockHistory(sku: \"TEE-M\", first: 10) { edges { node { kind onHandChange reservedChange onHandAfter reservedAfter reference actor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"],
        json!({ "onHand": 6, "reserved": 0, "available": 6 })
    );
    let kinds: Vec<&str> = body["data"]["stockHistory"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, vec!["COMMITTED", "RESERVED", "CREATED"]);
    let shipped = &body["data"]["stockHistory"]["edges"][0]["node"];
    assert_eq!(shipped["onHandChange"], -4);
    assert_eq!(shipped["reservedChange"], -4);
    assert_eq!(shipped["reference"], "ord-1");
    assert_eq!(shipped["actor"], "user:user-1");
}

#[tokio::test]
async fn a_short_reservation_names_the_sku_and_what_was_available() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "A", 2).await;
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "order": "o1", "lines": [{"sku": "A", "quantity": 3}] }),
        )
        .await;
    assert_eq!(code(&body), Some("INSUFFICIENT_STOCK"), "{body}");
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(
        (
            ext["sku"].as_str(),
            ext["requested"].as_i64(),
            ext["available"].as_i64()
        ),
        (Some("A"), Some(3), Some(2))
    );
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "order": "o1", "lines": [{"sku": "A", "quantity": 1}] }),
        )
        .await;
    assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE");
    let (_, body) = app
        .gql(
            Some(&token),
            RESERVE,
            json!({ "order": "o1", "lines": [{"sku": "A", "quantity": 2}] }),
        )
        .await;
    assert_eq!(code(&body), Some("RESERVATION_CONFLICT"), "{body}");
}

#[tokio::test]
async fn pages_of_stock_items_follow_their_cursors_and_low_stock_filters() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    for i in 0..5 {
        stock(&app, &token, &format!("S-{i}"), i).await;
    }
    app.gql(
        Some(&token),
        "mutation { updateStockItem(sku: \"S-4\", reorderThreshold: 10) { lowStock } }",
        json!({}),
    )
    .await;
    let page = "query($after: String) { stockItems(first: 2, after: $after) {
        edges { cursor node { sku } } pageInfo { hasNextPage endCursor } } }";
    let mut after = serde_json::Value::Null;
    let mut seen = Vec::new();
    loop {
        let (_, body) = app.gql(Some(&token), page, json!({ "after": after })).await;
        let connection = &body["data"]["stockItems"];
        for edge in connection["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["sku"].as_str().expect("sku").to_string());
        }
        if connection["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, vec!["S-0", "S-1", "S-2", "S-3", "S-4"]);
    let (_, body) = app
        .gql(
            Some(&token),
            "{ lowStock { edges { node { sku available reorderThreshold } } } }",
            json!({}),
        )
        .await;
    // S-0 has 0 available at threshold 0; S-4 has 4 at threshold 10.
    let low: Vec<&str> = body["data"]["lowStock"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["sku"].as_str().expect("sku"))
        .collect();
    assert_eq!(low, vec!["S-0", "S-4"]);
}

#[tokio::test]
async fn tenant_b_can_neither_see_nor_touch_tenant_a_stock() {
    let app = TestApp::spawn().await;
    let a = app.new_vendor().await;
    let b = app.new_vendor().await;
    stock(&app, &a, "SECRET", 5).await;
    let (_, body) = app
        .gql(
            Some(&a),
            RESERVE,
            json!({ "order": "a-order", "lines": [{"sku": "SECRET", "quantity": 2}] }),
        )
        .await;
    assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE");

    let (_, body) = app
        .gql(
            Some(&b),
            "{ stockItem(sku: \"SECRET\") { onHand }
               stockItems { edges { node { sku } } }
               stockHistory(sku: \"SECRET\") { edges { node { kind } } }
               reservation(orderId: \"a-order\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({ "stockItem": null, "stockItems": { "edges": [] }, "stockHistory": { "edges": [] }, "reservation": null }),
        "{body}"
    );
    let attempts = [
        ("mutation { adjustStock(sku: \"SECRET\", delta: -5, reason: \"theft\") { onHand } }", "UNKNOWN_SKU"),
        ("mutation { updateStockItem(sku: \"SECRET\", reorderThreshold: 1) { onHand } }", "UNKNOWN_SKU"),
        ("mutation { reserveStock(orderId: \"b-1\", lines: [{sku: \"SECRET\", quantity: 1}]) { status } }", "UNKNOWN_SKU"),
        ("mutation { releaseReservation(orderId: \"a-order\") { status } }", "NOT_FOUND"),
        ("mutation { commitReservation(orderId: \"a-order\") { status } }", "NOT_FOUND"),
    ];
    for (document, expected) in attempts {
        let (_, body) = app.gql(Some(&b), document, json!({})).await;
        assert_eq!(code(&body), Some(expected), "{document}: {body}");
    }
    // B may use the same SKU name: whether A has it is not revealed.
    stock(&app, &b, "SECRET", 1).await;
    let (_, body) = app
        .gql(Some(&a), "{ stockItem(sku: \"SECRET\") { onHand reserved } reservation(orderId: \"a-order\") { status } }", json!({}))
        .await;
    assert_eq!(
        body["data"],
        json!({ "stockItem": { "onHand": 5, "reserved": 2 }, "reservation": { "status": "ACTIVE" } })
    );
}

#[tokio::test]
async fn bad_input_gets_a_typed_error_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "A", 5).await;
    let huge_sku = "A".repeat(10 * 1024);
    let reserve = |quantity: serde_json::Value| json!({ "order": "o1", "lines": [{"sku": "A", "quantity": quantity}] });
    let create =
        "mutation($sku: String!, $n: Int!) { createStockItem(sku: $sku, onHand: $n) { sku } }";
    let adjust = "mutation($sku: String!, $d: Int!, $r: String!) { adjustStock(sku: $sku, delta: $d, reason: $r) { onHand } }";
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        (
            "zero quantity",
            RESERVE,
            reserve(json!(0)),
            "INVALID_QUANTITY",
        ),
        (
            "negative quantity",
            RESERVE,
            reserve(json!(-3)),
            "INVALID_QUANTITY",
        ),
        (
            "quantity past the limit",
            RESERVE,
            reserve(json!(1_i64 << 40)),
            "INVALID_QUANTITY",
        ),
        (
            "quantity past 64 bits",
            RESERVE,
            reserve(json!(1e30)),
            "BAD_REQUEST",
        ),
        (
            "quantity as text",
            RESERVE,
            reserve(json!("5")),
            "BAD_REQUEST",
        ),
        (
            "empty sku",
            create,
            json!({"sku": "", "n": 1}),
            "INVALID_SKU",
        ),
        (
            "10 KB sku",
            create,
            json!({"sku": huge_sku, "n": 1}),
            "INVALID_SKU",
        ),
        (
            "sku with spaces inside",
            create,
            json!({"sku": "A B", "n": 1}),
            "INVALID_SKU",
        ),
        (
            "negative stock",
            create,
            json!({"sku": "B", "n": -1}),
            "INVALID_QUANTITY",
        ),
        (
            "zero adjustment",
            adjust,
            json!({"sku": "A", "d": 0, "r": "x"}),
            "INVALID_QUANTITY",
        ),
        (
            "adjust below zero",
            adjust,
            json!({"sku": "A", "d": -6, "r": "x"}),
            "INSUFFICIENT_STOCK",
        ),
        (
            "empty reason",
            adjust,
            json!({"sku": "A", "d": 1, "r": "  "}),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown sku",
            adjust,
            json!({"sku": "NOPE", "d": 1, "r": "x"}),
            "UNKNOWN_SKU",
        ),
        (
            "no lines",
            RESERVE,
            json!({"order": "o1", "lines": []}),
            "INVALID_ARGUMENT",
        ),
        (
            "duplicate lines",
            RESERVE,
            json!({"order": "o1", "lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}]}),
            "INVALID_ARGUMENT",
        ),
        (
            "zero ttl",
            RESERVE,
            json!({"order": "o1", "lines": [{"sku": "A", "quantity": 1}], "ttl": 0}),
            "INVALID_ARGUMENT",
        ),
        (
            "bad order id",
            RESERVE,
            json!({"order": "o 1; drop", "lines": [{"sku": "A", "quantity": 1}]}),
            "INVALID_ARGUMENT",
        ),
        (
            "page too large",
            "{ stockItems(first: 101) { edges { cursor } } }",
            json!({}),
            "INVALID_ARGUMENT",
        ),
        (
            "page of zero",
            "{ stockItems(first: 0) { edges { cursor } } }",
            json!({}),
            "INVALID_ARGUMENT",
        ),
        (
            "forged cursor",
            "{ stockItems(after: \"%%%\") { edges { cursor } } }",
            json!({}),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown field",
            "{ stockItems { nope } }",
            json!({}),
            "BAD_REQUEST",
        ),
    ];
    let before = ledger_rows(&app).await;
    for (case, document, variables, expected) in cases {
        let (_, body) = app.gql(Some(&token), document, variables).await;
        assert_eq!(code(&body), Some(expected), "{case}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("sqlx") && !message.contains("violates"),
            "{case}: {message}"
        );
    }
    assert_eq!(ledger_rows(&app).await, before, "nothing changed");
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItem(sku: \"A\") { onHand reserved } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"],
        json!({ "onHand": 5, "reserved": 0 })
    );
}
