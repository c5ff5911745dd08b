//! The cost of metering and rate limiting: a cheap tenant-scoped query through
//! two gateways in the same run, one counting every request and checking its
//! tenant's plan rate and quota, one with both off. Runs alternate between the
//! two so that drift on the machine affects both alike. Prints requests/s, p50
//! and p99 of each and the overhead.
//!
//! `scripts/bench metering` runs it (`BENCH_SECONDS` per run, default 5).

mod support;

use serde_json::json;

use support::{figures, load_as, run_length, serve, vendor, Served};

const CLIENTS: usize = 32;
const ROUNDS: usize = 3;

/// A vendor on a plan whose rate is never reached: every request goes through
/// the limiter and the quota check and is admitted.
async fn vendor_on_a_wide_plan(served: &Served) -> anyhow::Result<String> {
    let token = vendor(served, "Metered vendor", "metered-vendor").await?;
    sqlx::query(
        "INSERT INTO billing.plans (code, name, price_amount, currency, included_requests, \
         overage_per_thousand, rate_per_second, burst, over_quota) \
         VALUES ('bench', 'Bench', 0, 'EUR', 1000000000000, 0, 100000, 100000, 'reject')",
    )
    .execute(&served.db.owner)
    .await?;
    sqlx::query("UPDATE billing.subscriptions SET plan_code = 'bench'")
        .execute(&served.db.owner)
        .await?;
    Ok(token)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let length = run_length(5);
    let on = serve("metering = true\nrate_limits = true").await?;
    let off = serve("metering = false\nrate_limits = false").await?;
    let on_token = vendor_on_a_wide_plan(&on).await?;
    let off_token = vendor_on_a_wide_plan(&off).await?;
    let query = json!({ "query": "{ __typename }" });
    println!(
        "a cheap tenant-scoped query (vendor token, `{{ __typename }}`), {CLIENTS} connections, \
         {ROUNDS} alternating rounds of {} s, {} cores\n",
        length.as_secs(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        with.extend(
            load_as(
                &on.url,
                Some(&on_token),
                CLIENTS,
                length,
                query.clone(),
                "__typename",
            )
            .await?,
        );
        without.extend(
            load_as(
                &off.url,
                Some(&off_token),
                CLIENTS,
                length,
                query.clone(),
                "__typename",
            )
            .await?,
        );
    }
    let total = length * u32::try_from(ROUNDS).unwrap_or(1);
    let served = with.len();
    let (with, without) = (figures(with, total), figures(without, total));
    for (label, f) in [
        ("metering + rate limits on ", &with),
        ("metering + rate limits off", &without),
    ] {
        println!(
            "{label}: {:>8.1} requests/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
            f.per_second, f.p50_ms, f.p99_ms
        );
    }
    println!(
        "\noverhead: {:.1} % throughput, {:+.2} ms p99",
        (1.0 - with.per_second / without.per_second) * 100.0,
        with.p99_ms - without.p99_ms
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let counted: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(requests), 0)::bigint FROM billing.usage")
            .fetch_one(&on.db.owner)
            .await?;
    println!("the metered gateway served {served} requests and counted {counted}");
    Ok(())
}
