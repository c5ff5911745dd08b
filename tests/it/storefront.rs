//! The storefront's read model through the public API and in the database:
//! full-text search, facet counts, products that leave, repair of what the
//! catalog's own write missed, rebuilds, and row-level security on listings.

use std::time::{Duration, Instant};

use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use souk_tenants::Role;

use crate::support::{code, post_gql, published_product, TestApp};

const SHELF: &str = "query($s: String, $category: ID, $min: Int, $max: Int, $inStock: Boolean,
        $sort: ProductSort, $first: Int, $after: String) {
    products(search: $s, category: $category, minPrice: $min, maxPrice: $max, inStock: $inStock,
             sort: $sort, first: $first, after: $after) {
        edges { node { title } }
        pageInfo { hasNextPage endCursor }
        totalCount
        facets { categories { categoryId count } vendors { vendorId count }
                 priceBands { min max count } } } }";

/// Within how long a change must reach the storefront (the projector looks
/// every 100 ms and reads the catalog every second; generous for a busy machine).
const FRESHNESS: Duration = Duration::from_secs(8);

struct Item<'a> {
    title: &'a str,
    description: &'a str,
    sku: &'a str,
    stock: i64,
    price: i64,
    category: Option<&'a str>,
}

/// Creates and publishes a product; its id.
async fn publish(app: &TestApp, token: &str, item: Item<'_>) -> String {
    let input = json!({
        "title": item.title,
        "description": item.description,
        "categoryId": item.category,
        "price": { "amount": item.price, "currency": "EUR" },
        "variants": [{ "sku": item.sku, "initialStock": item.stock }],
    });
    published_product(app, token, input).await
}

fn item<'a>(title: &'a str, sku: &'a str, price: i64) -> Item<'a> {
    Item {
        title,
        description: "",
        sku,
        stock: 5,
        price,
        category: None,
    }
}

async fn shelf(app: &TestApp, variables: Value) -> Value {
    let (_, body) = app.gql(None, SHELF, variables).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["products"].clone()
}

fn titles(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().expect("title").to_string())
        .collect()
}

