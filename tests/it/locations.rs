//! Stock locations through the public API: a split line shipped from one
//! warehouse, transfers raced by many clients, another vendor's ids, hostile input.

use serde_json::{json, Value};
use souk_tenants::Role;

use crate::support::{code, stock, TestApp};

const CREATE: &str = "mutation($input: StockLocationInput!) {
    createStockLocation(input: $input) { id code name shipsToCustomers isDefault priority }
}";
const TRANSFER: &str = "mutation($sku: String!, $from: ID!, $to: ID!, $n: Int!) {
    transferStock(sku: $sku, from: $from, to: $to, quantity: $n, reason: \"rebalance\") {
        from { onHand available } to { onHand available }
    }
}";
const LEVELS: &str = "query($sku: String!) {
    stockLevels(sku: $sku) { location { code } onHand reserved available }
}";

async fn create(app: &TestApp, token: &str, code: &str) -> Value {
    let (_, body) = app
        .gql(
            Some(token),
            CREATE,
            json!({ "input": { "code": code, "name": format!("Warehouse {code}") } }),
        )
        .await;
    body
}

async fn location(app: &TestApp, token: &str, code: &str) -> String {
    let body = create(app, token, code).await;
    body["data"]["createStockLocation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {body}"))
        .to_string()
}

async fn default_location(app: &TestApp, token: &str) -> String {
    let (_, body) = app
        .gql(
            Some(token),
            "{ stockLocations { id isDefault } }",
            json!({}),
        )
        .await;
    body["data"]["stockLocations"]
        .as_array()
        .and_then(|all| all.iter().find(|l| l["isDefault"] == true))
        .and_then(|l| l["id"].as_str())
        .unwrap_or_else(|| panic!("a default location: {body}"))
        .to_string()
}

