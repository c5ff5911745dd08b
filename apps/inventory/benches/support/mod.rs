//! What the inventory benchmarks share: seeding stock and summing up latencies.

use std::time::Duration;

use souk_tenants::TenantId;
use sqlx::PgPool;

/// Units of every seeded SKU: more than any run can reserve.
pub const STOCK: i64 = 1_000_000_000;

/// Throughput and latency of one run.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

impl Outcome {
    /// The outcome of `latencies` (one per reservation) over a run of `length`.
    pub fn of(mut latencies: Vec<Duration>, length: Duration) -> Self {
        latencies.sort();
        let percentile = |p: f64| {
            let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
            latencies.get(index).copied().unwrap_or_default()
        };
        Outcome {
            per_second: latencies.len() as f64 / length.as_secs_f64(),
            p50: percentile(0.50),
            p99: percentile(0.99),
        }
    }
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Seeds `skus` stock items (and their `created` ledger rows) for a fresh tenant.
pub async fn seed(owner: &PgPool, tenant: TenantId, skus: usize) -> anyhow::Result<()> {
    let count = i32::try_from(skus)?;
    sqlx::query(
        "WITH items AS (
             INSERT INTO inventory.stock_items (tenant_id, sku, on_hand)
             SELECT $1, 'SKU-' || i, $2 FROM generate_series(1, $3) AS i
             RETURNING tenant_id, sku, on_hand
         )
         INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                       on_hand_after, reserved_after, actor)
         SELECT tenant_id, sku, 'created', on_hand, 0, on_hand, 0, 'bench' FROM items",
    )
    .bind(tenant.as_uuid())
    .bind(STOCK)
    .bind(count)
    .execute(owner)
    .await?;
    // Fresh statistics, so no run goes while autovacuum catches up.
    sqlx::query("ANALYZE inventory.stock_items, inventory.ledger, inventory.reservations")
        .execute(owner)
        .await?;
    Ok(())
}