/// Asks until `check` holds of the page for `variables`; panics after [`FRESHNESS`].
async fn soon(app: &TestApp, variables: Value, what: &str, check: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    loop {
        let page = shelf(app, variables.clone()).await;
        if check(&page) {
            return;
        }
        assert!(started.elapsed() < FRESHNESS, "{what}: still {page}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn category(app: &TestApp, name: &str) -> String {
    let admin = app.token(Role::PlatformAdmin, None);
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($n: String!) { createCategory(name: $n) { id } }",
            json!({ "n": name }),
        )
        .await;
    body["data"]["createCategory"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

#[tokio::test]
async fn search_is_stemmed_by_prefix_ranked_and_forgives_a_typo() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let mut described = item("Summer dress", "DRESS", 5000);
    described.description = "Light linen, for hot days";
    publish(&app, &vendor, described).await;
    publish(&app, &vendor, item("Linen shirts", "SHIRT", 3000)).await;
    publish(&app, &vendor, item("Wool socks", "SOCKS", 900)).await;
    let search = |s: &str| json!({ "s": s });
    let page = shelf(&app, search("linen")).await;
    assert_eq!(
        titles(&page),
        vec!["Linen shirts", "Summer dress"],
        "a title match ranks above a description match"
    );
    assert_eq!(page["totalCount"], 2);
    assert_eq!(
        titles(&shelf(&app, search("shirt")).await),
        vec!["Linen shirts"],
        "stemmed"
    );
    assert_eq!(
        titles(&shelf(&app, search("soc")).await),
        vec!["Wool socks"],
        "by prefix"
    );
    assert_eq!(
        titles(&shelf(&app, search("wool sock")).await),
        vec!["Wool socks"],
        "every word must match"
    );
    assert!(titles(&shelf(&app, search("wool dress")).await).is_empty());
    assert_eq!(
        titles(&shelf(&app, search("lnen shirts")).await),
        vec!["Linen shirts"],
        "a small typo in a title still finds it"
    );
}

#[tokio::test]
async fn facets_count_every_page_and_agree_with_the_filters() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant().await;
    let b = app.create_tenant().await;
    let (ta, tb) = (
        app.token(Role::Owner, Some(a)),
        app.token(Role::Owner, Some(b)),
    );
    let shoes = category(&app, "Shoes").await;
    let hats = category(&app, "Hats").await;
    for i in 0..7 {
        let (title, sku) = (format!("Shoe {i}"), format!("SHOE-{i}"));
        let mut shoe = item(&title, &sku, 800 + i * 1000);
        shoe.category = Some(&shoes);
        shoe.stock = i % 2;
        publish(&app, if i < 4 { &ta } else { &tb }, shoe).await;
    }
    let mut hat = item("Hat", "HAT", 30_000);
    hat.category = Some(&hats);
    publish(&app, &tb, hat).await;

    let page = shelf(&app, json!({ "first": 3 })).await;
    assert_eq!(page["totalCount"], 8, "counted over every page");
    assert_eq!(titles(&page).len(), 3);
    let facets = &page["facets"];
    assert_eq!(
        facets["categories"],
        json!([{ "categoryId": shoes, "count": 7 }, { "categoryId": hats, "count": 1 }])
    );
    let vendors: Vec<(String, i64)> = facets["vendors"]
        .as_array()
        .expect("vendors")
        .iter()
        .map(|v| {
            (
                v["vendorId"].as_str().expect("id").to_string(),
                v["count"].as_i64().expect("n"),
            )
        })
        .collect();
    let mut expected = vec![(a.to_string(), 4), (b.to_string(), 4)];
    expected.sort_by_key(|(id, _)| id.parse::<uuid::Uuid>().expect("uuid"));
    assert_eq!(vendors, expected, "most products first, then by id");
    let bands: Vec<i64> = facets["priceBands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| b["count"].as_i64().expect("count"))
        .collect();
    // Prices 800, 1800, 2800, 3800, 4800, 5800, 6800 and 30000 in bands from
    // 0, 1000, 2500, 5000, 10000 and 25000.
    assert_eq!(bands, vec![1, 1, 3, 2, 0, 1]);

    let filtered = shelf(
        &app,
        json!({ "category": shoes, "inStock": true, "min": 1000, "first": 100 }),
    )
    .await;
    assert_eq!(titles(&filtered), vec!["Shoe 5", "Shoe 3", "Shoe 1"]);
    assert_eq!(filtered["totalCount"], 3, "the counts follow the filters");
    assert_eq!(
        filtered["facets"]["categories"],
        json!([{ "categoryId": shoes, "count": 3 }])
    );
}

#[tokio::test]
async fn search_pages_by_rank_stay_stable_while_products_are_added() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let (title, sku) = (format!("Teapot {i}"), format!("POT-{i}"));
        let mut pot = item(&title, &sku, 1000);
        pot.description = if i % 2 == 0 { "teapot teapot" } else { "" };
        publish(&app, &vendor, pot).await;
        expected.push(title);
    }
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    for round in 0.. {
        let page = shelf(&app, json!({ "s": "teapot", "first": 2, "after": after })).await;
        seen.extend(titles(&page));
        if round == 0 {
            publish(&app, &vendor, item("Teapot new", "POT-NEW", 1000)).await;
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        assert!(round < 10, "paging does not end");
        after = page["pageInfo"]["endCursor"].clone();
    }
    let originals: Vec<&String> = seen.iter().filter(|t| *t != "Teapot new").collect();
    let mut sorted = originals.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), originals.len(), "none twice: {seen:?}");
    assert_eq!(sorted.len(), expected.len(), "none missed: {seen:?}");
    let (_, body) = app
        .gql(
            None,
            SHELF,
            json!({ "s": "teapot", "sort": "NEWEST", "after": after }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_ARGUMENT"),
        "a cursor of another order: {body}"
    );
}