/// (code, on hand, reserved) at each location.
async fn levels(app: &TestApp, token: &str, sku: &str) -> Vec<(String, i64, i64)> {
    let (_, body) = app.gql(Some(token), LEVELS, json!({ "sku": sku })).await;
    body["data"]["stockLevels"]
        .as_array()
        .unwrap_or_else(|| panic!("levels: {body}"))
        .iter()
        .map(|l| {
            (
                l["location"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                l["onHand"].as_i64().unwrap_or(-1),
                l["reserved"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

async fn transfer(app: &TestApp, token: &str, from: &str, to: &str, n: i64) -> Value {
    let (_, body) = app
        .gql(
            Some(token),
            TRANSFER,
            json!({ "sku": "TEE", "from": from, "to": to, "n": n }),
        )
        .await;
    body
}

#[tokio::test]
async fn a_split_line_ships_from_the_warehouse_named_and_the_levels_follow() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "TEE", 10).await;
    let main = default_location(&app, &token).await;
    let east = location(&app, &token, "east").await;
    let body = transfer(&app, &token, &main, &east, 6).await;
    assert_eq!(
        body["data"]["transferStock"],
        json!({ "from": { "onHand": 4, "available": 4 }, "to": { "onHand": 6, "available": 6 } }),
        "{body}"
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation { reserveStock(orderId: \"o1\", lines: [{ sku: \"TEE\", quantity: 7 }]) {
                allocations { locationId quantity } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["reserveStock"]["allocations"],
        json!([{ "locationId": main, "quantity": 4 }, { "locationId": east, "quantity": 3 }]),
        "{body}"
    );
    assert_eq!(
        levels(&app, &token, "TEE").await,
        [("main".to_string(), 4, 4), ("east".to_string(), 6, 3)]
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($east: ID!) { commitReservation(orderId: \"o1\", fromLocation: $east) {
                status allocations { locationId quantity } } }",
            json!({ "east": east }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INSUFFICIENT_STOCK"),
        "east has 3 more, not 4: {body}"
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($east: ID!) { adjustStock(sku: \"TEE\", delta: 1, reason: \"found one\", location: $east) { onHand } }",
            json!({ "east": east }),
        )
        .await;
    assert_eq!(body["data"]["adjustStock"]["onHand"], 11, "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($east: ID!) { commitReservation(orderId: \"o1\", fromLocation: $east) {
                status allocations { locationId quantity } } }",
            json!({ "east": east }),
        )
        .await;
    assert_eq!(
        body["data"]["commitReservation"]["status"], "COMMITTED",
        "{body}"
    );
    assert_eq!(
        body["data"]["commitReservation"]["allocations"],
        json!([{ "locationId": east, "quantity": 7 }])
    );
    assert_eq!(
        levels(&app, &token, "TEE").await,
        [("main".to_string(), 4, 0), ("east".to_string(), 0, 0)]
    );
    let (_, body) = app
        .gql(
            Some(&token),
            "query($east: ID!) { stockItem(sku: \"TEE\") { onHand reserved }
               stockHistory(sku: \"TEE\", location: $east, first: 10) { edges { node { kind onHandChange reservedChange locationId } } } }",
            json!({ "east": east }),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"],
        json!({ "onHand": 4, "reserved": 0 })
    );
    let kinds: Vec<&str> = body["data"]["stockHistory"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "COMMITTED",
            "REALLOCATED",
            "ADJUSTED",
            "RESERVED",
            "TRANSFERRED"
        ],
        "{body}"
    );
}

#[tokio::test]
async fn forty_clients_racing_for_five_units_move_exactly_five() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "TEE", 5).await;
    let main = default_location(&app, &token).await;
    let east = location(&app, &token, "east").await;
    let racers: Vec<_> = (0..40)
        .map(|_| transfer(&app, &token, &main, &east, 1))
        .collect();
    let answers = futures::future::join_all(racers).await;
    let moved = answers
        .iter()
        .filter(|body| body["data"]["transferStock"].is_object())
        .count();
    let short = answers
        .iter()
        .filter(|body| code(body) == Some("INSUFFICIENT_STOCK"))
        .count();
    assert_eq!((moved, short), (5, 35), "{answers:?}");
    assert_eq!(
        levels(&app, &token, "TEE").await,
        [("main".to_string(), 0, 0), ("east".to_string(), 5, 0)]
    );
    // The same code, created by many at once and in another case: one wins.
    let creators: Vec<_> = (0..20)
        .map(|i| {
            let code = if i % 2 == 0 { "WEST" } else { "west" };
            create(&app, &token, code)
        })
        .collect();
    let answers = futures::future::join_all(creators).await;
    let created = answers
        .iter()
        .filter(|body| body["data"]["createStockLocation"].is_object())
        .count();
    assert_eq!(created, 1, "{answers:?}");
    let refused: Vec<_> = answers
        .iter()
        .filter(|body| !body["data"]["createStockLocation"].is_object())
        .collect();
    assert!(
        refused
            .iter()
            .all(|body| code(body) == Some("LOCATION_CODE_TAKEN")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn another_vendors_location_ids_are_unknown_here() {
    let app = TestApp::spawn().await;
    let alice = app.new_vendor().await;
    let mallory = app.new_vendor().await;
    stock(&app, &alice, "TEE", 5).await;
    stock(&app, &mallory, "TEE", 5).await;
    let alices = location(&app, &alice, "east").await;
    let alices_main = default_location(&app, &alice).await;
    let mallorys = default_location(&app, &mallory).await;
    let attempts = [
        (TRANSFER, json!({ "sku": "TEE", "from": mallorys, "to": alices, "n": 1 })),
        (TRANSFER, json!({ "sku": "TEE", "from": alices_main, "to": mallorys, "n": 1 })),
        (
            "mutation($id: ID!) { deactivateStockLocation(id: $id) { id } }",
            json!({ "id": alices }),
        ),
        (
            "mutation($id: ID!) { updateStockLocation(id: $id, input: { name: \"mine\" }) { id } }",
            json!({ "id": alices }),
        ),
        (
            "mutation($id: ID!) { adjustStock(sku: \"TEE\", delta: 3, reason: \"x\", location: $id) { onHand } }",
            json!({ "id": alices }),
        ),
        (
            "query($id: ID!) { stockHistory(sku: \"TEE\", location: $id) { edges { node { id } } } }",
            json!({ "id": alices }),
        ),
    ];
    for (query, variables) in attempts {
        let (_, body) = app.gql(Some(&mallory), query, variables).await;
        assert_eq!(code(&body), Some("LOCATION_NOT_FOUND"), "{query}: {body}");
    }
    let (_, body) = app
        .gql(
            Some(&mallory),
            "{ stockLocations(includeInactive: true) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["stockLocations"], json!([{ "id": mallorys }]));
    assert_eq!(
        levels(&app, &alice, "TEE").await,
        [("main".to_string(), 5, 0), ("east".to_string(), 0, 0)]
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    let staff = app.token(Role::Staff, Some(tenant));
    stock(&app, &token, "TEE", 5).await;
    let main = default_location(&app, &token).await;
    let east = location(&app, &token, "east").await;
    for code_raw in ["", "a b", "x\u{0}y", "-lead", &"c".repeat(33), "ÉTÉ"] {
        let body = create(&app, &token, code_raw).await;
        assert_eq!(
            code(&body),
            Some("INVALID_ARGUMENT"),
            "{code_raw:?}: {body}"
        );
    }
    let (_, body) = app
        .gql(
            Some(&token),
            CREATE,
            json!({ "input": { "code": "ok", "name": "n\u{0}ul" } }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
    for n in [0, -1, 2_000_000_000_000_i64] {
        let body = transfer(&app, &token, &main, &east, n).await;
        assert_eq!(code(&body), Some("INVALID_QUANTITY"), "{n}: {body}");
    }
    let body = transfer(&app, &token, &main, &main, 1).await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
    let body = transfer(&app, &token, "not-a-uuid", &east, 1).await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
    let body = transfer(&app, &token, &uuid::Uuid::new_v4().to_string(), &east, 1).await;
    assert_eq!(code(&body), Some("LOCATION_NOT_FOUND"), "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($id: ID!) { deactivateStockLocation(id: $id) { id } }",
            json!({ "id": main }),
        )
        .await;
    assert_eq!(code(&body), Some("DEFAULT_LOCATION"), "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($id: ID!) { updateStockLocation(id: $id, input: { shipsToCustomers: false }) { id } }",
            json!({ "id": main }),
        )
        .await;
    assert_eq!(code(&body), Some("DEFAULT_LOCATION"), "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($ids: [ID!]!) { reorderStockLocations(ids: $ids) { id } }",
            json!({ "ids": [east, east] }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
    // Staff move stock but do not shape the locations.
    let (_, body) = app.gql(None, "{ stockLocations { id } }", json!({})).await;
    assert!(body["errors"].is_array(), "{body}");
    let (_, body) = app
        .gql(
            Some(&staff),
            CREATE,
            json!({ "input": { "code": "staffs", "name": "Staff's" } }),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = transfer(&app, &staff, &main, &east, 1).await;
    assert!(body["data"]["transferStock"].is_object(), "{body}");
    assert_eq!(
        levels(&app, &token, "TEE").await,
        [("main".to_string(), 4, 0), ("east".to_string(), 1, 0)]
    );
}

/// A checkout's order whose line was split over two warehouses ships from one
/// of them (`changeOrderStatus(shipFrom:)`), or from both as held.
#[tokio::test]
async fn a_checkout_order_split_over_two_warehouses_ships_from_where_it_left() {
    use crate::orders::{cart, customer, pay, shop, CHECKOUT};
    let shop = shop(10).await;
    let vendor = &shop.vendors[0].0;
    let main = default_location(&shop.app, vendor).await;
    let east = location(&shop.app, vendor, "east").await;
    let (_, body) = shop
        .app
        .gql(
            Some(vendor),
            TRANSFER,
            json!({ "sku": "SKU-A", "from": main, "to": east, "n": 7 }),
        )
        .await;
    assert!(body["data"]["transferStock"].is_object(), "{body}");
    let buyer = customer(&shop.app, "split@example.com").await;
    let mut orders = Vec::new();
    for (key, quantity) in [("split-1", 5), ("split-2", 4)] {
        let (_, placed) = shop
            .app
            .gql(Some(&buyer), CHECKOUT, cart(&shop, &[quantity, 0], key))
            .await;
        let paid = pay(&shop.app, &buyer, &placed).await;
        assert_eq!(
            paid["data"]["payTestCheckout"]["status"], "SUCCEEDED",
            "{paid}"
        );
        orders.push(
            placed["data"]["checkout"]["orders"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    // split-1 goes whole to east (5 of its 7); split-2 finds no location with 4
    // and splits: main 3 + east 1.
    assert_eq!(
        levels(&shop.app, vendor, "SKU-A").await,
        [("main".to_string(), 3, 3), ("east".to_string(), 7, 6)]
    );
    const SHIP: &str = "mutation($id: ID!) {
        processing: changeOrderStatus(id: $id, status: PROCESSING) { status } }";
    const SHIP_FROM: &str = "mutation($id: ID!, $from: ID) {
        changeOrderStatus(id: $id, status: SHIPPED, shipFrom: $from) { status } }";
    for id in &orders {
        shop.app.gql(Some(vendor), SHIP, json!({ "id": id })).await;
    }
    let app = &shop.app;
    let ship = |id: &str, from: Value| {
        let variables = json!({ "id": id, "from": from });
        async move { app.gql(Some(vendor), SHIP_FROM, variables).await.1 }
    };
    let body = ship(&orders[1], json!(east)).await;
    assert_eq!(
        code(&body),
        Some("INSUFFICIENT_STOCK"),
        "east has 1 free for main's 3: {body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["requested"], 3, "{body}");
    let body = ship(&orders[0], json!(main)).await;
    assert_eq!(
        code(&body),
        Some("INSUFFICIENT_STOCK"),
        "main has nothing free: {body}"
    );
    let body = ship(&orders[0], Value::Null).await;
    assert_eq!(
        body["data"]["changeOrderStatus"]["status"], "SHIPPED",
        "{body}"
    );
    assert_eq!(
        levels(&shop.app, vendor, "SKU-A").await,
        [("main".to_string(), 3, 3), ("east".to_string(), 2, 1)]
    );
    let (_, body) = shop
        .app
        .gql(
            Some(vendor),
            "mutation($at: ID!) { adjustStock(sku: \"SKU-A\", delta: 1, reason: \"found\", location: $at) { onHand } }",
            json!({ "at": main }),
        )
        .await;
    assert_eq!(body["data"]["adjustStock"]["onHand"], 6, "{body}");
    let body = ship(&orders[1], json!(main)).await;
    assert_eq!(
        body["data"]["changeOrderStatus"]["status"], "SHIPPED",
        "{body}"
    );
    assert_eq!(
        levels(&shop.app, vendor, "SKU-A").await,
        [("main".to_string(), 0, 0), ("east".to_string(), 2, 0)],
        "all four of split-2 left from main"
    );
    // Only a vendor names where an order ships from, and only when it ships.
    let (_, body) = shop
        .app
        .gql(
            Some(&buyer),
            "mutation($id: ID!, $from: ID) { changeOrderStatus(id: $id, status: CANCELLED, shipFrom: $from) { status } }",
            json!({ "id": orders[1], "from": east }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
}

/// Deactivating a location while stock moves into it: either the move or the
/// deactivation is refused, never an inactive location left holding stock; and
/// concurrent creators never take a vendor past its 50 locations.
#[tokio::test]
async fn deactivation_races_moves_and_creators_race_the_limit() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "TEE", 100).await;
    let main = default_location(&app, &token).await;
    for round in 0..8 {
        let target = location(&app, &token, &format!("race{round}")).await;
        let moves = (0..6).map(|_| transfer(&app, &token, &main, &target, 1));
        let deactivations = (0..3).map(|_| async {
            app.gql(
                Some(&token),
                "mutation($id: ID!) { deactivateStockLocation(id: $id) { active } }",
                json!({ "id": target }),
            )
            .await
            .1
        });
        let (moved, deactivated) = tokio::join!(
            futures::future::join_all(moves),
            futures::future::join_all(deactivations)
        );
        for body in moved.iter().chain(&deactivated) {
            let refused = code(body);
            assert!(
                refused.is_none()
                    || ["LOCATION_INACTIVE", "LOCATION_IN_USE"]
                        .contains(&refused.unwrap_or_default()),
                "{body}"
            );
        }
        let (_, body) = app
            .gql(
                Some(&token),
                "{ stockLevels(sku: \"TEE\") { onHand location { id active } } }",
                json!({}),
            )
            .await;
        let stranded = body["data"]["stockLevels"]
            .as_array()
            .expect("levels")
            .iter()
            .any(|l| l["location"]["active"] == false && l["onHand"].as_i64() != Some(0));
        assert!(!stranded, "round {round}: {body}");
    }
    let (_, body) = app
        .gql(Some(&token), "{ stockLocations { id } }", json!({}))
        .await;
    let active = body["data"]["stockLocations"]
        .as_array()
        .map_or(0, Vec::len);
    let codes: Vec<String> = (0..70).map(|i| format!("many{i}")).collect();
    let creators = codes.iter().map(|code| create(&app, &token, code));
    let answers = futures::future::join_all(creators).await;
    let created = answers
        .iter()
        .filter(|body| body["data"]["createStockLocation"].is_object())
        .count();
    assert_eq!(
        active + created,
        50,
        "{active} active and {created} created"
    );
    assert!(answers
        .iter()
        .filter(|body| !body["data"]["createStockLocation"].is_object())
        .all(|body| code(body) == Some("LOCATION_LIMIT")));
}
