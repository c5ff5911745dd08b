//! A checkout's one payment, the orders it pays, and each vendor's payout.

use serde_json::json;

use super::{
    buy, connect, entries, free_plan_fee, move_to, new_customer, order_of, order_payment,
    orders_of, payouts, status_of,
};
use crate::orders::{pay, shop, stock, CHANGE, PAY};
use crate::support::code;

#[tokio::test]
async fn one_payment_pays_every_vendor_and_each_is_paid_out_when_it_ships() {
    let shop = shop(10).await;
    let app = &shop.app;
    let (a, b) = (shop.vendors[0].0.clone(), shop.vendors[1].0.clone());
    let buyer = new_customer(app, "payer@example.com").await;
    let body = buy(&shop, &buyer, &[2, 3], "pay-1").await;
    let payment = &body["data"]["checkout"]["payment"];
    assert_eq!(payment["provider"], "TEST", "{body}");
    assert_eq!(payment["status"], "OPEN");
    assert_eq!(
        payment["amount"],
        json!({ "amount": 2 * 1500 + 3 * 900, "currency": "EUR" })
    );
    assert!(payment["testHandle"].is_string() && payment["clientSecret"].is_null());
    assert!(orders_of(&body).iter().all(|o| o["status"] == "PENDING"));
    let again = buy(&shop, &buyer, &[2, 3], "pay-1").await;
    assert_eq!(
        again["data"]["checkout"]["payment"], *payment,
        "a retried checkout answers the same payment"
    );
    let (order_a, order_b) = (order_of(&shop, &body, 0), order_of(&shop, &body, 1));

    let paid = pay(app, &buyer, &body).await;
    assert_eq!(
        paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
        "{paid}"
    );
    assert_eq!(status_of(app, &a, &order_a).await, "PAID");
    assert_eq!(status_of(app, &b, &order_b).await, "PAID");
    let twice = pay(app, &buyer, &body).await;
    assert_eq!(code(&twice), Some("PAYMENT_CLOSED"), "paid once: {twice}");

    let fee_a = free_plan_fee(3000);
    let seen = order_payment(app, &a, &order_a).await;
    assert_eq!(seen["status"], "PAID");
    assert_eq!(seen["commission"]["amount"], fee_a);
    let by_customer = order_payment(app, &buyer, &order_a).await;
    assert_eq!(by_customer["paid"]["amount"], 3000);
    assert!(
        by_customer["commission"].is_null(),
        "customers do not see the vendor's terms"
    );
    assert!(
        order_payment(app, &b, &order_a).await.is_null(),
        "another vendor's order has no payment for them"
    );

    // Vendor A onboarded before shipping: its transfer goes with the shipment.
    assert_eq!(connect(app, &a).await["account"]["payoutsEnabled"], true);
    move_to(app, &a, &order_a, &["PROCESSING", "SHIPPED"]).await;
    let books = payouts(app, &a).await;
    assert_eq!(
        entries(&books),
        [
            ("CHARGE".to_string(), 3000),
            ("COMMISSION".to_string(), -fee_a),
            ("TRANSFER".to_string(), 3000 - fee_a)
        ]
    );
    assert_eq!(
        books["balances"],
        json!([{ "currency": "EUR", "earned": 3000 - fee_a, "pending": 0, "transferable": 0, "transferred": 3000 - fee_a }])
    );

    // Vendor B ships first: its money waits until its payouts are enabled.
    let fee_b = free_plan_fee(2700);
    move_to(app, &b, &order_b, &["PROCESSING", "SHIPPED"]).await;
    let books = payouts(app, &b).await;
    assert!(books["account"].is_null());
    assert_eq!(
        books["balances"][0]["transferable"],
        2700 - fee_b,
        "{books}"
    );
    connect(app, &b).await;
    let books = payouts(app, &b).await;
    assert_eq!(books["balances"][0]["transferred"], 2700 - fee_b, "{books}");
    assert_eq!(books["balances"][0]["transferable"], 0);
}

