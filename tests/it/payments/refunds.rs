//! Refunds: partial and full, reversing the vendor's transfer and returning the
//! commission in proportion, to the cent; refused when they would take more
//! than is left, or come from the wrong person.

use serde_json::{json, Value};

use super::{
    buy, connect, entries, free_plan_fee, move_to, new_customer, order_of, order_payment, payouts,
    status_of,
};
use crate::orders::{pay, shop_with, stock, CHANGE, REFUND};
use crate::support::code;

#[tokio::test]
async fn partial_refunds_reverse_the_transfer_in_proportion_and_sum_exactly() {
    // 7 × 1500 = 10500: commission 870; refunds of 333, 1001 and the rest.
    let shop = shop_with(10, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "refund@example.com").await;
    let body = buy(&shop, &buyer, &[7, 0], "refunds").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    connect(app, &vendor).await;
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    let total = 10_500;
    let fee = free_plan_fee(total);
    assert_eq!(fee, 870);

    for (amount, left) in [(333, total - 333), (1_001, total - 1_334)] {
        let (_, body) = app
            .gql(
                Some(&vendor),
                REFUND,
                json!({ "o": order, "a": amount, "why": "damaged box" }),
            )
            .await;
        let refund = &body["data"]["refundOrder"];
        assert_eq!(refund["status"], "PAID", "{body}");
        assert_eq!(refund["refunded"]["amount"], total - left);
    }
    assert_eq!(
        status_of(app, &vendor, &order).await,
        "SHIPPED",
        "a partial refund keeps the order"
    );
    let (_, body) = app
        .gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": total, "why": "too much" }),
        )
        .await;
    assert_eq!(code(&body), Some("REFUND_TOO_LARGE"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["refundable"], total - 1_334);

    let (_, body) = app
        .gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "why": "returned", "r": true }),
        )
        .await;
    let refund = &body["data"]["refundOrder"];
    assert_eq!(refund["status"], "REFUNDED", "{body}");
    assert_eq!(
        refund["commission"]["amount"], 0,
        "the commission came back whole"
    );
    assert_eq!(
        refund["transferred"]["amount"], 0,
        "the transfer was reversed whole"
    );
    assert_eq!(status_of(app, &vendor, &order).await, "REFUNDED");
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["onHand"],
        10,
        "the goods came back"
    );

    let books = payouts(app, &vendor).await;
    let lines = entries(&books);
    let sum = |kind: &str| -> i64 {
        lines
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, a)| a)
            .sum()
    };
    assert_eq!(sum("CHARGE"), total);
    assert_eq!(sum("COMMISSION"), -fee);
    assert_eq!(
        sum("COMMISSION_REFUND"),
        fee,
        "returned in parts that sum exactly"
    );
    assert_eq!(sum("REFUND"), -total);
    assert_eq!(sum("TRANSFER"), total - fee);
    assert_eq!(
        sum("REVERSAL"),
        -(total - fee),
        "reversed in parts that sum exactly"
    );
    assert_eq!(
        books["balances"],
        json!([{ "currency": "EUR", "earned": 0, "pending": 0, "transferable": 0, "transferred": 0 }])
    );
    let customer_view = order_payment(app, &buyer, &order).await;
    assert_eq!(customer_view["refunded"]["amount"], total);
    assert_eq!(customer_view["refunds"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn refunds_are_refused_to_the_wrong_people_and_for_bad_input() {
    let shop = shop_with(10, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "bad-refund@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "bad-refund").await;
    let order = order_of(&shop, &body, 0);
    let (_, unpaid) = app
        .gql(Some(&vendor), REFUND, json!({ "o": order, "why": "early" }))
        .await;
    assert_eq!(code(&unpaid), Some("NOT_REFUNDABLE"), "{unpaid}");
    pay(app, &buyer, &body).await;
    let tenant = body["data"]["checkout"]["orders"][0]["vendorId"]
        .as_str()
        .and_then(|t| souk_tenants::TenantId::parse(t).ok())
        .expect("vendor id");
    let staff = app.token(souk_tenants::Role::Staff, Some(tenant));
    let cases = [
        (
            buyer.as_str(),
            json!({ "o": order, "why": "mine" }),
            "FORBIDDEN",
        ),
        (
            staff.as_str(),
            json!({ "o": order, "why": "staff" }),
            "FORBIDDEN",
        ),
        (
            shop.vendors[1].0.as_str(),
            json!({ "o": order, "why": "not mine" }),
            "NOT_FOUND",
        ),
        (
            vendor.as_str(),
            json!({ "o": order, "why": "  " }),
            "INVALID_ARGUMENT",
        ),
        (
            vendor.as_str(),
            json!({ "o": order, "why": "a\u{0}b" }),
            "INVALID_ARGUMENT",
        ),
        (
            vendor.as_str(),
            json!({ "o": order, "a": 0, "why": "zero" }),
            "INVALID_ARGUMENT",
        ),
        (
            vendor.as_str(),
            json!({ "o": order, "a": -5, "why": "negative" }),
            "INVALID_ARGUMENT",
        ),
        (
            vendor.as_str(),
            json!({ "o": order, "a": i64::MAX, "why": "absurd" }),
            "REFUND_TOO_LARGE",
        ),
        (
            vendor.as_str(),
            json!({ "o": "not-an-id", "why": "id" }),
            "INVALID_ID",
        ),
    ];
    for (token, vars, expected) in cases {
        let (_, body) = app.gql(Some(token), REFUND, vars.clone()).await;
        assert_eq!(code(&body), Some(expected), "{vars}: {body}");
    }
    let money = order_payment(app, &vendor, &order).await;
    assert_eq!(money["refunded"]["amount"], 0, "nothing moved: {money}");
}

#[tokio::test]
async fn concurrent_refunds_never_take_more_than_was_paid() {
    let shop = shop_with(10, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "race-refund@example.com").await;
    let body = buy(&shop, &buyer, &[1, 0], "race-refund").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    let answers = futures::future::join_all((0..10).map(|i| {
        app.gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": 400, "why": format!("race {i}") }),
        )
    }))
    .await;
    let done = answers
        .iter()
        .filter(|(_, b)| b["errors"].is_null())
        .count();
    assert_eq!(done, 3, "three refunds of 400 fit in 1500: {answers:?}");
    for (_, body) in answers.iter().filter(|(_, b)| !b["errors"].is_null()) {
        assert!(
            matches!(code(body), Some("REFUND_TOO_LARGE" | "NOT_REFUNDABLE")),
            "{body}"
        );
    }
    let money = order_payment(app, &vendor, &order).await;
    assert_eq!(money["refunded"]["amount"], 1_200, "{money}");
}

#[tokio::test]
async fn concurrent_partial_refunds_after_the_transfer_reverse_it_once() {
    // 9900 paid, 822 commission, 9078 transferred; eight refunds of 50 at once.
    let shop = shop_with(20, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[1].0.clone();
    let buyer = new_customer(app, "reverse-race@example.com").await;
    let body = buy(&shop, &buyer, &[0, 11], "reverse-race").await;
    let order = order_of(&shop, &body, 1);
    pay(app, &buyer, &body).await;
    connect(app, &vendor).await;
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    let total = 11 * 900;
    let fee = free_plan_fee(total);
    let answers = futures::future::join_all((0..8).map(|i| {
        app.gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": 50, "why": format!("race {i}") }),
        )
    }))
    .await;
    for (_, body) in &answers {
        assert!(body["errors"].is_null(), "{body}");
    }
    let money = order_payment(app, &vendor, &order).await;
    assert_eq!(money["refunded"]["amount"], 400, "{money}");
    // What the vendor still holds is exactly what it keeps after the refunds.
    let keeps = (total - 400) - (fee - fee * 400 / total);
    assert_eq!(money["transferred"]["amount"], keeps, "{money}");
    let books = payouts(app, &vendor).await;
    assert_eq!(books["balances"][0]["transferable"], 0, "{books}");
    assert_eq!(
        books["balances"][0]["earned"],
        books["balances"][0]["transferred"]
    );
}

#[tokio::test]
async fn the_payments_ledger_is_append_only_isolated_and_reconciles_with_every_order() {
    use sqlx::Connection;

    let shop = shop_with(10, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "books@example.com").await;
    let body = buy(&shop, &buyer, &[3, 2], "books").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    connect(app, &vendor).await;
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    app.gql(
        Some(&vendor),
        REFUND,
        json!({ "o": order, "a": 777, "why": "dent" }),
    )
    .await;

    // Every share's fields are exactly the sums of its ledger entries.
    type Books = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Books> = sqlx::query_as(
        "SELECT p.order_id, p.amount, p.commission, p.refunded, p.commission_returned,
                p.transferred, p.reversed,
                coalesce(sum(l.amount) FILTER (WHERE l.kind = 'charge'), 0)::bigint,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('commission', 'commission_refund')), 0)::bigint,
                coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('transfer', 'reversal')), 0)::bigint
         FROM payments.order_payments p LEFT JOIN payments.ledger l USING (order_id)
         GROUP BY p.order_id",
    )
    .fetch_all(&app.db.owner)
    .await
    .expect("books");
    assert_eq!(rows.len(), 2);
    for (
        id,
        amount,
        commission,
        refunded,
        returned,
        transferred,
        reversed,
        charges,
        net_fee,
        moved,
    ) in rows
    {
        assert_eq!(charges, amount, "{id}");
        assert_eq!(net_fee, -(commission - returned), "{id}");
        assert_eq!(moved, transferred - reversed, "{id}");
        let refunds: i64 = sqlx::query_scalar(
            "SELECT coalesce(-sum(amount), 0)::bigint FROM payments.ledger WHERE order_id = $1 AND kind = 'refund'",
        )
        .bind(&id)
        .fetch_one(&app.db.owner)
        .await
        .expect("refunds");
        assert_eq!(refunds, refunded, "{id}");
    }

    // The app role appends and never rewrites; another tenant sees nothing.
    let tenant = body["data"]["checkout"]["orders"][0]["vendorId"].clone();
    let mut conn = sqlx::PgConnection::connect(&app.db.app_url)
        .await
        .expect("app role");
    for (scope, statement) in [
        (
            tenant.as_str().unwrap_or_default().to_string(),
            "UPDATE payments.ledger SET amount = 0",
        ),
        (
            tenant.as_str().unwrap_or_default().to_string(),
            "DELETE FROM payments.ledger",
        ),
    ] {
        sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
            .bind(&scope)
            .execute(&mut conn)
            .await
            .expect("scope");
        let refused = sqlx::query(statement).execute(&mut conn).await;
        let code = match refused {
            Err(sqlx::Error::Database(err)) => err.code().map(|c| c.to_string()),
            other => panic!("{statement} was not refused: {other:?}"),
        };
        assert_eq!(code.as_deref(), Some("42501"), "{statement}");
    }
    let stranger = app.create_tenant().await.to_string();
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(&stranger)
        .execute(&mut conn)
        .await
        .expect("scope");
    for table in [
        "payments.ledger",
        "payments.order_payments",
        "payments.refunds",
        "payments.accounts",
    ] {
        let seen: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .expect("count");
        assert_eq!(seen, 0, "{table} shows another vendor's rows");
    }
}

