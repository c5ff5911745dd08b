//! Checkout across vendors, the saga and its repair, and the order state machine.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use souk_tenants::Role;

use crate::identity::{login, register};
use crate::support::{code, TestApp};

pub(crate) const CHECKOUT: &str = "mutation($i: CheckoutInput!) { checkout(input: $i) {
    checkoutId orders { id vendorId status stockReserved total { amount currency } lines { sku quantity } } } }";
pub(crate) const CHANGE: &str = "mutation($id: ID!, $s: OrderStatus!, $r: Boolean) {
    changeOrderStatus(id: $id, status: $s, goodsReturned: $r) { status stockReserved allowedTransitions history { from to by } } }";

pub(crate) const PAY: &str = "mutation($c: ID!, $ok: Boolean) {
    payTestCheckout(checkoutId: $c, succeed: $ok) { status provider failure } }";
pub(crate) const REFUND: &str = "mutation($o: ID!, $a: Int, $why: String!, $r: Boolean) {
    refundOrder(orderId: $o, amount: $a, reason: $why, goodsReturned: $r) {
        status paid { amount } refunded { amount } commission { amount } transferred { amount }
        refunds { amount { amount } automatic done } } }";

/// Pays the checkout of `checkout_body` (a `checkout` answer) with the test
/// provider, as its customer; the payment's answer.
pub(crate) async fn pay(app: &TestApp, buyer: &str, checkout_body: &Value) -> Value {
    let checkout = checkout_body["data"]["checkout"]["checkoutId"]
        .as_str()
        .unwrap_or_else(|| panic!("no checkout: {checkout_body}"));
    app.gql(Some(buyer), PAY, json!({ "c": checkout, "ok": true }))
        .await
        .1
}

pub(crate) struct Shop {
    pub(crate) app: TestApp,
    pub(crate) vendors: Vec<(String, String)>,
}

/// Two vendors, each with one published product (`SKU-A`, `SKU-B`) and `stock` units.
pub(crate) async fn shop(stock: i64) -> Shop {
    shop_with(stock, "").await
}

