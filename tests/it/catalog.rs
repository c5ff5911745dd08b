//! The catalog through the public API, on the MongoDB-compatible test server.

use reqwest::StatusCode;
use serde_json::{json, Value};
use souk_tenants::Role;

use crate::support::{code, TestApp};

const CREATE: &str = "mutation($i: ProductInput!) { createProduct(input: $i) { id version status variants { sku availability } } }";
const PUBLISH: &str = "mutation($id: ID!) { publishProduct(id: $id) { status } }";
const STOREFRONT: &str = "query($s: String, $after: String, $first: Int, $sort: ProductSort, $inStock: Boolean) {
    products(search: $s, after: $after, first: $first, sort: $sort, inStock: $inStock) {
        edges { cursor node { id title vendorId vendorName price { amount currency } variants { sku availability } } }
        pageInfo { hasNextPage endCursor } } }";

fn input(title: &str, skus: &[(&str, i64)], amount: i64) -> Value {
    json!({
        "title": title,
        "description": format!("All about {title}"),
        "price": { "amount": amount, "currency": "EUR" },
        "variants": skus.iter().map(|(sku, stock)| json!({ "sku": sku, "initialStock": stock, "options": [{ "name": "size", "value": "M" }] })).collect::<Vec<_>>(),
    })
}

/// Creates and publishes a product; its id.
async fn product(
    app: &TestApp,
    token: &str,
    title: &str,
    skus: &[(&str, i64)],
    amount: i64,
) -> String {
    let (_, body) = app
        .gql(
            Some(token),
            CREATE,
            json!({ "i": input(title, skus, amount) }),
        )
        .await;
    let id = body["data"]["createProduct"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let (_, body) = app.gql(Some(token), PUBLISH, json!({ "id": id })).await;
    assert_eq!(body["data"]["publishProduct"]["status"], "ACTIVE", "{body}");
    id
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["products"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().expect("title").to_string())
        .collect()
}

async fn stored_products(app: &TestApp) -> u64 {
    let db = souk_gateway::app::mongo_database(&app.mongo.url)
        .await
        .expect("mongo");
    db.collection::<mongodb::bson::Document>("products")
        .count_documents(mongodb::bson::doc! {})
        .await
        .expect("count")
}

#[tokio::test]
async fn a_product_goes_from_draft_to_storefront_to_archive() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let (_, body) = app
        .gql(
            Some(&vendor),
            CREATE,
            json!({ "i": input("Linen Tee", &[("TEE-M", 5), ("TEE-L", 0)], 1999) }),
        )
        .await;
    let created = &body["data"]["createProduct"];
    assert_eq!(created["status"], "DRAFT", "{body}");
    assert_eq!(
        created["variants"],
        json!([{ "sku": "TEE-M", "availability": 5 }, { "sku": "TEE-L", "availability": 0 }])
    );
    let id = created["id"].as_str().expect("id").to_string();
    let (_, body) = app
        .gql(
            Some(&vendor),
            "{ stockItem(sku: \"TEE-M\") { onHand } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItem"]["onHand"], 5,
        "the variant's stock item exists in inventory"
    );

    let (_, body) = app.gql(None, STOREFRONT, json!({})).await;
    assert!(titles(&body).is_empty(), "drafts are not shown");
    app.gql(Some(&vendor), PUBLISH, json!({ "id": id })).await;
    let (_, body) = app.gql(None, STOREFRONT, json!({})).await;
    assert_eq!(titles(&body), vec!["Linen Tee"]);
    assert_eq!(
        body["data"]["products"]["edges"][0]["node"]["price"],
        json!({ "amount": 1999, "currency": "EUR" })
    );
    assert_eq!(
        body["data"]["products"]["edges"][0]["node"]["vendorName"], "Test vendor",
        "the storefront names who sells it"
    );

    let update = "mutation($id: ID!, $v: Int!, $i: ProductInput!) { updateProduct(id: $id, version: $v, input: $i) { title version } }";
    let (_, body) = app
        .gql(
            Some(&vendor),
            update,
            json!({ "id": id, "v": 1, "i": input("Stale", &[("TEE-M", 0)], 1999) }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("CONFLICT"),
        "publishing moved the version on: {body}"
    );
    let (_, body) = app.gql(Some(&vendor), update, json!({ "id": id, "v": 2, "i": input("Linen Tee II", &[("TEE-M", 0), ("TEE-XL", 2)], 2499) })).await;
    assert_eq!(
        body["data"]["updateProduct"],
        json!({ "title": "Linen Tee II", "version": 3 })
    );

    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { archiveProduct(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["archiveProduct"]["status"], "ARCHIVED");
    let (_, body) = app.gql(None, STOREFRONT, json!({})).await;
    assert!(titles(&body).is_empty(), "archived products are not shown");
    let (_, body) = app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(body["data"]["product"].is_null());
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_STATE"),
        "only drafts can be deleted"
    );

    let (_, body) = app
        .gql(
            Some(&vendor),
            CREATE,
            json!({ "i": input("Scratch", &[("SCRATCH", 0)], 100) }),
        )
        .await;
    let scratch = body["data"]["createProduct"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": scratch }),
        )
        .await;
    assert_eq!(body["data"]["deleteProduct"], true);
}