#[tokio::test]
async fn a_full_refund_racing_the_shipment_leaves_the_order_refunded() {
    let shop = shop_with(20, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "refund-ship@example.com").await;
    for round in 0..12 {
        let body = buy(&shop, &buyer, &[1, 0], &format!("refund-ship-{round}")).await;
        let order = order_of(&shop, &body, 0);
        pay(app, &buyer, &body).await;
        move_to(app, &vendor, &order, &["PROCESSING"]).await;
        let ship = app.gql(
            Some(&vendor),
            CHANGE,
            json!({ "id": order, "s": "SHIPPED" }),
        );
        let refund = app.gql(
            Some(&vendor),
            REFUND,
            json!({ "o": order, "a": null, "why": "race", "r": round % 2 == 0 }),
        );
        let ((_, shipped), (_, refunded)) = tokio::join!(ship, refund);
        for answer in [&shipped, &refunded] {
            assert!(
                answer["errors"].is_null() || code(answer).is_some_and(|c| c != "INTERNAL"),
                "round {round}: {answer}"
            );
        }
        if refunded["errors"].is_null() {
            assert_eq!(
                status_of(app, &vendor, &order).await,
                "REFUNDED",
                "round {round}: all the money went back, so the order is refunded; shipped: {shipped}"
            );
        } else {
            // Still racing; or returned goods asked of an order not shipped yet.
            let unshipped = round % 2 == 0
                && code(&refunded) == Some("INVALID_ARGUMENT")
                && refunded["errors"][0]["extensions"]["argument"] == "goodsReturned";
            assert!(
                unshipped || code(&refunded) == Some("CONFLICT"),
                "round {round}: {refunded}"
            );
        }
    }
}