/// [`shop`] with extra settings (TOML lines).
pub(crate) async fn shop_with(stock: i64, extra: &str) -> Shop {
    let app = TestApp::spawn_with(&format!(
        "order_repair_interval_secs = 3600\nlogins_per_minute_per_ip = 100000\nlogins_per_minute_per_account = 100000\n{extra}",
    ))
    .await;
    let mut vendors = Vec::new();
    for (sku, price) in [("SKU-A", 1500), ("SKU-B", 900)] {
        let token = app.new_vendor().await;
        let (_, body) = app
            .gql(
                Some(&token),
                "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
                json!({ "i": { "title": sku, "price": { "amount": price, "currency": "EUR" }, "variants": [{ "sku": sku, "initialStock": stock }] } }),
            )
            .await;
        let id = body["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        app.gql(
            Some(&token),
            "mutation($id: ID!) { publishProduct(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        vendors.push((token, id));
    }
    Shop { app, vendors }
}

pub(crate) fn cart(shop: &Shop, quantities: &[i64], key: &str) -> Value {
    let lines: Vec<Value> = shop
        .vendors
        .iter()
        .zip(["SKU-A", "SKU-B"])
        .zip(quantities)
        .filter(|(_, q)| **q != 0)
        .map(|(((_, product), sku), quantity)| json!({ "productId": product, "sku": sku, "quantity": quantity }))
        .collect();
    json!({ "i": {
        "lines": lines,
        "shippingAddress": { "recipient": "Amira Haddad", "line1": "1 Souk St", "city": "Tunis", "postalCode": "1000", "country": "TN" },
        "idempotencyKey": key,
    } })
}

pub(crate) async fn customer(app: &TestApp, email: &str) -> String {
    register(app, email).await;
    login(app, email).await.0
}

pub(crate) async fn stock(shop: &Shop, vendor: usize, sku: &str) -> Value {
    let (_, body) = shop
        .app
        .gql(
            Some(&shop.vendors[vendor].0),
            "query($s: String!) { stockItem(sku: $s) { onHand reserved available } }",
            json!({ "s": sku }),
        )
        .await;
    body["data"]["stockItem"].clone()
}

#[tokio::test]
async fn a_cart_across_two_vendors_becomes_two_reserved_orders() {
    let shop = shop(10).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let (_, body) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[2, 3], "k-1"))
        .await;
    let orders = body["data"]["checkout"]["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert_eq!(orders.len(), 2);
    assert!(orders
        .iter()
        .all(|o| o["status"] == "PENDING" && o["stockReserved"] == true));
    let totals: Vec<i64> = orders
        .iter()
        .map(|o| o["total"]["amount"].as_i64().expect("total"))
        .collect();
    assert_eq!(
        totals.iter().sum::<i64>(),
        2 * 1500 + 3 * 900,
        "prices come from the catalog"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 10, "reserved": 2, "available": 8 })
    );
    assert_eq!(
        stock(&shop, 1, "SKU-B").await,
        json!({ "onHand": 10, "reserved": 3, "available": 7 })
    );

    let (_, again) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[2, 3], "k-1"))
        .await;
    assert_eq!(
        again["data"]["checkout"]["checkoutId"], body["data"]["checkout"]["checkoutId"],
        "same key, same result"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        2,
        "the retry reserved nothing more"
    );
    let (_, other) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 0], "k-1"))
        .await;
    assert_eq!(code(&other), Some("IDEMPOTENCY_CONFLICT"));

    let (_, mine) = shop
        .app
        .gql(
            Some(&buyer),
            "{ myOrders { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myOrders"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    let (_, vendor_a) = shop
        .app
        .gql(
            Some(&shop.vendors[0].0),
            "{ orders { edges { node { lines { sku } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        vendor_a["data"]["orders"]["edges"],
        json!([{ "node": { "lines": [{ "sku": "SKU-A" }] } }]),
        "each vendor sees its own order only"
    );
    let other_customer = customer(&shop.app, "other@example.com").await;
    let id = orders[0]["id"].as_str().expect("id");
    let (_, body) = shop
        .app
        .gql(
            Some(&other_customer),
            "query($id: ID!) { order(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(
        body["data"]["order"].is_null(),
        "another customer cannot read it"
    );
}

