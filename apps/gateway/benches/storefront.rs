//! The storefront's product list through the gateway: 20 products with each
//! variant's availability (one batched inventory call), without and with each
//! product's first image (one batched media read), at 16 and 64 concurrent
//! connections: requests/s, p50 and p99.
//!
//! `scripts/bench` runs it (`BENCH_SECONDS` per run, default 5).

mod support;

use serde_json::json;

use support::{figures, image, load, product, run_length, serve, vendor};

const VENDORS: usize = 3;
const PRODUCTS_PER_VENDOR: usize = 30;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let served = serve("").await?;
    let client = reqwest::Client::new();
    for v in 0..VENDORS {
        let token = vendor(&served, &format!("Vendor {v}"), &format!("vendor-{v}")).await?;
        for p in 0..PRODUCTS_PER_VENDOR {
            let variants = [(format!("P{p}-S"), 10), (format!("P{p}-M"), 5)];
            let title = format!("Product {v}-{p}");
            let id = product(&client, &served, &token, &title, 1000 + p as i64, &variants).await?;
            image(
                &client,
                &served,
                &token,
                &id,
                &souk_gateway::demo::picture(&title),
            )
            .await?;
        }
    }
    let plain = "{ products(first: 20) { edges { node { id title price { amount currency } variants { sku availability } } } } }";
    let pictured = "{ products(first: 20) { edges { node { id title price { amount currency } variants { sku availability } images(first: 1) { url(width: 480) srcset alt } } } } }";
    println!(
        "storefront list of 20 products with availability, {} vendors x {} products, {} s per run, {} cores\n",
        VENDORS,
        PRODUCTS_PER_VENDOR,
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for (what, query) in [("without images", plain), ("with images", pictured)] {
        for connections in [16, 64] {
            let f = figures(
                load(
                    &served.url,
                    connections,
                    length,
                    json!({ "query": query }),
                    "products",
                )
                .await?,
                length,
            );
            println!(
                "{what:<15} {connections:>2} connections: {:>8.1} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
                f.per_second, f.p50_ms, f.p99_ms
            );
        }
    }
    Ok(())
}
