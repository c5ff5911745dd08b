//! `souk seed marketplace`'s generator: exactly the planned vendors, published
//! products and stock items, with the contents the seed plans, and a re-run on
//! the same databases adds nothing.

use serde_json::{json, Value};
use souk_gateway::marketplace::{plan, seed, Services, Size};

use crate::support::TestApp;

const SIZE: Size = Size {
    vendors: 3,
    products: 5,
    seed: 99,
};

/// A product as the storefront lists it: title, price, and each variant's SKU
/// and availability.
type Listed = (String, i64, Vec<(String, i64)>);

#[tokio::test]
async fn seeds_the_planned_marketplace_once() {
    let app = TestApp::spawn().await;
    let services = Services::connect(&app.db.app_url, &app.db.platform_url, &app.mongo.url, 4)
        .await
        .expect("connect");
    let planned = planned();
    let stock_items: usize = planned.iter().map(|(_, _, variants)| variants.len()).sum();

    let report = seed(&services, SIZE, 4, &|_| {}).await.expect("seed");
    let made = (
        report.vendors_created,
        report.products_created,
        report.stock_items_created,
    );
    assert_eq!(made, (3, 15, stock_items));
    assert_eq!(counts(&app).await, (3, stock_items as i64));
    assert_eq!(storefront(&app).await, planned);

    let again = seed(&services, SIZE, 4, &|_| {}).await.expect("seed again");
    assert_eq!(
        (
            again.vendors_skipped,
            again.vendors_created,
            again.products_created
        ),
        (3, 0, 0)
    );
    assert_eq!(counts(&app).await, (3, stock_items as i64));
    assert_eq!(storefront(&app).await, planned);
}

/// What the seed plans, sorted.
fn planned() -> Vec<Listed> {
    let mut planned: Vec<Listed> = (0..SIZE.vendors)
        .flat_map(|v| (0..SIZE.products).map(move |p| plan::product(SIZE.seed, v, p)))
        .map(|p| {
            let variants = p.variants.into_iter().map(|v| (v.sku, v.on_hand)).collect();
            (p.title, p.price, variants)
        })
        .collect();
    planned.sort();
    planned
}

/// Seeded vendors and stock items, counted in the database.
async fn counts(app: &TestApp) -> (i64, i64) {
    let vendors = sqlx::query_scalar(
        "SELECT count(*) FROM tenancy.tenants WHERE slug LIKE 'market-%' AND status = 'active'",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("count vendors");
    let stock = sqlx::query_scalar("SELECT count(*) FROM inventory.stock_items")
        .fetch_one(&app.db.owner)
        .await
        .expect("count stock items");
    (vendors, stock)
}

/// Every product the storefront lists, sorted.
async fn storefront(app: &TestApp) -> Vec<Listed> {
    let (_, body) = app
        .gql(
            None,
            "{ products(first: 100) { edges { node { title price { amount } variants { sku availability } } } } }",
            json!({}),
        )
        .await;
    let edges = body["data"]["products"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let mut listed: Vec<Listed> = edges.iter().map(|e| listed(&e["node"])).collect();
    listed.sort();
    listed
}

fn listed(node: &Value) -> Listed {
    let variants = node["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let sku = v["sku"].as_str().unwrap_or_default().to_string();
            (sku, v["availability"].as_i64().unwrap_or(-1))
        })
        .collect();
    let title = node["title"].as_str().unwrap_or_default().to_string();
    (
        title,
        node["price"]["amount"].as_i64().unwrap_or(-1),
        variants,
    )
}