#[tokio::test]
async fn card_orders_are_paid_by_payment_and_offline_ones_by_admin_leave() {
    let shop = shop(10).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "offline@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "card").await;
    let order = order_of(&shop, &body, 0);
    let (_, by_hand) = app
        .gql(Some(&vendor), CHANGE, json!({ "id": order, "s": "PAID" }))
        .await;
    assert_eq!(code(&by_hand), Some("PAYMENT_MANAGED"), "{by_hand}");

    let mut manual = crate::orders::cart(&shop, &[1, 0], "manual");
    manual["i"]["paymentMethod"] = json!("MANUAL");
    let (_, refused) = app
        .gql(Some(&buyer), super::CHECKOUT_PAID, manual.clone())
        .await;
    assert_eq!(
        code(&refused),
        Some("MANUAL_PAYMENT_UNAVAILABLE"),
        "{refused}"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        1,
        "the refused checkout held nothing"
    );

    let vendor_id = orders_of(&body)[0]["vendorId"].clone();
    let admin = app.token(souk_tenants::Role::PlatformAdmin, None);
    let allow =
        "mutation($v: ID!, $on: Boolean!) { setManualPayments(vendorId: $v, enabled: $on) }";
    let (_, by_vendor) = app
        .gql(Some(&vendor), allow, json!({ "v": vendor_id, "on": true }))
        .await;
    assert_eq!(code(&by_vendor), Some("FORBIDDEN"));
    let (_, unknown) = app
        .gql(
            Some(&admin),
            allow,
            json!({ "v": uuid::Uuid::now_v7().to_string(), "on": true }),
        )
        .await;
    assert_eq!(code(&unknown), Some("NOT_FOUND"), "{unknown}");
    app.gql(Some(&admin), allow, json!({ "v": vendor_id, "on": true }))
        .await;
    let (_, placed) = app.gql(Some(&buyer), super::CHECKOUT_PAID, manual).await;
    assert_eq!(
        placed["data"]["checkout"]["payment"]["provider"], "MANUAL",
        "{placed}"
    );
    let offline = order_of(&shop, &placed, 0);
    let checkout = placed["data"]["checkout"]["checkoutId"].clone();
    let (_, test_pay) = app
        .gql(Some(&buyer), PAY, json!({ "c": checkout, "ok": true }))
        .await;
    assert_eq!(code(&test_pay), Some("PAYMENT_CLOSED"), "{test_pay}");
    move_to(app, &vendor, &offline, &["PAID", "PROCESSING", "SHIPPED"]).await;
    assert!(
        order_payment(app, &vendor, &offline).await.is_null(),
        "an offline order moves no money through the platform"
    );
}

#[tokio::test]
async fn a_declined_payment_cancels_the_orders_and_a_later_success_refunds_them() {
    let shop = shop(4).await;
    let app = &shop.app;
    let buyer = new_customer(app, "declined@example.com").await;
    let body = buy(&shop, &buyer, &[2, 1], "declined").await;
    let checkout = body["data"]["checkout"]["checkoutId"].clone();
    let (_, declined) = app
        .gql(Some(&buyer), PAY, json!({ "c": checkout, "ok": false }))
        .await;
    assert_eq!(
        declined["data"]["payTestCheckout"]["status"], "FAILED",
        "{declined}"
    );
    for (v, sku) in [(0, "SKU-A"), (1, "SKU-B")] {
        let order = order_of(&shop, &body, v);
        assert_eq!(
            status_of(app, &shop.vendors[v].0, &order).await,
            "CANCELLED"
        );
        assert_eq!(
            stock(&shop, v, sku).await["reserved"],
            0,
            "the holds went back"
        );
        assert_eq!(order_payment(app, &buyer, &order).await["status"], "VOIDED");
    }
    let (_, again) = app
        .gql(Some(&buyer), PAY, json!({ "c": checkout, "ok": true }))
        .await;
    assert_eq!(
        code(&again),
        Some("PAYMENT_CLOSED"),
        "a declined test payment stays declined: {again}"
    );
}