#[tokio::test]
async fn a_short_vendor_fails_the_whole_checkout_and_nothing_stays_reserved() {
    let shop = shop(3).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let (_, body) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[2, 5], "short"))
        .await;
    assert_eq!(code(&body), Some("INSUFFICIENT_STOCK"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["shortages"],
        json!([{ "sku": "SKU-B", "requested": 5, "available": 3 }])
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        0,
        "vendor A's reservation was released"
    );
    assert_eq!(stock(&shop, 1, "SKU-B").await["reserved"], 0);
    let (_, mine) = shop
        .app
        .gql(
            Some(&buyer),
            "{ myOrders { edges { node { status } } } }",
            json!({}),
        )
        .await;
    let statuses: Vec<&str> = mine["data"]["myOrders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["status"].as_str().expect("status"))
        .collect();
    assert!(statuses.iter().all(|s| *s == "CANCELLED"), "{statuses:?}");
}

#[tokio::test]
async fn a_hundred_customers_buy_the_last_ten_units_and_exactly_ten_are_sold() {
    let shop = Arc::new(shop(5).await);
    // Customers signed in elsewhere: tokens for 100 distinct accounts.
    let buyers: Vec<String> = (0..100)
        .map(|_| {
            shop.app
                .issuer
                .issue(
                    &uuid::Uuid::new_v4().to_string(),
                    None,
                    Role::Customer,
                    Duration::from_secs(600),
                )
                .expect("token")
        })
        .collect();
    let attempts: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let shop = shop.clone();
            tokio::spawn(async move {
                let quantities = if i % 2 == 0 { [1, 0] } else { [0, 1] };
                let (_, body) = shop
                    .app
                    .gql(
                        Some(&token),
                        CHECKOUT,
                        cart(&shop, &quantities, &format!("k{i}")),
                    )
                    .await;
                body
            })
        })
        .collect();
    let mut sold = 0;
    for attempt in attempts {
        let body = attempt.await.expect("task");
        match code(&body) {
            None => sold += 1,
            Some("INSUFFICIENT_STOCK") => {}
            Some(other) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(sold, 10, "exactly the ten units");
    for (vendor, sku) in [(0, "SKU-A"), (1, "SKU-B")] {
        assert_eq!(
            stock(&shop, vendor, sku).await,
            json!({ "onHand": 5, "reserved": 5, "available": 0 })
        );
    }
}

#[tokio::test]
async fn the_state_machine_moves_stock_and_refuses_what_it_must() {
    let shop = shop(10).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let vendor = &shop.vendors[0].0;
    let (_, body) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[4, 0], "sm"))
        .await;
    let placed = body.clone();
    let id = body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let change = |token: &str, status: &str| {
        let token = token.to_string();
        let id = id.clone();
        let status = status.to_string();
        let app = &shop.app;
        async move {
            app.gql(Some(&token), CHANGE, json!({ "id": id, "s": status }))
                .await
                .1
        }
    };
    let body = change(&buyer, "PAID").await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "customers only cancel");
    let body = change(vendor, "SHIPPED").await;
    assert_eq!(code(&body), Some("INVALID_TRANSITION"));
    assert_eq!(
        body["errors"][0]["extensions"]["allowed"],
        json!(["CANCELLED", "EXPIRED"]),
        "a card order's payment, not a person, makes it paid"
    );
    assert_eq!(
        code(&change(vendor, "PAID").await),
        Some("PAYMENT_MANAGED"),
        "a card order is paid by its payment, not by hand"
    );
    let paid = pay(&shop.app, &buyer, &placed).await;
    assert_eq!(
        paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
        "{paid}"
    );
    assert_eq!(
        change(vendor, "PROCESSING").await["data"]["changeOrderStatus"]["status"],
        "PROCESSING"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 10, "reserved": 4, "available": 6 })
    );
    assert_eq!(
        code(&change(&buyer, "CANCELLED").await),
        Some("INVALID_TRANSITION"),
        "a customer cannot cancel once the vendor is at work, and is told so"
    );
    let body = change(vendor, "SHIPPED").await;
    assert_eq!(body["data"]["changeOrderStatus"]["stockReserved"], false);
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 6, "reserved": 0, "available": 6 }),
        "shipping commits the stock"
    );
    change(vendor, "DELIVERED").await;
    assert_eq!(
        code(&change(vendor, "REFUNDED").await),
        Some("PAYMENT_MANAGED"),
        "a card order's money goes back through refundOrder"
    );
    let (_, refunded) = shop
        .app
        .gql(
            Some(vendor),
            REFUND,
            json!({ "o": id, "why": "returned", "r": true }),
        )
        .await;
    assert_eq!(
        refunded["data"]["refundOrder"]["status"], "REFUNDED",
        "{refunded}"
    );
    let (_, body) = shop
        .app
        .gql(
            Some(vendor),
            "query($id: ID!) { order(id: $id) { history { to } } }",
            json!({ "id": id }),
        )
        .await;
    let history: Vec<&str> = body["data"]["order"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["to"].as_str().expect("to"))
        .collect();
    assert_eq!(
        history,
        [
            "PENDING",
            "PAID",
            "PROCESSING",
            "SHIPPED",
            "DELIVERED",
            "REFUNDED"
        ]
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["onHand"],
        10,
        "the returned goods are back on hand"
    );
    assert_eq!(
        code(&change(vendor, "PAID").await),
        Some("INVALID_TRANSITION"),
        "refunded is final"
    );

    let (_, body) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[3, 0], "sm-2"))
        .await;
    let second = body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = shop
        .app
        .gql(
            Some(&buyer),
            CHANGE,
            json!({ "id": second, "s": "CANCELLED" }),
        )
        .await;
    assert_eq!(
        body["data"]["changeOrderStatus"]["status"], "CANCELLED",
        "a customer cancels their own pending order"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        0,
        "cancelling released the stock"
    );
    let (_, body) = shop
        .app
        .gql(
            Some(&shop.vendors[1].0),
            CHANGE,
            json!({ "id": second, "s": "PAID" }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("NOT_FOUND"),
        "another vendor's order does not exist for them"
    );
}

