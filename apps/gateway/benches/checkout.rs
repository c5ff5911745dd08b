//! Checkouts through the gateway: carts spanning two vendors (one line each),
//! 16 concurrent customers, each checkout priced, split into two orders and
//! reserved in both vendors' inventories; then the same with each checkout
//! paid through the test provider (both orders paid, their holds confirmed,
//! the ledger written). Prints both runs' rate, p50 and p99 side by side, and
//! checks that every unit sold is held exactly once and every order paid.
//!
//! `scripts/bench checkout` (`BENCH_SECONDS` per run, default 5).

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use souk_tenants::Role;

use support::{figures, post, product, run_length, serve, vendor};

const CUSTOMERS: usize = 16;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let served = serve("logins_per_minute_per_ip = 100000000").await?;
    let client = reqwest::Client::new();
    let mut products = Vec::new();
    for (v, sku) in ["SKU-A", "SKU-B"].iter().enumerate() {
        let token = vendor(&served, &format!("Vendor {v}"), &format!("vendor-{v}")).await?;
        let id = product(
            &client,
            &served,
            &token,
            sku,
            1000,
            &[(sku.to_string(), 1_000_000_000)],
        )
        .await?;
        products.push((id, *sku));
    }
    let products = Arc::new(products);
    let sequence = Arc::new(AtomicU64::new(0));
    println!(
        "checkouts spanning two vendors, {CUSTOMERS} concurrent customers, {} s each, {} cores\n",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let mut total = 0;
    for pay in [false, true] {
        let latencies = run(&served, &products, &sequence, length, pay).await?;
        total += latencies.len() as i64;
        let reserved = sqlx::query_scalar!(
            r#"SELECT sum(reserved)::bigint AS "reserved!" FROM inventory.stock_items"#
        )
        .fetch_one(&served.db.owner)
        .await?;
        anyhow::ensure!(
            reserved == 2 * total,
            "{reserved} units reserved for {total} two-vendor checkouts"
        );
        let paid = sqlx::query!(
            r#"SELECT count(*) AS "charges!", count(DISTINCT order_id) AS "orders!"
               FROM payments.ledger WHERE kind = 'charge'"#
        )
        .fetch_one(&served.db.owner)
        .await?;
        let (charges, n) = (paid.charges, latencies.len());
        let expected = if pay { 2 * n as i64 } else { 0 };
        anyhow::ensure!(
            charges == expected && paid.orders == charges,
            "{charges} charges for {} vendor orders after {n} checkouts; {expected} expected, one each",
            paid.orders
        );
        let f = figures(latencies, length);
        println!(
            "{:<22}{:>8.1} /s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({n} checkouts; {reserved} units held, {charges} vendor orders paid)",
            if pay { "checkout + pay (test)" } else { "checkout only" },
            f.per_second,
            f.p50_ms,
            f.p99_ms
        );
    }
    Ok(())
}

/// `CUSTOMERS` customers checking out (and paying, with `pay`) for `length`;
/// each round trip's latency.
async fn run(
    served: &support::Served,
    products: &Arc<Vec<(String, &'static str)>>,
    sequence: &Arc<AtomicU64>,
    length: Duration,
    pay: bool,
) -> anyhow::Result<Vec<Duration>> {
    let deadline = Instant::now() + length;
    let mut tasks = Vec::new();
    for _ in 0..CUSTOMERS {
        let token = served.issuer.issue(
            &uuid::Uuid::new_v4().to_string(),
            None,
            Role::Customer,
            Duration::from_secs(3600),
        )?;
        let (url, products, sequence) = (served.url.clone(), products.clone(), sequence.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let key = sequence.fetch_add(1, Ordering::Relaxed);
                let lines: Vec<_> = products
                    .iter()
                    .map(|(id, sku)| json!({ "productId": id, "sku": sku, "quantity": 1 }))
                    .collect();
                let started = Instant::now();
                let answer = post(&client, &url, Some(&token), &json!({
                    "query": "mutation($i: CheckoutInput!) { checkout(input: $i) { checkoutId orders { id } } }",
                    "variables": { "i": { "lines": lines, "idempotencyKey": format!("bench-{key}"),
                        "shippingAddress": { "recipient": "Bench", "line1": "1 Souk St", "city": "Tunis", "postalCode": "1000", "country": "TN" } } },
                }))
                .await?;
                anyhow::ensure!(answer["data"]["checkout"]["orders"].as_array().map(Vec::len) == Some(2), "{answer}");
                if pay {
                    let checkout = answer["data"]["checkout"]["checkoutId"].clone();
                    let paid = post(&client, &url, Some(&token), &json!({
                        "query": "mutation($c: ID!) { payTestCheckout(checkoutId: $c) { status } }",
                        "variables": { "c": checkout },
                    }))
                    .await?;
                    anyhow::ensure!(paid["data"]["payTestCheckout"]["status"] == "SUCCEEDED", "{paid}");
                }
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(latencies)
}