#[tokio::test]
async fn a_refund_retried_under_its_key_refunds_once() {
    let shop = shop_with(20, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "refund-key@example.com").await;
    let body = buy(&shop, &buyer, &[2, 0], "refund-key").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    const KEYED: &str = "mutation($o: ID!, $a: Int, $why: String!, $k: String) {
        refundOrder(orderId: $o, amount: $a, reason: $why, idempotencyKey: $k) {
            refunded { amount } refunds { amount { amount } done } } }";
    let ask = |amount: Value, key: &'static str| {
        let order = order.clone();
        let vendor = vendor.clone();
        async move {
            app.gql(
                Some(&vendor),
                KEYED,
                json!({ "o": order, "a": amount, "why": "late", "k": key }),
            )
            .await
            .1
        }
    };
    // A client that timed out retries, several times at once.
    let answers = futures::future::join_all((0..6).map(|_| ask(json!(700), "rf-1"))).await;
    for answer in &answers {
        assert_eq!(
            answer["data"]["refundOrder"]["refunded"]["amount"], 700,
            "{answer}"
        );
    }
    let again = ask(json!(700), "rf-1").await;
    assert_eq!(
        again["data"]["refundOrder"]["refunds"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{again}"
    );
    // The key names that refund: another amount under it is refused.
    let other = ask(json!(300), "rf-1").await;
    assert_eq!(code(&other), Some("IDEMPOTENCY_CONFLICT"), "{other}");
    let blank = ask(json!(300), " ").await;
    assert_eq!(code(&blank), Some("INVALID_ARGUMENT"), "{blank}");
    // Another key is another refund; the rest of the order under a third one.
    let second = ask(json!(300), "rf-2").await;
    assert_eq!(
        second["data"]["refundOrder"]["refunded"]["amount"], 1000,
        "{second}"
    );
    let rest = ask(Value::Null, "rf-3").await;
    let again = ask(Value::Null, "rf-3").await;
    assert_eq!(
        rest["data"]["refundOrder"]["refunded"]["amount"], 3000,
        "{rest}"
    );
    assert_eq!(
        again["data"]["refundOrder"]["refunded"]["amount"], 3000,
        "{again}"
    );
    assert_eq!(
        again["data"]["refundOrder"]["refunds"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(status_of(app, &vendor, &order).await, "REFUNDED");
}

#[tokio::test]
async fn returned_goods_come_back_only_with_the_whole_refund_of_a_shipped_order() {
    let shop = shop_with(20, "").await;
    let app = &shop.app;
    let vendor = shop.vendors[0].0.clone();
    let buyer = new_customer(app, "returned@example.com").await;
    let body = buy(&shop, &buyer, &[2, 0], "returned").await;
    let order = order_of(&shop, &body, 0);
    pay(app, &buyer, &body).await;
    let refund = |amount: Value| {
        let (order, vendor) = (order.clone(), vendor.clone());
        async move {
            app.gql(
                Some(&vendor),
                REFUND,
                json!({ "o": order, "a": amount, "why": "back", "r": true }),
            )
            .await
            .1
        }
    };
    let before_shipping = refund(Value::Null).await;
    assert_eq!(
        code(&before_shipping),
        Some("INVALID_ARGUMENT"),
        "{before_shipping}"
    );
    move_to(app, &vendor, &order, &["PROCESSING", "SHIPPED"]).await;
    let part = refund(json!(1500)).await;
    assert_eq!(code(&part), Some("INVALID_ARGUMENT"), "{part}");
    assert_eq!(part["errors"][0]["extensions"]["argument"], "goodsReturned");
    assert_eq!(
        order_payment(app, &vendor, &order).await["refunded"]["amount"],
        0,
        "nothing refunded"
    );
    // All that is left, with the goods; asked again under its key after the
    // order became refunded, it answers the same refund.
    const KEYED: &str = "mutation($o: ID!, $k: String) {
        refundOrder(orderId: $o, reason: \"back\", goodsReturned: true, idempotencyKey: $k) {
            refunded { amount } refunds { done } } }";
    for _ in 0..2 {
        let (_, whole) = app
            .gql(Some(&vendor), KEYED, json!({ "o": order, "k": "back-1" }))
            .await;
        assert_eq!(
            whole["data"]["refundOrder"]["refunded"]["amount"], 3000,
            "{whole}"
        );
        assert_eq!(
            whole["data"]["refundOrder"]["refunds"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }
    let on_hand: i64 =
        sqlx::query_scalar("SELECT on_hand FROM inventory.stock_items WHERE sku = 'SKU-A'")
            .fetch_one(&app.db.owner)
            .await
            .expect("on hand");
    assert_eq!(on_hand, 20, "both units restocked");
}
