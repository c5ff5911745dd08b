//! The payments reconciler finishes every step a crash interrupted. Each test
//! leaves the database exactly as a process dying between two steps would
//! (through the owner role), then waits for the repair.

use std::time::Duration;

use serde_json::json;

use super::{buy, connect, move_to, new_customer, order_of, order_payment, payouts, status_of};
use crate::orders::{pay, shop_with, Shop};

const FAST_REPAIR: &str = "payment_repair_interval_secs = 1\npayment_stalled_after_secs = 1";

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..60 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("never repaired: {what}");
}

async fn ledger_kinds(shop: &Shop, order: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM payments.ledger WHERE order_id = $1 ORDER BY id")
        .bind(order)
        .fetch_all(&shop.app.db.owner)
        .await
        .expect("ledger")
}

#[tokio::test]
async fn a_crash_after_the_order_was_paid_and_before_the_ledger_is_repaired() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "crash-ledger@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "crash-ledger").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    // As if the process died after the order became paid, before its share.
    sqlx::query("DELETE FROM payments.ledger WHERE order_id = $1")
        .bind(&order)
        .execute(&app.db.owner)
        .await
        .expect("undo ledger");
    sqlx::query("UPDATE payments.order_payments SET status = 'awaiting', commission = 0, paid_at = NULL WHERE order_id = $1")
        .bind(&order)
        .execute(&app.db.owner)
        .await
        .expect("undo share");
    eventually("the share and its ledger", || async {
        order_payment(app, &vendor, &order).await["status"] == "PAID"
    })
    .await;
    assert_eq!(
        ledger_kinds(&shop, &order).await,
        ["charge", "commission"],
        "once each"
    );
    assert_eq!(status_of(app, &vendor, &order).await, "PAID");
}

#[tokio::test]
async fn a_crash_after_the_payment_succeeded_and_before_the_orders_moved_is_repaired() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let buyer = new_customer(app, "crash-orders@example.com").await;
    let body = buy(&shop, &buyer, &[1, 2], "crash-orders").await;
    let checkout = body["data"]["checkout"]["checkoutId"]
        .as_str()
        .expect("checkout");
    // The success was recorded; then the process died.
    sqlx::query("UPDATE payments.checkouts SET status = 'succeeded', charge_id = 'test_ch_x' WHERE checkout_id = $1")
        .bind(checkout)
        .execute(&app.db.owner)
        .await
        .expect("succeeded");
    for v in 0..2 {
        let order = order_of(&shop, &body, v);
        let vendor = shop.vendors[v].0.clone();
        // The order moves first, then its share is recorded.
        eventually("the order and its share paid", || async {
            status_of(app, &vendor, &order).await == "PAID"
                && order_payment(app, &vendor, &order).await["status"] == "PAID"
        })
        .await;
    }
}

#[tokio::test]
async fn a_refund_interrupted_before_the_money_moved_is_finished() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "crash-refund@example.com").await;
    let body = buy(&shop, &buyer, &[2, 0], "crash-refund").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    let tenant = body["data"]["checkout"]["orders"][0]["vendorId"]
        .as_str()
        .expect("vendor");
    // The refund was requested; the process died before the provider call.
    sqlx::query(
        "INSERT INTO payments.refunds (id, tenant_id, order_id, amount, commission_returned, reason,
                requested_by, status, created_at)
         VALUES ($1, $2::uuid, $3, 1000, 0, 'interrupted', 'user:test', 'requested', now() - interval '1 minute')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(tenant)
    .bind(&order)
    .execute(&app.db.owner)
    .await
    .expect("requested refund");
    eventually("the refund finished", || async {
        order_payment(app, &vendor, &order).await["refunded"]["amount"] == 1000
    })
    .await;
    let kinds = ledger_kinds(&shop, &order).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "refund").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        order_payment(app, &buyer, &order).await["refunds"][0]["done"],
        true
    );
}

