//! Marketplace payments over HTTP: one payment per checkout, each vendor's
//! order paid through the state machine, commission, transfers on shipping,
//! refunds, the reconciler, and Stripe Connect through a double.

mod contention;
mod flow;
mod refunds;
mod repair;
mod stripe;

use serde_json::{json, Value};

use crate::orders::{cart, customer, Shop, CHANGE};
use crate::support::TestApp;

pub(crate) const CHECKOUT_PAID: &str = "mutation($i: CheckoutInput!) { checkout(input: $i) {
    checkoutId orders { id vendorId status total { amount } }
    payment { checkoutId provider status amount { amount currency } clientSecret testHandle failure } } }";

pub(crate) const ORDER_PAYMENT: &str = "query($o: ID!) { orderPayment(orderId: $o) {
    status amount { amount } paid { amount } refunded { amount } commission { amount }
    transferred { amount } note refunds { amount { amount } automatic done reason } } }";

pub(crate) const PAYOUTS: &str = "query($k: LedgerEntryKind) { payouts(kind: $k, first: 100) {
    account { payoutsEnabled }
    balances { currency earned pending transferable transferred }
    entries { edges { node { orderId kind amount { amount } providerObject } } } } }";

/// A customer's checkout of `quantities` (SKU-A, SKU-B); its answer.
pub(crate) async fn buy(shop: &Shop, buyer: &str, quantities: &[i64], key: &str) -> Value {
    shop.app
        .gql(Some(buyer), CHECKOUT_PAID, cart(shop, quantities, key))
        .await
        .1
}

pub(crate) fn orders_of(body: &Value) -> Vec<Value> {
    body["data"]["checkout"]["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("no orders: {body}"))
        .clone()
}

/// The order of vendor `v` (0: SKU-A, 1: SKU-B) in a checkout answer.
pub(crate) fn order_of(shop: &Shop, body: &Value, v: usize) -> String {
    let _ = shop;
    let price = [1500, 900][v];
    orders_of(body)
        .iter()
        .find(|o| {
            o["total"]["amount"]
                .as_i64()
                .is_some_and(|t| t % price == 0)
        })
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("no order of vendor {v}: {body}"))
        .to_string()
}

pub(crate) async fn order_payment(app: &TestApp, token: &str, order: &str) -> Value {
    let (_, body) = app
        .gql(Some(token), ORDER_PAYMENT, json!({ "o": order }))
        .await;
    body["data"]["orderPayment"].clone()
}

pub(crate) async fn status_of(app: &TestApp, token: &str, order: &str) -> String {
    let (_, body) = app
        .gql(
            Some(token),
            "query($id: ID!) { order(id: $id) { status } }",
            json!({ "id": order }),
        )
        .await;
    body["data"]["order"]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

pub(crate) async fn move_to(app: &TestApp, vendor: &str, order: &str, statuses: &[&str]) {
    for status in statuses {
        let (_, body) = app
            .gql(Some(vendor), CHANGE, json!({ "id": order, "s": status }))
            .await;
        assert_eq!(
            body["data"]["changeOrderStatus"]["status"], *status,
            "{body}"
        );
    }
}

pub(crate) async fn payouts(app: &TestApp, vendor: &str) -> Value {
    let (_, body) = app.gql(Some(vendor), PAYOUTS, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["payouts"].clone()
}

pub(crate) async fn connect(app: &TestApp, owner: &str) -> Value {
    let (_, body) = app
        .gql(
            Some(owner),
            "mutation { connectPayouts { url account { accountId payoutsEnabled } } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "connectPayouts: {body}");
    body["data"]["connectPayouts"].clone()
}

/// The kinds and amounts of a payouts answer's entries, oldest first.
pub(crate) fn entries(payouts: &Value) -> Vec<(String, i64)> {
    let mut found: Vec<(String, i64)> = payouts["entries"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| {
                    (
                        e["node"]["kind"].as_str().unwrap_or_default().to_string(),
                        e["node"]["amount"]["amount"].as_i64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.reverse();
    found
}

/// The free plan's commission on `total`: 8 % rounded half up, plus 30.
pub(crate) fn free_plan_fee(total: i64) -> i64 {
    ((total * 800 * 2 + 10_000) / 20_000 + 30).min(total)
}

pub(crate) async fn new_customer(app: &TestApp, email: &str) -> String {
    customer(app, email).await
}