#[tokio::test]
async fn products_that_leave_leave_every_page_and_count() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant().await;
    let (ta, tb) = (app.token(Role::Owner, Some(a)), app.new_vendor().await);
    let mugs = category(&app, "Mugs").await;
    let mut mug = item("Blue mug", "MUG", 1200);
    mug.category = Some(&mugs);
    let mug = publish(&app, &ta, mug).await;
    let mut cup = item("Blue cup", "CUP", 1500);
    cup.category = Some(&mugs);
    publish(&app, &tb, cup).await;
    let all = json!({ "s": "blue" });
    assert_eq!(shelf(&app, all.clone()).await["totalCount"], 2);

    let (_, body) = app
        .gql(
            Some(&ta),
            "mutation($id: ID!) { archiveProduct(id: $id) { status } }",
            json!({ "id": mug }),
        )
        .await;
    assert_eq!(
        body["data"]["archiveProduct"]["status"], "ARCHIVED",
        "{body}"
    );
    let page = shelf(&app, all.clone()).await;
    assert_eq!(titles(&page), vec!["Blue cup"], "archived: gone at once");
    assert_eq!(page["totalCount"], 1);
    assert_eq!(
        page["facets"]["categories"],
        json!([{ "categoryId": mugs, "count": 1 }])
    );

    let admin = app.token(Role::PlatformAdmin, None);
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { suspendVendor(id: $id) { status } }",
            json!({ "id": a.to_string() }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app
        .gql(
            Some(&ta),
            "mutation($id: ID!) { publishProduct(id: $id) { status } }",
            json!({ "id": mug }),
        )
        .await;
    let page = shelf(&app, all.clone()).await;
    assert_eq!(
        titles(&page),
        vec!["Blue cup"],
        "a suspended vendor's product stays out: {body}"
    );
    assert_eq!(page["facets"]["vendors"].as_array().map(Vec::len), Some(1));
    let (_, body) = app
        .gql(None, "{ categories { name activeProducts } }", json!({}))
        .await;
    assert_eq!(body["data"]["categories"][0]["activeProducts"], 1, "{body}");
}

/// A product changed in MongoDB without its listing (the catalog's write went
/// through, the process died before the listing): the projector catches up.
#[tokio::test]
async fn a_change_whose_listing_was_never_written_still_reaches_the_storefront() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let id = publish(&app, &vendor, item("Old title", "SKU-1", 1000)).await;
    let db = souk_gateway::app::mongo_database(&app.mongo.url)
        .await
        .expect("mongo");
    let products = db.collection::<Document>("products");
    let oid = mongodb::bson::oid::ObjectId::parse_str(&id).expect("id");
    products
        .update_one(
            doc! { "_id": oid },
            doc! { "$set": { "title": "New title", "updated_at": mongodb::bson::DateTime::now() },
            "$inc": { "version": 1_i64 } },
        )
        .await
        .expect("update");
    soon(
        &app,
        json!({ "s": "new title" }),
        "the missed change",
        |page| titles(page) == ["New title"],
    )
    .await;
    assert!(titles(&shelf(&app, json!({ "s": "old" })).await).is_empty());
}

