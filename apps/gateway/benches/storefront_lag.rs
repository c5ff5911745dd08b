//! How stale the storefront's read model gets: the time from a stock change
//! (selling a product's last unit, restocking it) to the storefront's
//! `products(inStock: true)` showing it, idle and while 8 clients keep taking
//! and giving back the last unit of 200 other products (every one of those
//! changes crosses zero, so each is work for the projector). p50, p99, max.
//!
//! `scripts/bench lag` runs it (`BENCH_SECONDS` of background load, default 5).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use support::{post, product, run_length, serve, vendor, Served};

const ROUNDS: usize = 40;
const CHURN_SKUS: usize = 200;
const CHURN_CLIENTS: usize = 8;

const ADJUST: &str = "mutation($sku: String!, $d: Int!) {
    adjustStock(sku: $sku, delta: $d, reason: \"count\") { available } }";
const SHOWN: &str =
    "query { products(inStock: true, search: \"watched\") { edges { node { id } } } }";

/// Polls the storefront until the watched product's presence is `listed`.
async fn until_shown(
    client: &reqwest::Client,
    served: &Served,
    listed: bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = post(client, &served.url, None, &json!({ "query": SHOWN })).await?;
        let shown = body["data"]["products"]["edges"]
            .as_array()
            .is_some_and(|edges| !edges.is_empty());
        if shown == listed {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the storefront never caught up: {body}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Sells out and restocks the watched product `ROUNDS` times; every lag.
async fn lags(
    client: &reqwest::Client,
    served: &Served,
    token: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut lags = Vec::with_capacity(ROUNDS * 2);
    for _ in 0..ROUNDS {
        for (delta, listed) in [(-1, false), (1, true)] {
            let vars = json!({ "sku": "WATCHED", "d": delta });
            let body = post(
                client,
                &served.url,
                Some(token),
                &json!({ "query": ADJUST, "variables": vars }),
            )
            .await?;
            anyhow::ensure!(body["errors"].is_null(), "{body}");
            let changed = Instant::now();
            until_shown(client, served, listed).await?;
            lags.push(changed.elapsed());
        }
    }
    Ok(lags)
}

fn report(label: &str, mut lags: Vec<Duration>) {
    lags.sort();
    let at = |q: f64| {
        lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)].as_secs_f64() * 1000.0
    };
    println!(
        "{label:<44} {:>4} changes   p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms",
        lags.len(),
        at(0.5),
        at(0.99),
        lags.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    // Metering off: the churn alone would use up a free plan's monthly requests.
    let served = serve("metering = false").await?;
    let client = reqwest::Client::new();
    let token = vendor(&served, "Lag vendor", "lag-vendor").await?;
    product(
        &client,
        &served,
        &token,
        "The watched product",
        1000,
        &[("WATCHED".into(), 1)],
    )
    .await?;
    for i in 0..CHURN_SKUS {
        product(
            &client,
            &served,
            &token,
            &format!("Churn {i}"),
            1000,
            &[(format!("CHURN-{i}"), 1)],
        )
        .await?;
    }
    until_shown(&client, &served, true).await?;
    println!(
        "from a stock change to the storefront (projector tick 100 ms), {} cores\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    report("idle", lags(&client, &served, &token).await?);

    let stop = CancellationToken::new();
    let churners: Vec<_> = (0..CHURN_CLIENTS)
        .map(|i| tokio::spawn(churn_owned(&served, token.clone(), i, stop.clone())))
        .collect();
    let started = Instant::now();
    let busy = lags(&client, &served, &token).await?;
    tokio::time::sleep(length.saturating_sub(started.elapsed())).await;
    stop.cancel();
    let mut changes = 0;
    for churner in churners {
        changes += churner.await??;
    }
    report(
        &format!("{CHURN_CLIENTS} clients changing other stock across zero"),
        busy,
    );
    println!(
        "  (background: {changes} stock changes in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Takes and gives back the last unit of the churn SKUs until `stop`; how many
/// changes it made.
fn churn_owned(
    served: &Served,
    token: String,
    client_no: usize,
    stop: CancellationToken,
) -> impl std::future::Future<Output = anyhow::Result<usize>> + Send + 'static {
    let url = served.url.clone();
    async move {
        let client = reqwest::Client::new();
        let mut changes = 0;
        let mut n = client_no;
        while !stop.is_cancelled() {
            let sku = format!("CHURN-{}", n % CHURN_SKUS);
            for delta in [-1, 1] {
                let vars = json!({ "sku": sku, "d": delta });
                post(
                    &client,
                    &url,
                    Some(&token),
                    &json!({ "query": ADJUST, "variables": vars }),
                )
                .await?;
                changes += 1;
            }
            n += CHURN_CLIENTS;
        }
        Ok(changes)
    }
}
