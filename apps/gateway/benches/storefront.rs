//! The storefront's product list through the gateway: 20 products with each
//! variant's availability (one batched inventory call), at 16 and 64 concurrent
//! connections: requests/s, p50 and p99.
//!
//! `scripts/bench` runs it (`BENCH_SECONDS` per run, default 5).

mod support;

use serde_json::json;
use souk_tenants::{Role, TenantId};

use support::{figures, load, post, run_length, serve};

const VENDORS: usize = 3;
const PRODUCTS_PER_VENDOR: usize = 30;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let served = serve("").await?;
    let client = reqwest::Client::new();
    for v in 0..VENDORS {
        let tenant = TenantId::generate();
        sqlx::query("INSERT INTO tenancy.tenants (id, name, slug, status, created_by) VALUES ($1, $2, $3, 'active', $1)")
            .bind(tenant.as_uuid())
            .bind(format!("Vendor {v}"))
            .bind(format!("vendor-{v}"))
            .execute(&served.db.owner)
            .await?;
        let token = served.issuer.issue(
            "bench",
            Some(tenant),
            Role::Owner,
            std::time::Duration::from_secs(3600),
        )?;
        for p in 0..PRODUCTS_PER_VENDOR {
            let created = post(
                &client,
                &served.url,
                Some(&token),
                &json!({
                    "query": "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
                    "variables": { "i": {
                        "title": format!("Product {v}-{p}"),
                        "description": "A benchmark product",
                        "price": { "amount": 1000 + p, "currency": "EUR" },
                        "variants": [
                            { "sku": format!("P{p}-S"), "initialStock": 10 },
                            { "sku": format!("P{p}-M"), "initialStock": 5 },
                        ],
                    } },
                }),
            )
            .await?;
            let id = created["data"]["createProduct"]["id"].clone();
            anyhow::ensure!(id.is_string(), "{created}");
            post(
                &client,
                &served.url,
                Some(&token),
                &json!({
                    "query": "mutation($id: ID!) { publishProduct(id: $id) { status } }",
                    "variables": { "id": id },
                }),
            )
            .await?;
        }
    }
    let list = json!({ "query": "{ products(first: 20) { edges { node { id title price { amount currency } variants { sku availability } } } } }" });
    println!(
        "storefront list of 20 products with availability, {} vendors x {} products, {} s per run, {} cores\n",
        VENDORS,
        PRODUCTS_PER_VENDOR,
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for connections in [16, 64] {
        let f = figures(
            load(&served.url, connections, length, list.clone(), "products").await?,
            length,
        );
        println!(
            "{connections:>2} connections: {:>8.1} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
            f.per_second, f.p50_ms, f.p99_ms
        );
    }
    Ok(())
}