#[tokio::test]
async fn skus_are_unique_per_vendor_only() {
    let app = TestApp::spawn().await;
    let a = app.new_vendor().await;
    let b = app.new_vendor().await;
    product(&app, &a, "Mug", &[("MUG-1", 1)], 900).await;
    let (_, body) = app
        .gql(
            Some(&a),
            CREATE,
            json!({ "i": input("Other mug", &[("MUG-1", 1)], 900) }),
        )
        .await;
    assert_eq!(code(&body), Some("DUPLICATE_SKU"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["sku"], "MUG-1");
    let (_, body) = app
        .gql(
            Some(&b),
            CREATE,
            json!({ "i": input("Their mug", &[("MUG-1", 1)], 900) }),
        )
        .await;
    assert!(
        body["errors"].is_null(),
        "another vendor may use the SKU: {body}"
    );
}

#[tokio::test]
async fn vendor_b_can_neither_read_nor_change_vendor_a_products() {
    let app = TestApp::spawn().await;
    let a = app.new_vendor().await;
    let b = app.new_vendor().await;
    let (_, body) = app
        .gql(
            Some(&a),
            CREATE,
            json!({ "i": input("Secret draft", &[("SECRET-1", 3)], 5000) }),
        )
        .await;
    let id = body["data"]["createProduct"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = app
        .gql(Some(&b), "query($id: ID!) { vendorProduct(id: $id) { id } vendorProducts { edges { node { id } } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        body["data"],
        json!({ "vendorProduct": null, "vendorProducts": { "edges": [] } })
    );
    for document in [
        "mutation($id: ID!) { publishProduct(id: $id) { id } }",
        "mutation($id: ID!) { archiveProduct(id: $id) { id } }",
        "mutation($id: ID!) { deleteProduct(id: $id) }",
    ] {
        let (_, body) = app.gql(Some(&b), document, json!({ "id": id })).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{document}: {body}");
    }
    let update = "mutation($id: ID!, $i: ProductInput!) { updateProduct(id: $id, version: 1, input: $i) { id } }";
    let (_, body) = app
        .gql(
            Some(&b),
            update,
            json!({ "id": id, "i": input("Hijacked", &[("X-1", 0)], 1) }),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    let (_, body) = app
        .gql(
            Some(&a),
            "query($id: ID!) { vendorProduct(id: $id) { title status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["vendorProduct"],
        json!({ "title": "Secret draft", "status": "DRAFT" })
    );
}

#[tokio::test]
async fn the_storefront_hides_suspended_vendors_and_filters_by_stock() {
    let app = TestApp::spawn().await;
    let a_tenant = app.create_tenant().await;
    let a = app.token(Role::Owner, Some(a_tenant));
    let b = app.new_vendor().await;
    product(&app, &a, "Kettle", &[("KETTLE", 2)], 4000).await;
    product(&app, &b, "Teapot", &[("TEAPOT", 0)], 3000).await;
    let (_, body) = app.gql(None, STOREFRONT, json!({ "inStock": true })).await;
    assert_eq!(titles(&body), vec!["Kettle"]);
    let (_, body) = app
        .gql(None, STOREFRONT, json!({ "sort": "PRICE_ASC" }))
        .await;
    assert_eq!(titles(&body), vec!["Teapot", "Kettle"]);
    let admin = app.token(Role::PlatformAdmin, None);
    app.gql(
        Some(&admin),
        "mutation($id: ID!) { suspendVendor(id: $id) { status } }",
        json!({ "id": a_tenant.to_string() }),
    )
    .await;
    let (_, body) = app.gql(None, STOREFRONT, json!({})).await;
    assert_eq!(
        titles(&body),
        vec!["Teapot"],
        "a suspended vendor's products vanish"
    );
}

#[tokio::test]
async fn search_text_is_text_never_a_pattern() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    product(&app, &vendor, "Spice tin (large)", &[("TIN-L", 1)], 1200).await;
    product(&app, &vendor, "Spice tin small", &[("TIN-S", 1)], 800).await;
    product(&app, &vendor, "Tea towel", &[("TOWEL", 1)], 500).await;
    let search = |s: &str| json!({ "s": s });
    let (_, body) = app.gql(None, STOREFRONT, search("(large)")).await;
    assert_eq!(titles(&body), vec!["Spice tin (large)"]);
    for pattern in [".*", "t.n", "[a-z]+", "{\"$ne\": null}", "!&|", "'", ":*"] {
        let (_, body) = app.gql(None, STOREFRONT, search(pattern)).await;
        assert!(body["errors"].is_null(), "{body}");
        assert!(
            titles(&body).is_empty(),
            "{pattern} is text, not a pattern: {body}"
        );
    }
    let (_, body) = app.gql(None, STOREFRONT, search("^Spice")).await;
    assert_eq!(titles(&body).len(), 2, "punctuation only separates words");
    let (_, body) = app.gql(None, STOREFRONT, search("SPICE")).await;
    assert_eq!(titles(&body).len(), 2, "case-insensitive");
    let (_, body) = app.gql(None, STOREFRONT, search("towel")).await;
    assert_eq!(titles(&body), vec!["Tea towel"]);
}

#[tokio::test]
async fn pages_stay_stable_while_products_are_added() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    for i in 0..5 {
        product(
            &app,
            &vendor,
            &format!("Item {i}"),
            &[(&format!("ITEM-{i}"), 1)],
            100 + i,
        )
        .await;
    }
    let (_, body) = app.gql(None, STOREFRONT, json!({ "first": 2 })).await;
    let mut seen = titles(&body);
    let mut after = body["data"]["products"]["pageInfo"]["endCursor"].clone();
    product(&app, &vendor, "Item new", &[("ITEM-NEW", 1)], 50).await;
    loop {
        let (_, body) = app
            .gql(None, STOREFRONT, json!({ "first": 2, "after": after }))
            .await;
        seen.extend(titles(&body));
        if body["data"]["products"]["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = body["data"]["products"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen,
        vec!["Item 4", "Item 3", "Item 2", "Item 1", "Item 0"],
        "no repeats, no skips"
    );
    let (_, body) = app
        .gql(
            None,
            STOREFRONT,
            json!({ "first": 3, "sort": "PRICE_DESC" }),
        )
        .await;
    let after = body["data"]["products"]["pageInfo"]["endCursor"].clone();
    let (_, body) = app
        .gql(
            None,
            STOREFRONT,
            json!({ "first": 3, "sort": "PRICE_ASC", "after": after }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_ARGUMENT"),
        "a cursor belongs to its order"
    );
}

#[tokio::test]
async fn availability_is_loaded_in_one_batch_per_request() {
    let app = TestApp::spawn().await;
    let a = app.new_vendor().await;
    let b = app.new_vendor().await;
    for i in 0..10 {
        product(
            &app,
            &a,
            &format!("A{i}"),
            &[(&format!("A-{i}"), i), (&format!("A-{i}-X"), 1)],
            100,
        )
        .await;
        product(&app, &b, &format!("B{i}"), &[(&format!("B-{i}"), i)], 100).await;
    }
    let batches = async || -> f64 {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("text");
        text.lines()
            .find(|l| l.starts_with("souk_availability_batches_total"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let before = batches().await;
    let (_, body) = app.gql(None, STOREFRONT, json!({ "first": 20 })).await;
    assert_eq!(titles(&body).len(), 20);
    let availability: i64 = body["data"]["products"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .flat_map(|e| e["node"]["variants"].as_array().expect("variants").clone())
        .map(|v| v["availability"].as_i64().expect("availability"))
        .sum();
    assert_eq!(
        availability,
        45 + 10 + 45,
        "each variant's stock, from both vendors"
    );
    assert_eq!(
        batches().await - before,
        1.0,
        "30 variants of 2 vendors in one batch"
    );
}

#[tokio::test]
async fn categories_form_a_tree_that_only_admins_change() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::PlatformAdmin, None);
    let vendor = app.new_vendor().await;
    let create = "mutation($n: String!, $p: ID) { createCategory(name: $n, parentId: $p) { id } }";
    let (_, body) = app.gql(Some(&vendor), create, json!({ "n": "Home" })).await;
    assert_eq!(code(&body), Some("FORBIDDEN"));
    let (_, body) = app.gql(Some(&admin), create, json!({ "n": "Home" })).await;
    let home = body["data"]["createCategory"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = app
        .gql(Some(&admin), create, json!({ "n": "Kitchen", "p": home }))
        .await;
    let kitchen = body["data"]["createCategory"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = app
        .gql(Some(&admin), create, json!({ "n": "Kitchen", "p": home }))
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_STATE"),
        "sibling names are unique"
    );
    let mut kettle = input("Kettle", &[("KETTLE", 1)], 4000);
    kettle["categoryId"] = json!(kitchen);
    let (_, body) = app.gql(Some(&vendor), CREATE, json!({ "i": kettle })).await;
    let id = body["data"]["createProduct"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    app.gql(Some(&vendor), PUBLISH, json!({ "id": id })).await;
    let (_, body) = app
        .gql(
            None,
            "{ categories { name activeProducts children { name activeProducts } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["categories"],
        json!([{ "name": "Home", "activeProducts": 0, "children": [{ "name": "Kitchen", "activeProducts": 1 }] }])
    );
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $p: ID) { moveCategory(id: $id, parentId: $p) { id } }",
            json!({ "id": home, "p": kitchen }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_STATE"), "no cycles");
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { deleteCategory(id: $id) }",
            json!({ "id": kitchen }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_STATE"),
        "not while it holds products"
    );
    let mut unknown = input("Lost", &[("LOST", 0)], 100);
    unknown["categoryId"] = json!("64b7f0c2a1b2c3d4e5f60718");
    let (_, body) = app
        .gql(Some(&vendor), CREATE, json!({ "i": unknown }))
        .await;
    assert_eq!(code(&body), Some("UNKNOWN_CATEGORY"));
}

#[tokio::test]
async fn bad_input_gets_typed_errors_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = input("Thing", &[("THING-1", 0)], 100);
        edit(&mut value);
        json!({ "i": value })
    };
    let many: Vec<Value> = (0..10_000)
        .map(|i| json!({ "sku": format!("V-{i}") }))
        .collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "zero price",
            with(&|v| v["price"]["amount"] = json!(0)),
            "INVALID_PRICE",
        ),
        (
            "negative price",
            with(&|v| v["price"]["amount"] = json!(-5)),
            "INVALID_PRICE",
        ),
        (
            "unknown currency",
            with(&|v| v["price"]["currency"] = json!("XYZ")),
            "INVALID_CURRENCY",
        ),
        (
            "10,000 variants",
            with(&|v| v["variants"] = json!(many.clone())),
            "INVALID_ARGUMENT",
        ),
        (
            "no variants",
            with(&|v| v["variants"] = json!([])),
            "INVALID_ARGUMENT",
        ),
        (
            "20 KB description",
            with(&|v| v["description"] = json!("d".repeat(20_000))),
            "INVALID_ARGUMENT",
        ),
        (
            "empty title",
            with(&|v| v["title"] = json!("  ")),
            "INVALID_ARGUMENT",
        ),
        (
            "bad sku",
            with(&|v| v["variants"][0]["sku"] = json!("has space")),
            "INVALID_SKU",
        ),
        (
            "script image",
            with(&|v| v["images"] = json!(["javascript:alert(1)"])),
            "INVALID_ARGUMENT",
        ),
        (
            "malformed category",
            with(&|v| v["categoryId"] = json!("{\"$gt\": \"\"}")),
            "INVALID_ID",
        ),
    ];
    for (case, variables, expected) in cases {
        let (_, body) = app.gql(Some(&vendor), CREATE, variables).await;
        assert_eq!(code(&body), Some(expected), "{case}: {body}");
    }
    let huge = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&vendor)
        .json(&json!({ "query": CREATE, "variables": with(&|v| v["description"] = json!("d".repeat(1 << 20))) }))
        .send()
        .await
        .expect("send");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for (document, expected) in [
        ("{ product(id: \"not-an-id\") { id } }", "INVALID_ID"),
        (
            "{ products(first: 101) { edges { cursor } } }",
            "INVALID_ARGUMENT",
        ),
        (
            "{ products(after: \"bm9wZQ\") { edges { cursor } } }",
            "INVALID_ARGUMENT",
        ),
    ] {
        let (_, body) = app.gql(None, document, json!({})).await;
        assert_eq!(code(&body), Some(expected), "{document}: {body}");
    }
    assert_eq!(stored_products(&app).await, 0);
    let (_, body) = app
        .gql(
            Some(&vendor),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["stockItems"]["edges"],
        json!([]),
        "no stock item was created either"
    );
}

#[tokio::test]
async fn a_vendor_page_lists_that_vendor_products_only() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let vendor = app.token(Role::Owner, Some(tenant));
    let other = app.new_vendor().await;
    product(&app, &vendor, "Ours", &[("OURS", 1)], 100).await;
    product(&app, &other, "Theirs", &[("THEIRS", 1)], 100).await;
    let slug = format!("test-{}", tenant.as_uuid().simple());
    let page =
        "query($s: String!) { vendor(slug: $s) { slug products { edges { node { title } } } } }";
    let (_, body) = app.gql(None, page, json!({ "s": slug })).await;
    assert_eq!(
        body["data"]["vendor"]["products"]["edges"],
        json!([{ "node": { "title": "Ours" } }]),
        "{body}"
    );
    let (_, body) = app.gql(None, page, json!({ "s": "no-such-vendor" })).await;
    assert!(body["data"]["vendor"].is_null());
}