#[tokio::test]
async fn a_rebuild_restores_the_read_model_from_scratch() {
    let mut app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    for i in 0..3 {
        let (title, sku) = (format!("Lamp {i}"), format!("LAMP-{i}"));
        let mut lamp = item(&title, &sku, 1000);
        lamp.stock = i64::from(i != 1);
        publish(&app, &vendor, lamp).await;
    }
    let before = shelf(&app, json!({ "inStock": true })).await;
    assert_eq!(titles(&before), vec!["Lamp 2", "Lamp 0"]);
    // Stop the platform (its projector would write listings back), then lose
    // the read model.
    app.begin_shutdown().await.expect("join").expect("shutdown");
    for table in ["storefront.listings", "storefront.checkpoints"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&app.db.owner)
            .await
            .expect("delete");
    }

    let db = souk_gateway::app::mongo_database(&app.mongo.url)
        .await
        .expect("mongo");
    let listings = souk_catalog::listings::PgListings::new(app.db.app.clone(), app.platform());
    let projector =
        souk_catalog::listings::projector::Projector::new(listings, &db, Duration::from_secs(1));
    let rebuilt = projector.rebuild().await.expect("rebuild");
    assert_eq!(rebuilt.products, 3);
    let again = projector.rebuild().await.expect("a second rebuild");
    assert_eq!(
        (again.products, again.unlisted, again.flags),
        (3, 0, 0),
        "idempotent"
    );

    // A gateway started on the rebuilt model serves the same shelf.
    let restarted = app.replica("").await;
    let page = |variables: Value| {
        let (client, url) = (app.client.clone(), restarted.url("/graphql"));
        async move {
            let (_, body) = post_gql(&client, &url, None, SHELF, variables).await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"]["products"].clone()
        }
    };
    let after = page(json!({ "inStock": true })).await;
    assert_eq!(titles(&after), titles(&before));
    assert_eq!(page(json!({})).await["totalCount"], 3);
}

#[tokio::test]
async fn the_app_role_writes_only_its_own_tenant_listings_and_never_the_stock_notes() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant().await;
    let b = app.create_tenant().await;
    let tb = app.token(Role::Owner, Some(b));
    publish(&app, &tb, item("B's product", "B-1", 1000)).await;
    let mut tx = souk_tenants::TenantTx::begin(&app.db.app, a)
        .await
        .expect("tx");
    let changed = sqlx::query("UPDATE storefront.listings SET title = 'hijacked', listed = false")
        .execute(&mut *tx)
        .await
        .expect("update runs")
        .rows_affected();
    assert_eq!(changed, 0, "tenant A's scope updates none of B's listings");
    tx.rollback().await.expect("rollback");

    let mut tx = souk_tenants::TenantTx::begin(&app.db.app, a)
        .await
        .expect("tx");
    let forged = sqlx::query(
        "INSERT INTO storefront.listings (product_id, tenant_id, listed, version, title, description,
             price, currency, skus, product, created_at, updated_at)
         VALUES ('0123456789abcdef01234567', $1, true, 99, 'Fake', '', 1, 'EUR', '{}', '{}', now(), now())",
    )
    .bind(b.as_uuid())
    .execute(&mut *tx)
    .await;
    assert!(
        forged.is_err(),
        "a listing in another tenant's name is refused"
    );
    tx.rollback().await.expect("rollback");

    for sql in [
        "SELECT count(*) FROM storefront.stale_stock",
        "DELETE FROM storefront.stale_stock",
        "DELETE FROM storefront.listings",
    ] {
        let mut tx = souk_tenants::TenantTx::begin(&app.db.app, a)
            .await
            .expect("tx");
        assert!(sqlx::query(sql).execute(&mut *tx).await.is_err(), "{sql}");
        tx.rollback().await.expect("rollback");
    }
    assert_eq!(
        titles(&shelf(&app, json!({})).await),
        vec!["B's product"],
        "B's listing is untouched"
    );
}