#[tokio::test]
async fn a_payment_made_and_declined_at_once_has_one_outcome_for_every_order() {
    let shop = shop(10).await;
    let app = &shop.app;
    let buyer = new_customer(app, "both@example.com").await;
    let body = buy(&shop, &buyer, &[1, 1], "both").await;
    let checkout = body["data"]["checkout"]["checkoutId"].clone();
    let answers = futures::future::join_all((0..12).map(|i| {
        app.gql(
            Some(&buyer),
            PAY,
            json!({ "c": checkout, "ok": i % 2 == 0 }),
        )
    }))
    .await;
    let won: Vec<&serde_json::Value> = answers
        .iter()
        .filter(|(_, b)| b["errors"].is_null())
        .map(|(_, b)| &b["data"]["payTestCheckout"])
        .collect();
    assert_eq!(won.len(), 1, "one outcome: {answers:?}");
    for (_, body) in answers.iter().filter(|(_, b)| !b["errors"].is_null()) {
        assert_eq!(code(body), Some("PAYMENT_CLOSED"), "{body}");
    }
    let expected = if won[0]["status"] == "SUCCEEDED" {
        "PAID"
    } else {
        "CANCELLED"
    };
    assert!(
        won[0]["status"] != "SUCCEEDED" || won[0]["failure"].is_null(),
        "{won:?}"
    );
    for v in 0..2 {
        let order = order_of(&shop, &body, v);
        assert_eq!(status_of(app, &shop.vendors[v].0, &order).await, expected);
    }
}

#[tokio::test]
async fn a_payment_for_an_order_whose_hold_was_taken_away_refunds_that_order() {
    let shop = shop(10).await;
    let app = &shop.app;
    let (a, b) = (shop.vendors[0].0.clone(), shop.vendors[1].0.clone());
    let buyer = new_customer(app, "released@example.com").await;
    let body = buy(&shop, &buyer, &[1, 1], "released").await;
    let (order_a, order_b) = (order_of(&shop, &body, 0), order_of(&shop, &body, 1));
    // A checkout order's hold is not the vendor's to settle by hand ...
    for mutation in [
        "releaseReservation",
        "commitReservation",
        "confirmReservation",
    ] {
        let (_, refused) = app
            .gql(
                Some(&a),
                &format!("mutation($o: String!) {{ {mutation}(orderId: $o) {{ status }} }}"),
                json!({ "o": order_a }),
            )
            .await;
        assert_eq!(code(&refused), Some("RESERVATION_MANAGED"), "{refused}");
    }
    // ... but should it go anyway (here: released in the database), the payment
    // refunds that order instead of leaving it pending with the money taken.
    sqlx::query(
        "WITH gone AS (UPDATE inventory.reservations SET status = 'released'
                       WHERE order_id = $1 RETURNING tenant_id, order_id)
         UPDATE inventory.stock_items s SET reserved = s.reserved - l.quantity
         FROM inventory.reservation_lines l JOIN gone g USING (tenant_id, order_id)
         WHERE s.tenant_id = l.tenant_id AND s.sku = l.sku",
    )
    .bind(&order_a)
    .execute(&app.db.owner)
    .await
    .expect("release by hand");
    let paid = pay(app, &buyer, &body).await;
    assert_eq!(
        paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
        "{paid}"
    );
    let money = order_payment(app, &buyer, &order_a).await;
    assert_eq!(
        money["status"], "REFUNDED",
        "the unheld order's money went back: {money}"
    );
    assert_eq!(status_of(app, &a, &order_a).await, "CANCELLED");
    assert_eq!(
        status_of(app, &b, &order_b).await,
        "PAID",
        "the other vendor's order stands"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        0,
        "nothing oversold"
    );
}

