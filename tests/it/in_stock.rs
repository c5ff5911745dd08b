//! `products(inStock: true)`: exact whatever the mix of sold-out and in-stock
//! products, and current within the read model's lag (well under a second) of a
//! stock change.

use serde_json::{json, Value};
use souk_tenants::Role;

use crate::support::{published_product, TestApp};

const LIST: &str = "query($after: String, $first: Int) {
    products(inStock: true, first: $first, after: $after) {
        edges { node { title } } pageInfo { hasNextPage endCursor } } }";
const ADJUST: &str = "mutation($sku: String!, $d: Int!) {
    adjustStock(sku: $sku, delta: $d, reason: \"count\") { available } }";

async fn product(app: &TestApp, token: &str, title: &str, stock: i64) {
    let input = json!({
        "title": title,
        "price": { "amount": 1000, "currency": "EUR" },
        "variants": [{ "sku": title, "initialStock": stock }],
    });
    published_product(app, token, input).await;
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["products"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().expect("title").to_string())
        .collect()
}

/// Every in-stock title, paging `first` at a time; and how many pages it took.
async fn page_through(app: &TestApp, first: i64) -> (Vec<String>, usize) {
    let (mut all, mut pages, mut after) = (Vec::new(), 0, Value::Null);
    loop {
        let (_, body) = app
            .gql(None, LIST, json!({ "first": first, "after": after }))
            .await;
        all.extend(titles(&body));
        pages += 1;
        let info = &body["data"]["products"]["pageInfo"];
        if info["hasNextPage"] != true {
            return (all, pages);
        }
        assert!(pages < 20, "paging does not end: {body}");
        after = info["endCursor"].clone();
    }
}

/// How long a stock change may take to reach the storefront in these tests (the
/// projector looks every 100 ms; the bound is generous for a busy machine).
const FRESHNESS: std::time::Duration = std::time::Duration::from_secs(5);

/// Pages through the in-stock list until it is `expected`; panics after
/// [`FRESHNESS`].
async fn listed_soon(app: &TestApp, expected: &[String], what: &str) {
    let started = std::time::Instant::now();
    loop {
        let (listed, _) = page_through(app, 2).await;
        if listed == expected {
            println!("{what}: {} ms", started.elapsed().as_millis());
            return;
        }
        assert!(
            started.elapsed() < FRESHNESS,
            "{what}: still {listed:?}, expected {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn in_stock_products_behind_many_newer_sold_out_ones_are_all_listed() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Owner, Some(app.create_tenant().await));
    for i in 0..5 {
        product(&app, &token, &format!("STOCKED-{i}"), 3).await;
    }
    for i in 0..60 {
        product(&app, &token, &format!("SOLDOUT-{i:02}"), 0).await;
    }
    let (_, body) = app.gql(None, LIST, json!({ "first": 10 })).await;
    let mut expected: Vec<String> = (0..5).rev().map(|i| format!("STOCKED-{i}")).collect();
    assert_eq!(titles(&body), expected, "{body}");
    assert_eq!(body["data"]["products"]["pageInfo"]["hasNextPage"], false);

    let (listed, pages) = page_through(&app, 2).await;
    println!("5 in-stock products behind 60 sold-out ones: {pages} pages of 2");
    assert_eq!(listed, expected, "each in-stock product once, in order");

    // One sells out, then comes back.
    let (_, body) = app
        .gql(Some(&token), ADJUST, json!({ "sku": "STOCKED-2", "d": -3 }))
        .await;
    assert_eq!(body["data"]["adjustStock"]["available"], 0, "{body}");
    expected.retain(|t| t != "STOCKED-2");
    listed_soon(&app, &expected, "a sold-out product leaves").await;
    let (_, body) = app
        .gql(Some(&token), ADJUST, json!({ "sku": "STOCKED-2", "d": 1 }))
        .await;
    assert_eq!(body["data"]["adjustStock"]["available"], 1, "{body}");
    let back: Vec<String> = (0..5).rev().map(|i| format!("STOCKED-{i}")).collect();
    listed_soon(&app, &back, "a restocked product is listed again").await;
}

/// Stock on a shelf that does not ship (returns) is not for sale: the product
/// leaves the in-stock list, its variant shows no availability, and it comes back
/// when the stock moves to a location that ships.
#[tokio::test]
async fn stock_only_at_a_location_that_does_not_ship_is_not_in_stock() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Owner, Some(app.create_tenant().await));
    product(&app, &token, "RETURNED", 3).await;
    product(&app, &token, "ON-SALE", 2).await;
    let both = ["ON-SALE".to_string(), "RETURNED".to_string()];
    listed_soon(&app, &both, "both listed").await;
    let (_, created) = app
        .gql(
            Some(&token),
            "mutation { createStockLocation(input: { code: \"returns\", name: \"Returns shelf\", shipsToCustomers: false }) { id } }",
            json!({}),
        )
        .await;
    let returns = created["data"]["createStockLocation"]["id"].clone();
    let (_, all) = app
        .gql(
            Some(&token),
            "{ stockLocations { id isDefault } }",
            json!({}),
        )
        .await;
    let main = all["data"]["stockLocations"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["isDefault"] == true))
        .map(|l| l["id"].clone())
        .unwrap_or_else(|| panic!("{all}"));
    const MOVE: &str = "mutation($from: ID!, $to: ID!) {
        transferStock(sku: \"RETURNED\", from: $from, to: $to, quantity: 3, reason: \"returned\") { to { onHand } } }";
    let (_, body) = app
        .gql(Some(&token), MOVE, json!({ "from": main, "to": returns }))
        .await;
    assert_eq!(body["data"]["transferStock"]["to"]["onHand"], 3, "{body}");
    listed_soon(&app, &["ON-SALE".to_string()], "the returned one leaves").await;
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItem(sku: \"RETURNED\") { onHand available sellable } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"],
        json!({ "onHand": 3, "available": 3, "sellable": 0 })
    );
    let (_, body) = app
        .gql(
            None,
            "{ products(first: 10, search: \"RETURNED\") { edges { node { variants { availability } } } } }",
            json!({}),
        )
        .await;
    let shown = &body["data"]["products"]["edges"];
    assert!(
        shown.as_array().is_some_and(|e| e.is_empty())
            || shown[0]["node"]["variants"][0]["availability"] == 0,
        "{body}"
    );
    let (_, body) = app
        .gql(Some(&token), MOVE, json!({ "from": returns, "to": main }))
        .await;
    assert!(body["data"]["transferStock"].is_object(), "{body}");
    listed_soon(&app, &both, "back on sale").await;
}