#[tokio::test]
async fn concurrent_reservations_of_the_last_units_leave_the_flag_exact() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    let mut last = item("Last ones", "LAST", 1000);
    last.stock = 10;
    publish(&app, &token, last).await;
    publish(&app, &token, item("Plenty", "PLENTY", 1000)).await;
    let reserve = "mutation($o: String!) {
        reserveStock(orderId: $o, lines: [{ sku: \"LAST\", quantity: 1 }], ttlSeconds: 600) { status } }";
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (app, token) = (&app, token.clone());
            async move {
                let order = format!("order-{i}");
                let (_, body) = app.gql(Some(&token), reserve, json!({ "o": order })).await;
                (body["data"]["reserveStock"]["status"] == "ACTIVE").then_some(order)
            }
        })
        .collect();
    let held: Vec<String> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(held.len(), 10, "exactly the stock is held");
    soon(&app, json!({ "inStock": true }), "sold out", |page| {
        titles(page) == ["Plenty"]
    })
    .await;
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($o: String!) { releaseReservation(orderId: $o) { status } }",
            json!({ "o": held[0] }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    soon(&app, json!({ "inStock": true }), "back in stock", |page| {
        titles(page) == ["Plenty", "Last ones"]
    })
    .await;
}

#[tokio::test]
async fn best_sellers_come_first_counting_each_shipped_unit_once() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    for (title, sku) in [
        ("Slow seller", "SLOW"),
        ("Best seller", "BEST"),
        ("Unsold", "NONE"),
    ] {
        let mut product = item(title, sku, 1000);
        product.stock = 20;
        publish(&app, &token, product).await;
    }
    let ship = |order: String, sku: &'static str, quantity: i64| {
        let (app, token) = (&app, token.clone());
        async move {
            let (_, body) = app
                .gql(
                    Some(&token),
                    "mutation($o: String!, $s: String!, $q: Int!) {
                        reserveStock(orderId: $o, lines: [{ sku: $s, quantity: $q }], ttlSeconds: 600) { status } }",
                    json!({ "o": order, "s": sku, "q": quantity }),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            let (_, body) = app
                .gql(
                    Some(&token),
                    "mutation($o: String!) { commitReservation(orderId: $o) { status } }",
                    json!({ "o": order }),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
        }
    };
    let shipments: Vec<_> = (0..6)
        .map(|i| ship(format!("best-{i}"), "BEST", 2))
        .chain((0..3).map(|i| ship(format!("slow-{i}"), "SLOW", 1)))
        .collect();
    futures::future::join_all(shipments).await;
    soon(
        &app,
        json!({ "sort": "POPULAR", "first": 2 }),
        "best sellers",
        |page| titles(page) == ["Best seller", "Slow seller"],
    )
    .await;
    let first = shelf(&app, json!({ "sort": "POPULAR", "first": 2 })).await;
    let rest = shelf(
        &app,
        json!({ "sort": "POPULAR", "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(titles(&rest), vec!["Unsold"]);
    let counts = || async {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT title, popularity FROM storefront.listings ORDER BY popularity DESC",
        )
        .fetch_all(&app.db.owner)
        .await
        .expect("counts")
    };
    let expected = vec![
        ("Best seller".to_string(), 12),
        ("Slow seller".to_string(), 3),
        ("Unsold".to_string(), 0),
    ];
    let started = Instant::now();
    while counts().await != expected {
        assert!(
            started.elapsed() < FRESHNESS,
            "every unit once: {:?}",
            counts().await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let db = souk_gateway::app::mongo_database(&app.mongo.url)
        .await
        .expect("mongo");
    let listings = souk_catalog::listings::PgListings::new(app.db.app.clone(), app.platform());
    souk_catalog::listings::projector::Projector::new(listings, &db, Duration::from_secs(1))
        .rebuild()
        .await
        .expect("rebuild");
    assert_eq!(
        counts().await,
        expected,
        "a rebuild counts the same from the ledger"
    );
}

/// Every list is a database query: a request asking for hundreds by aliases is
/// refused before any runs.
#[tokio::test]
async fn a_request_cannot_hold_hundreds_of_storefront_lists() {
    let app = TestApp::spawn().await;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: products(first: 1, search: \"tea\") {{ totalCount }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let (_, body) = app.gql(None, &aliases(100), json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    let (_, body) = app.gql(None, &aliases(5), json!({})).await;
    assert!(body["errors"].is_null(), "a few lists are fine: {body}");
}
