//! Reservation throughput against the local PostgreSQL: Souk's design (one
//! conditional UPDATE per line, ledger in the same statement) versus the original
//! service's design (SELECT … FOR UPDATE, then UPDATE, then a history INSERT, in
//! one transaction), for one hot SKU and for 10,000 SKUs at random, at 1, 8 and 64
//! concurrent workers. Prints reservations/s, p50 and p99, the ratio Souk ÷
//! original, and checks the invariants after every run.
//!
//! `cargo bench -p souk-inventory --bench reserve` (`BENCH_SECONDS` per run, default 3).

use souk_tenants::Scope;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use souk_inventory::domain::{OrderId, Quantity, ReservationLine, ReservationRequest, Sku, Ttl};
use souk_inventory::{Inventory, PgInventory};
use souk_migrations::testing::TestDatabase;
use souk_tenants::{TenantId, TenantTx};
use sqlx::PgPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Design {
    Souk,
    Original,
}

#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    skus: usize,
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "hot SKU",
        skus: 1,
    },
    Scenario {
        name: "10,000 SKUs",
        skus: 10_000,
    },
];
const WORKERS: [usize; 3] = [1, 8, 64];

mod support;

use support::{ms, seed, Outcome};

/// The original service's reserve: read-lock, check, write, history.
async fn reserve_original(
    pool: &PgPool,
    tenant: TenantId,
    sku: &str,
    order: &str,
) -> anyhow::Result<bool> {
    let mut tx = TenantTx::begin(pool, tenant).await?;
    let row = sqlx::query!(
        "SELECT on_hand, reserved FROM inventory.stock_items
         WHERE tenant_id = $1 AND sku = $2 FOR UPDATE",
        tenant.as_uuid(),
        sku,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some((on_hand, reserved)) = row.map(|row| (row.on_hand, row.reserved)) else {
        return Ok(false);
    };
    if on_hand - reserved < 1 {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE inventory.stock_items SET reserved = reserved + 1, updated_at = now()
         WHERE tenant_id = $1 AND sku = $2",
        tenant.as_uuid(),
        sku,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                       on_hand_after, reserved_after, reference, actor)
         VALUES ($1, $2, 'reserved', 0, 1, $3, $4, $5, 'bench')",
        tenant.as_uuid(),
        sku,
        on_hand,
        reserved + 1,
        order,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn run(
    db: &TestDatabase,
    inventory: &PgInventory,
    design: Design,
    scenario: Scenario,
    workers: usize,
    length: Duration,
) -> anyhow::Result<Outcome> {
    let tenant = TenantId::generate();
    seed(&db.owner, tenant, scenario.skus).await?;
    let deadline = Instant::now() + length;
    let sequence = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(workers);
    for worker in 0..workers {
        let pool = db.app.clone();
        let inventory = inventory.clone();
        let sequence = sequence.clone();
        let skus = scenario.skus;
        handles.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64);
            let scope = Scope {
                tenant,
                actor: "bench".into(),
            };
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sku = format!("SKU-{}", rng.gen_range(1..=skus));
                let order = format!("bench-{}", sequence.fetch_add(1, Ordering::Relaxed));
                let started = Instant::now();
                let reserved = match design {
                    Design::Souk => {
                        let request = ReservationRequest::new(
                            OrderId::parse(&order)?,
                            vec![ReservationLine {
                                sku: Sku::parse(&sku)?,
                                quantity: Quantity::parse(1)?,
                            }],
                            Ttl::DEFAULT,
                        )?;
                        match inventory.reserve(&scope, request).await {
                            Ok(_) => true,
                            Err(err) => anyhow::bail!("{err:?}"),
                        }
                    }
                    Design::Original => reserve_original(&pool, tenant, &sku, &order).await?,
                };
                anyhow::ensure!(reserved, "a reservation failed with stock to spare");
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.await??);
    }
    check_invariants(db, inventory, design, tenant, latencies.len()).await?;
    Ok(Outcome::of(latencies, length))
}

/// Stock rows agree with their ledger (and, for Souk, with the reservations), and
/// every committed reservation is counted exactly once.
async fn check_invariants(
    db: &TestDatabase,
    inventory: &PgInventory,
    design: Design,
    tenant: TenantId,
    committed: usize,
) -> anyhow::Result<()> {
    let totals = sqlx::query!(
        r#"SELECT coalesce(sum(reserved), 0)::bigint AS "reserved!",
                  count(*) FILTER (WHERE on_hand < reserved OR reserved < 0) AS "negative!"
           FROM inventory.stock_items WHERE tenant_id = $1"#,
        tenant.as_uuid(),
    )
    .fetch_one(&db.owner)
    .await?;
    let (reserved, negative) = (totals.reserved, totals.negative);
    anyhow::ensure!(negative == 0, "negative availability");
    anyhow::ensure!(
        reserved == i64::try_from(committed)?,
        "reserved {reserved} != {committed} committed"
    );
    match design {
        Design::Souk => {
            let found = inventory.audit(tenant).await?;
            anyhow::ensure!(found.is_empty(), "discrepancies: {found:?}");
        }
        Design::Original => {
            let drift = sqlx::query_scalar!(
                r#"SELECT count(*) AS "drift!" FROM inventory.stock_items s
                   WHERE s.tenant_id = $1 AND s.reserved <> (
                       SELECT coalesce(sum(reserved_change), 0) FROM inventory.ledger l
                       WHERE l.tenant_id = s.tenant_id AND l.sku = s.sku)"#,
                tenant.as_uuid(),
            )
            .fetch_one(&db.owner)
            .await?;
            anyhow::ensure!(drift == 0, "{drift} rows disagree with their ledger");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let length = Duration::from_secs(seconds);
    let db = TestDatabase::with_app_pool_size(72).await;
    let inventory = PgInventory::new(
        db.app.clone(),
        souk_tenants::PlatformPool::new(db.platform.clone()),
    );
    println!(
        "reservations against PostgreSQL, {seconds} s per run, invariants checked after each\n"
    );
    println!(
        "{:<12} {:>7} | {:>12} {:>8} {:>8} | {:>12} {:>8} {:>8} | {:>7} {:>9}",
        "scenario",
        "workers",
        "souk res/s",
        "p50 ms",
        "p99 ms",
        "orig res/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "p99 ratio"
    );
    for scenario in SCENARIOS {
        for workers in WORKERS {
            let souk = run(&db, &inventory, Design::Souk, scenario, workers, length).await?;
            let original =
                run(&db, &inventory, Design::Original, scenario, workers, length).await?;
            println!(
                "{:<12} {:>7} | {:>12.0} {:>8.2} {:>8.2} | {:>12.0} {:>8.2} {:>8.2} | {:>6.2}x {:>8.2}x",
                scenario.name,
                workers,
                souk.per_second,
                ms(souk.p50),
                ms(souk.p99),
                original.per_second,
                ms(original.p50),
                ms(original.p99),
                souk.per_second / original.per_second,
                ms(souk.p99) / ms(original.p99),
            );
        }
    }
    println!(
        "\nratio = Souk ÷ original reservations/s; p99 ratio below 1 means Souk's p99 is lower"
    );
    Ok(())
}