#[tokio::test]
async fn of_two_concurrent_transitions_exactly_one_wins() {
    let shop = shop(10).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let (_, body) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 0], "race"))
        .await;
    let id = body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let vendor = &shop.vendors[0].0;
    pay(&shop.app, &buyer, &body).await;
    let attempts = futures::future::join_all((0..8).map(|_| {
        shop.app
            .gql(Some(vendor), CHANGE, json!({ "id": id, "s": "PROCESSING" }))
    }))
    .await;
    let won = attempts
        .iter()
        .filter(|(_, body)| body["errors"].is_null())
        .count();
    assert_eq!(won, 1, "{attempts:?}");
    for (_, body) in attempts
        .iter()
        .filter(|(_, body)| !body["errors"].is_null())
    {
        assert!(
            matches!(code(body), Some("CONFLICT" | "INVALID_TRANSITION")),
            "{body}"
        );
    }
    let (_, body) = shop
        .app
        .gql(
            Some(vendor),
            "query($id: ID!) { order(id: $id) { history { to } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["order"]["history"],
        json!([{ "to": "PENDING" }, { "to": "PAID" }, { "to": "PROCESSING" }]),
        "one change recorded"
    );
}

#[tokio::test]
async fn bad_checkouts_get_typed_errors_and_reserve_nothing() {
    let shop = shop(10).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let product = shop.vendors[0].1.clone();
    let keys = std::sync::atomic::AtomicUsize::new(0);
    let with_lines = |lines: Value| {
        let key = format!(
            "bad-{}",
            keys.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut input = cart(&shop, &[1, 0], &key);
        input["i"]["lines"] = lines;
        input
    };
    let many: Vec<Value> = (0..1_000)
        .map(|i| json!({ "productId": product, "sku": format!("S{i}"), "quantity": 1 }))
        .collect();
    let mut no_address = cart(&shop, &[1, 0], "bad");
    no_address["i"]
        .as_object_mut()
        .expect("object")
        .remove("shippingAddress");
    let cases = [
        (
            "zero quantity",
            with_lines(json!([{ "productId": product, "sku": "SKU-A", "quantity": 0 }])),
            "INVALID_QUANTITY",
        ),
        (
            "negative quantity",
            with_lines(json!([{ "productId": product, "sku": "SKU-A", "quantity": -2 }])),
            "INVALID_QUANTITY",
        ),
        (
            "unknown product",
            with_lines(
                json!([{ "productId": "64b7f0c2a1b2c3d4e5f60718", "sku": "SKU-A", "quantity": 1 }]),
            ),
            "UNKNOWN_PRODUCT",
        ),
        (
            "unknown variant",
            with_lines(json!([{ "productId": product, "sku": "NOPE", "quantity": 1 }])),
            "UNKNOWN_PRODUCT",
        ),
        (
            "malformed product id",
            with_lines(json!([{ "productId": "x", "sku": "SKU-A", "quantity": 1 }])),
            "INVALID_ID",
        ),
        ("1,000 lines", with_lines(json!(many)), "INVALID_ARGUMENT"),
        (
            "duplicate lines",
            with_lines(
                json!([{ "productId": product, "sku": "SKU-A", "quantity": 1 }, { "productId": product, "sku": "SKU-A", "quantity": 2 }]),
            ),
            "INVALID_ARGUMENT",
        ),
        ("missing address", no_address, "INVALID_ARGUMENT"),
    ];
    for (case, input, expected) in cases {
        let (_, body) = shop.app.gql(Some(&buyer), CHECKOUT, input).await;
        assert_eq!(code(&body), Some(expected), "{case}: {body}");
    }
    assert_eq!(stock(&shop, 0, "SKU-A").await["reserved"], 0);
    let vendor = shop.app.token(Role::Owner, None);
    let (_, body) = shop
        .app
        .gql(Some(&vendor), CHECKOUT, cart(&shop, &[1, 0], "v"))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"));
}

/// The saga's repair, after a crash between each pair of steps.
#[tokio::test]
async fn the_reconciler_repairs_a_saga_stopped_between_any_two_steps() {
    use mongodb::bson::doc;
    let shop = shop(10).await;
    let buyer = customer(&shop.app, "buyer@example.com").await;
    let db = souk_gateway::app::mongo_database(&shop.app.mongo.url)
        .await
        .expect("mongo");
    let orders_collection = db.collection::<mongodb::bson::Document>("orders");
    let inventory: Arc<dyn souk_inventory::Inventory> = Arc::new(souk_inventory::PgInventory::new(
        shop.app.db.app.clone(),
        shop.app.platform(),
    ));
    let tenancy: Arc<dyn souk_vendors::service::Tenancy> = Arc::new(
        souk_vendors::service::PgTenancy::new(shop.app.db.app.clone(), shop.app.platform(), false),
    );
    let catalog: Arc<dyn souk_catalog::Catalog> = Arc::new(souk_catalog::MongoCatalog::new(
        db.clone(),
        inventory.clone(),
        tenancy,
        souk_catalog::listings::PgListings::new(shop.app.db.app.clone(), shop.app.platform()),
    ));
    let ttl = souk_inventory::domain::Ttl::parse_seconds(900).expect("ttl");
    let repairer = souk_orders::MongoOrders::new(db.clone(), catalog, inventory, ttl);
    let place = async |key: &str| -> String {
        let (_, body) = shop
            .app
            .gql(Some(&buyer), CHECKOUT, cart(&shop, &[2, 0], key))
            .await;
        body["data"]["checkout"]["orders"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string()
    };
    let oid = |id: &str| mongodb::bson::oid::ObjectId::parse_str(id).expect("oid");
    let old =
        mongodb::bson::DateTime::from_millis(chrono::Utc::now().timestamp_millis() - 3_600_000);

    // 1. Crash after the order was written, before stock was reserved.
    let one = place("crash-1").await;
    // Its customer cancels it (releasing its hold: a checkout order's hold is
    // settled only through the order).
    let (_, cancelled) = shop
        .app
        .gql(Some(&buyer), CHANGE, json!({ "id": one, "s": "CANCELLED" }))
        .await;
    assert_eq!(
        cancelled["data"]["changeOrderStatus"]["status"], "CANCELLED",
        "{cancelled}"
    );
    // (a released reservation cannot come back, so simulate "never reserved" with a fresh order id)
    let mut copy = orders_collection
        .find_one(doc! { "_id": oid(&one) })
        .await
        .expect("find")
        .expect("order");
    let fresh = mongodb::bson::oid::ObjectId::new();
    copy.insert("_id", fresh);
    copy.insert("status", "pending");
    copy.insert("reserved", false);
    copy.insert("created_at", old);
    orders_collection
        .insert_one(copy)
        .await
        .expect("insert stalled order");
    orders_collection
        .update_one(
            doc! { "_id": oid(&one) },
            doc! { "$set": { "status": "cancelled", "reserved": false } },
        )
        .await
        .expect("close");
    assert_eq!(stock(&shop, 0, "SKU-A").await["reserved"], 0);

    // 2. Crash after a cancel was written, before its stock was released.
    let two = place("crash-2").await;
    orders_collection
        .update_one(
            doc! { "_id": oid(&two) },
            doc! { "$set": { "status": "cancelled" } },
        )
        .await
        .expect("cancel");

    // 3. Crash after a shipment was written, before its stock was committed.
    let three = place("crash-3").await;
    orders_collection
        .update_one(
            doc! { "_id": oid(&three) },
            doc! { "$set": { "status": "shipped" } },
        )
        .await
        .expect("ship");

    // 4. Crash after stock was reserved, before the order was marked reserved.
    let four = place("crash-4").await;
    orders_collection
        .update_one(
            doc! { "_id": oid(&four) },
            doc! { "$set": { "reserved": false, "created_at": old } },
        )
        .await
        .expect("unmark");

    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 10, "reserved": 6, "available": 4 })
    );
    let repairs = souk_orders::reconciler::repair(&repairer, Duration::from_secs(60))
        .await
        .expect("repair");
    assert_eq!(
        (repairs.reserved, repairs.released, repairs.committed),
        (2, 1, 1),
        "{repairs:?}"
    );
    // The stalled order (1) now holds 2 and the unmarked one (4) still holds its 2,
    // not 4: reserving is idempotent by order id. The cancelled one (2) holds
    // nothing and the shipped one (3) left.
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 8, "reserved": 4, "available": 4 })
    );
    let marked = orders_collection
        .count_documents(doc! { "_id": { "$in": [fresh, oid(&four)] }, "reserved": true })
        .await
        .expect("count");
    assert_eq!(marked, 2);
    let again = souk_orders::reconciler::repair(&repairer, Duration::from_secs(60))
        .await
        .expect("repair");
    assert_eq!(
        again,
        souk_orders::reconciler::Repairs::default(),
        "a second sweep finds nothing to do"
    );
    assert_eq!(
        stock(&shop, 0, "SKU-A").await,
        json!({ "onHand": 8, "reserved": 4, "available": 4 })
    );
}