#[tokio::test]
async fn a_payment_for_a_cancelled_vendor_order_refunds_it_and_the_others_stand() {
    let shop = shop(10).await;
    let app = &shop.app;
    let buyer = new_customer(app, "half@example.com").await;
    let body = buy(&shop, &buyer, &[1, 1], "half").await;
    let (order_a, order_b) = (order_of(&shop, &body, 0), order_of(&shop, &body, 1));
    let (_, cancelled) = app
        .gql(
            Some(&buyer),
            CHANGE,
            json!({ "id": order_a, "s": "CANCELLED" }),
        )
        .await;
    assert_eq!(
        cancelled["data"]["changeOrderStatus"]["status"], "CANCELLED",
        "{cancelled}"
    );
    pay(app, &buyer, &body).await;
    let refunded = order_payment(app, &buyer, &order_a).await;
    assert_eq!(refunded["status"], "REFUNDED", "{refunded}");
    assert_eq!(refunded["refunded"]["amount"], 1500);
    assert!(refunded["note"]
        .as_str()
        .is_some_and(|n| n.contains("cancelled")));
    assert_eq!(status_of(app, &shop.vendors[1].0, &order_b).await, "PAID");
    let books = payouts(app, &shop.vendors[0].0).await;
    assert_eq!(
        books["balances"][0]["earned"], 0,
        "the refunded order earned its vendor nothing: {books}"
    );
}