#[tokio::test]
async fn a_shipped_order_whose_transfer_never_ran_is_transferred() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "crash-transfer@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "crash-transfer").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    connect(app, &vendor).await;
    // Payouts off while it ships (no transfer), then on without the release
    // (as if the account update was applied and the process died).
    sqlx::query("UPDATE payments.accounts SET payouts_enabled = false")
        .execute(&app.db.owner)
        .await
        .expect("payouts off");
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    assert_eq!(payouts(app, &vendor).await["balances"][0]["transferred"], 0);
    sqlx::query("UPDATE payments.accounts SET payouts_enabled = true")
        .execute(&app.db.owner)
        .await
        .expect("payouts on");
    eventually("the transfer", || async {
        payouts(app, &vendor).await["balances"][0]["transferable"] == 0
    })
    .await;
    let kinds = ledger_kinds(&shop, &order).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "transfer").count(),
        1,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_payment_nobody_completed_is_cancelled_after_its_holds_ran_out() {
    let shop = shop_with(
        10,
        &format!("{FAST_REPAIR}\nreservation_ttl_secs = 1\nreservation_expiry_interval_ms = 200"),
    )
    .await;
    let app = &shop.app;
    let buyer = new_customer(app, "abandoned@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "abandoned").await;
    let checkout = body["data"]["checkout"]["checkoutId"].clone();
    let query = "query($c: ID!) { checkoutPayment(checkoutId: $c) { status failure } }";
    eventually("the abandoned payment cancelled", || async {
        let (_, seen) = app.gql(Some(&buyer), query, json!({ "c": checkout })).await;
        seen["data"]["checkoutPayment"]["status"] == "CANCELED"
    })
    .await;
    // The payment is cancelled first, then each of its orders and shares.
    let order = order_of(&shop, &body, 0);
    eventually("the order's share voided", || async {
        order_payment(app, &buyer, &order).await["status"] == "VOIDED"
    })
    .await;
}

#[tokio::test]
async fn a_failure_whose_view_is_stale_never_cancels_an_order_that_was_paid() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "stale-failure@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "stale-failure").await;
    let order = order_of(&shop, &body, 0);
    let checkout = body["data"]["checkout"]["checkoutId"]
        .as_str()
        .expect("checkout");
    pay(app, &buyer, &body).await;
    // What a decline being applied while a second card paid sees: the checkout
    // failed, the order's share still awaiting (its success not recorded yet),
    // while the order itself was paid a moment ago.
    sqlx::query("UPDATE payments.checkouts SET status = 'failed', failure = 'card declined' WHERE checkout_id = $1")
        .bind(checkout)
        .execute(&app.db.owner)
        .await
        .expect("failed");
    sqlx::query("UPDATE payments.order_payments SET status = 'awaiting' WHERE order_id = $1")
        .bind(&order)
        .execute(&app.db.owner)
        .await
        .expect("awaiting");
    // Several sweeps of the reconciler (every second) apply the failure.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        status_of(app, &vendor, &order).await,
        "PAID",
        "the paid order stands"
    );
    let reserved: i64 =
        sqlx::query_scalar("SELECT sum(reserved)::bigint FROM inventory.stock_items")
            .fetch_one(&app.db.owner)
            .await
            .expect("reserved");
    assert_eq!(reserved, 1, "its stock still held for it");
}

#[tokio::test]
async fn an_order_left_shipped_with_all_its_money_refunded_is_closed() {
    let shop = shop_with(10, FAST_REPAIR).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "left-shipped@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "left-shipped").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    // As a refund that raced the shipment left it (before refunds waited for
    // shipments): all the money back, the order still shipped.
    sqlx::query("UPDATE payments.order_payments SET status = 'refunded', refunded = amount WHERE order_id = $1")
        .bind(&order)
        .execute(&app.db.owner)
        .await
        .expect("refunded");
    eventually("the order refunded", || async {
        status_of(app, &vendor, &order).await == "REFUNDED"
    })
    .await;
}