#[tokio::test]
async fn a_checkout_that_stopped_half_way_is_settled_by_a_later_retry_of_its_key() {
    use mongodb::bson::{doc, Document};

    let shop = shop(10).await;
    let buyer = customer(&shop.app, "stale@example.com").await;
    let db = souk_gateway::app::mongo_database(&shop.app.mongo.url)
        .await
        .expect("mongo");
    let claims = db.collection::<Document>("checkouts");
    let ids = |body: &Value| -> Vec<String> {
        let mut ids: Vec<String> = body["data"]["checkout"]["orders"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|o| o["id"].as_str().expect("id").to_string())
            .collect();
        ids.sort();
        ids
    };
    let (_, first) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 1], "k-stale"))
        .await;
    let placed = ids(&first);
    assert_eq!(placed.len(), 2, "{first}");

    // The process died after its orders were reserved, before the claim completed.
    let stopped = |minutes_ago: i64, checkout_id: Option<&str>| {
        let mut set = doc! {
            "status": "started",
            "created_at": mongodb::bson::DateTime::from_millis(
                (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).timestamp_millis(),
            ),
        };
        if let Some(id) = checkout_id {
            set.insert("checkout_id", id);
        }
        doc! { "$set": set, "$unset": { "orders": "" } }
    };
    let claim = doc! { "_id": { "$regex": ":k-stale$" } };
    claims
        .update_one(claim.clone(), stopped(1, None))
        .await
        .expect("stop");
    let (_, recent) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 1], "k-stale"))
        .await;
    assert_eq!(
        code(&recent),
        Some("CHECKOUT_IN_PROGRESS"),
        "a minute old: may still be running"
    );

    claims
        .update_one(claim.clone(), stopped(10, None))
        .await
        .expect("stop");
    let (_, settled) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 1], "k-stale"))
        .await;
    assert_eq!(
        ids(&settled),
        placed,
        "the retry answers the orders the first attempt placed"
    );
    let record = claims
        .find_one(claim.clone())
        .await
        .expect("find")
        .expect("claim");
    assert_eq!(record.get_str("status").ok(), Some("completed"));
    assert_eq!(
        stock(&shop, 0, "SKU-A").await["reserved"],
        1,
        "nothing reserved twice"
    );

    // Nothing of an attempt was written before it died: the key is free again.
    claims
        .update_one(claim.clone(), stopped(10, Some("never-written")))
        .await
        .expect("stop");
    let (_, again) = shop
        .app
        .gql(Some(&buyer), CHECKOUT, cart(&shop, &[1, 1], "k-stale"))
        .await;
    let fresh = ids(&again);
    assert_eq!(fresh.len(), 2, "{again}");
    assert!(
        fresh.iter().all(|id| !placed.contains(id)),
        "a new checkout"
    );
}