#[tokio::test]
async fn only_the_customer_pays_their_checkout() {
    let shop = shop(10).await;
    let app = &shop.app;
    let buyer = new_customer(app, "mine@example.com").await;
    let other = new_customer(app, "thief@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "mine").await;
    let checkout = body["data"]["checkout"]["checkoutId"].clone();
    for token in [other.as_str(), shop.vendors[0].0.as_str()] {
        let (_, refused) = app
            .gql(Some(token), PAY, json!({ "c": checkout, "ok": true }))
            .await;
        assert!(
            matches!(code(&refused), Some("NOT_FOUND" | "FORBIDDEN")),
            "{refused}"
        );
    }
    let (_, seen) = app
        .gql(
            Some(&other),
            "query($c: ID!) { checkoutPayment(checkoutId: $c) { status } }",
            json!({ "c": checkout }),
        )
        .await;
    assert!(seen["data"]["checkoutPayment"].is_null(), "{seen}");
    let (_, nul) = app
        .gql(Some(&buyer), PAY, json!({ "c": "\u{0}", "ok": true }))
        .await;
    assert!(
        matches!(code(&nul), Some("NOT_FOUND" | "INVALID_ARGUMENT")),
        "{nul}"
    );
}

#[tokio::test]
async fn a_customer_is_offered_only_what_they_may_do_with_a_card_order() {
    let shop = shop(10).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "offered@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "offered-1").await;
    let order = order_of(&shop, &body, 0);
    const NEXT: &str = "query($id: ID!) { order(id: $id) { allowedTransitions } }";
    let next = |token: String| {
        let order = order.clone();
        async move {
            let (_, body) = app.gql(Some(&token), NEXT, json!({ "id": order })).await;
            body["data"]["order"]["allowedTransitions"].clone()
        }
    };
    assert_eq!(
        next(buyer.clone()).await,
        json!(["CANCELLED"]),
        "pending: cancel"
    );
    pay(app, &buyer, &body).await;
    // Paid by card: its money goes back only through the vendor's refund.
    assert_eq!(next(buyer.clone()).await, json!([]));
    let (_, tried) = app
        .gql(
            Some(&buyer),
            CHANGE,
            json!({ "id": order, "s": "PROCESSING" }),
        )
        .await;
    assert_eq!(code(&tried), Some("FORBIDDEN"), "{tried}");
    assert_eq!(next(vendor).await, json!(["PROCESSING"]));
}

#[tokio::test]
async fn a_checkout_larger_than_one_payment_may_be_is_refused_and_holds_nothing() {
    let shop = shop(10).await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let input = json!({
        "title": "Gold throne",
        "price": { "amount": 50_000_000, "currency": "EUR" },
        "variants": [{ "sku": "THRONE", "initialStock": 5 }],
    });
    let product = crate::support::published_product(app, &vendor, input).await;
    let buyer = new_customer(app, "throne@example.com").await;
    let order = |quantity: i64, key: &str| {
        json!({ "i": {
            "lines": [{ "productId": product, "sku": "THRONE", "quantity": quantity }],
            "shippingAddress": { "recipient": "Amira Haddad", "line1": "1 Souk St", "city": "Tunis", "postalCode": "1000", "country": "TN" },
            "idempotencyKey": key,
        } })
    };
    const CHECKOUT: &str = "mutation($i: CheckoutInput!) { checkout(input: $i) { checkoutId payment { amount { amount } } } }";
    // 2 × 50,000,000: more than Stripe takes in one charge.
    let (_, refused) = app.gql(Some(&buyer), CHECKOUT, order(2, "throne-2")).await;
    assert_eq!(code(&refused), Some("INVALID_QUANTITY"), "{refused}");
    let (_, placed) = app.gql(Some(&buyer), CHECKOUT, order(1, "throne-1")).await;
    assert_eq!(
        placed["data"]["checkout"]["payment"]["amount"]["amount"], 50_000_000,
        "{placed}"
    );
    let reserved: i64 =
        sqlx::query_scalar("SELECT reserved FROM inventory.stock_items WHERE sku = 'THRONE'")
            .fetch_one(&app.db.owner)
            .await
            .expect("reserved");
    assert_eq!(reserved, 1, "the refused checkout held nothing");
}

async fn checkout_status(
    app: &crate::support::TestApp,
    buyer: &str,
    checkout: &serde_json::Value,
) -> serde_json::Value {
    const PAYMENT: &str = "query($c: ID!) { checkoutPayment(checkoutId: $c) { status } }";
    let (_, seen) = app
        .gql(Some(buyer), PAYMENT, json!({ "c": checkout }))
        .await;
    seen["data"]["checkoutPayment"]["status"].clone()
}

async fn cancel_as(app: &crate::support::TestApp, token: &str, order: &str) {
    let (_, body) = app
        .gql(
            Some(token),
            CHANGE,
            json!({ "id": order, "s": "CANCELLED" }),
        )
        .await;
    assert_eq!(
        body["data"]["changeOrderStatus"]["status"], "CANCELLED",
        "{body}"
    );
}

#[tokio::test]
async fn a_checkout_whose_every_order_was_cancelled_takes_no_payment() {
    let shop = shop(10).await;
    let app = &shop.app;
    let buyer = new_customer(app, "changed-mind@example.com").await;
    let body = buy(&shop, &buyer, &[1, 1], "changed-mind").await;
    let checkout = body["data"]["checkout"]["checkoutId"].clone();
    // One order left to pay for: the payment stays open.
    cancel_as(app, &buyer, &order_of(&shop, &body, 0)).await;
    assert_eq!(checkout_status(app, &buyer, &checkout).await, "OPEN");
    // None left: nobody pays for it, so it is cancelled and cannot be paid.
    cancel_as(app, &buyer, &order_of(&shop, &body, 1)).await;
    assert_eq!(checkout_status(app, &buyer, &checkout).await, "CANCELED");
    let (_, paid) = app
        .gql(Some(&buyer), PAY, json!({ "c": checkout, "ok": true }))
        .await;
    assert_eq!(code(&paid), Some("PAYMENT_CLOSED"), "{paid}");
    let charges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payments.ledger WHERE kind = 'charge'")
            .fetch_one(&app.db.owner)
            .await
            .expect("charges");
    assert_eq!(charges, 0, "no money moved");
    for v in 0..2 {
        let order = order_of(&shop, &body, v);
        assert_eq!(order_payment(app, &buyer, &order).await["status"], "VOIDED");
    }
}
