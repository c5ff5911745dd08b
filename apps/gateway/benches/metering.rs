//! The cost of metering and rate limiting: a cheap tenant-scoped query through
//! three gateways in the same run: one counting every request and checking its
//! tenant's plan rate in process (governor) and its quota, one doing the same with
//! the rate checked in Redis (one script call per request, shared by every
//! gateway), and one with both off. Runs alternate between them so that drift on
//! the machine affects all alike. Prints requests/s, p50 and p99 of each and the
//! overhead against the one with both off.
//!
//! `scripts/bench metering` (or `scripts/bench limits`) runs it (`BENCH_SECONDS`
//! per run, default 5; Redis at `SOUK_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`).

mod support;

use serde_json::json;

use support::{figures, load_as, run_length, serve, vendor, Served};

const CLIENTS: usize = 32;
const ROUNDS: usize = 3;

/// A vendor on a plan whose rate is never reached: every request goes through
/// the limiter and the quota check and is admitted.
async fn vendor_on_a_wide_plan(served: &Served) -> anyhow::Result<String> {
    let token = vendor(served, "Metered vendor", "metered-vendor").await?;
    sqlx::query!(
        "INSERT INTO billing.plans (code, name, price_amount, currency, included_requests,
         overage_per_thousand, rate_per_second, burst, over_quota)
         VALUES ('bench', 'Bench', 0, 'EUR', 1000000000000, 0, 100000, 100000, 'reject')",
    )
    .execute(&served.db.owner)
    .await?;
    sqlx::query!("UPDATE billing.subscriptions SET plan_code = 'bench'")
        .execute(&served.db.owner)
        .await?;
    Ok(token)
}

const GATEWAYS: [(&str, &str); 3] = [
    (
        "metering + rate limits in process",
        "metering = true\nrate_limits = true",
    ),
    (
        "metering + rate limits in Redis  ",
        "metering = true\nrate_limits = true",
    ),
    (
        "metering + rate limits off       ",
        "metering = false\nrate_limits = false",
    ),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let mut gateways = Vec::new();
    for (i, (label, settings)) in GATEWAYS.into_iter().enumerate() {
        let settings = if i == 1 {
            let (url, prefix) = (
                souk_limits::testing::redis_url(),
                souk_limits::testing::prefix(),
            );
            format!("{settings}\nredis_url = '{url}'\nredis_prefix = '{prefix}'")
        } else {
            settings.to_string()
        };
        let served = serve(&settings).await?;
        let token = vendor_on_a_wide_plan(&served).await?;
        gateways.push((label, served, token, Vec::new()));
    }
    let query = json!({ "query": "{ __typename }" });
    println!(
        "a cheap tenant-scoped query (vendor token, `{{ __typename }}`), {CLIENTS} connections, \
         {ROUNDS} alternating rounds of {} s, {} cores\n",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for _ in 0..ROUNDS {
        for (_, served, token, latencies) in &mut gateways {
            let round = load_as(
                &served.url,
                Some(token),
                CLIENTS,
                length,
                query.clone(),
                "__typename",
            );
            latencies.extend(round.await?);
        }
    }
    let total = length * u32::try_from(ROUNDS).unwrap_or(1);
    let served = gateways[0].3.len();
    let mut rows = Vec::new();
    for (label, _, _, latencies) in &mut gateways {
        rows.push((*label, figures(std::mem::take(latencies), total)));
    }
    let off = rows[2].1.per_second;
    for (label, f) in &rows {
        println!(
            "{label}: {:>8.1} requests/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {:+6.1} % throughput",
            f.per_second,
            f.p50_ms,
            f.p99_ms,
            (f.per_second / off - 1.0) * 100.0
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let counted = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(requests), 0)::bigint AS "counted!" FROM billing.usage"#
    )
    .fetch_one(&gateways[0].1.db.owner)
    .await?;
    println!("\nthe in-process metered gateway served {served} requests and counted {counted}");
    Ok(())
}
