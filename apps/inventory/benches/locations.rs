//! Stock locations on the reservation hot path. The same reservations as the
//! `reserve` bench (one unit of a hot SKU, or of one of 10,000 SKUs at random, at
//! 1, 8 and 64 workers, through `Inventory::reserve`) against the schema before
//! stock locations and after it, side by side in one run, for a vendor that keeps
//! its stock at one location; then a vendor with three locations whose every
//! line splits: two units of a SKU that has one at each of two locations, a
//! fresh SKU each time. Every pair runs twice, in the order before, after,
//! after, before; the figures are the means. Invariants are checked after every
//! run.
//!
//! `cargo bench -p souk-inventory --bench locations` (`BENCH_SECONDS` per run, default 3).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use souk_inventory::domain::{OrderId, Quantity, ReservationLine, ReservationRequest, Sku, Ttl};
use souk_inventory::{Inventory, PgInventory};
use souk_migrations::testing::TestDatabase;
use souk_tenants::{Scope, TenantId};

mod support;

use support::{ms, seed, Outcome, STOCK};

/// The migration that brought stock locations.
const LOCATIONS: i64 = 20261203000200;
const WORKERS: [usize; 3] = [1, 8, 64];
const SCENARIOS: [(&str, usize); 2] = [("hot SKU", 1), ("10,000 SKUs", 10_000)];

/// One schema under test: its database and the inventory on it.
struct Side {
    db: TestDatabase,
    inventory: PgInventory,
    /// Whether its schema has stock locations (and the audit that checks them).
    located: bool,
}

impl Side {
    async fn new(db: TestDatabase, located: bool) -> Self {
        let inventory = PgInventory::new(
            db.app.clone(),
            souk_tenants::PlatformPool::new(db.platform.clone()),
        );
        Self {
            db,
            inventory,
            located,
        }
    }
}

/// SKUs a split run draws from, one per reservation: more than any run reserves.
const SPLIT_SKUS: usize = 30_000;

/// Gives every SKU of `tenant` two units, one at the default location and one at
/// `east` (a third location, `west`, has none), with the ledger rows the
/// adjustment and the transfer would write: a two-unit line has no location that
/// can fill it alone, and splits.
async fn spread(side: &Side, tenant: TenantId) -> anyhow::Result<()> {
    sqlx::query(
        "WITH places AS (
             INSERT INTO inventory.locations (tenant_id, code, name, priority, is_default)
             VALUES ($1, 'main', 'Main', 0, true), ($1, 'east', 'East', 1, false),
                    ($1, 'west', 'West', 2, false)
             RETURNING id, code
         ), rows AS (
             INSERT INTO inventory.location_stock (tenant_id, sku, location_id, on_hand)
             SELECT $1, s.sku, p.id, 1
             FROM inventory.stock_items s CROSS JOIN places p
             WHERE s.tenant_id = $1 AND p.code = 'east'
         ), flagged AS (
             UPDATE inventory.stock_items SET spread = true, on_hand = 2 WHERE tenant_id = $1
         )
         INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                       on_hand_after, reserved_after, actor, location_id)
         SELECT $1, s.sku, m.kind, m.change, 0, m.after, 0, 'bench', m.location_id
         FROM inventory.stock_items s
         CROSS JOIN LATERAL (VALUES
             (1, 'adjusted', NULL::uuid, 2 - $2, 2::bigint),
             (2, 'transferred', NULL::uuid, -1, 1),
             (3, 'transferred', (SELECT id FROM places WHERE code = 'east'), 1, 2)
         ) AS m(step, kind, location_id, change, after)
         WHERE s.tenant_id = $1
         ORDER BY s.sku, m.step",
    )
    .bind(tenant.as_uuid())
    .bind(STOCK)
    .execute(&side.db.owner)
    .await?;
    Ok(())
}

async fn run(
    side: &Side,
    skus: usize,
    workers: usize,
    units: i64,
    length: Duration,
    located: bool,
) -> anyhow::Result<(Outcome, f64)> {
    let tenant = TenantId::generate();
    seed(&side.db.owner, tenant, skus).await?;
    if located {
        spread(side, tenant).await?;
    }
    let deadline = Instant::now() + length;
    let sequence = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            let inventory = side.inventory.clone();
            let sequence = sequence.clone();
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64);
                let scope = Scope {
                    tenant,
                    actor: "bench".into(),
                };
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    // A split run takes a fresh SKU each time: each has one line's worth.
                    let sku = if located {
                        1 + n as usize % skus
                    } else {
                        rng.gen_range(1..=skus)
                    };
                    let request = ReservationRequest::new(
                        OrderId::parse(&format!("bench-{n}"))?,
                        vec![ReservationLine {
                            sku: Sku::parse(&format!("SKU-{sku}"))?,
                            quantity: Quantity::parse(units)?,
                        }],
                        Ttl::DEFAULT,
                    )?;
                    let started = Instant::now();
                    if let Err(err) = inventory.reserve(&scope, request).await {
                        anyhow::bail!("a reservation failed with stock to spare: {err:?}");
                    }
                    latencies.push(started.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.await??);
    }
    let split = check(side, tenant, latencies.len() as i64 * units).await?;
    Ok((Outcome::of(latencies, length), split))
}

/// Reserved stock is what the run held, nothing is negative, the stock rows
/// agree with their ledger (with the locations' audit where the schema has
/// them); answers the share of lines held at more than one location.
async fn check(side: &Side, tenant: TenantId, held: i64) -> anyhow::Result<f64> {
    let (reserved, negative, drift): (i64, i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(reserved), 0)::bigint,
                count(*) FILTER (WHERE on_hand < reserved OR reserved < 0),
                count(*) FILTER (WHERE reserved <> (
                    SELECT coalesce(sum(reserved_change), 0) FROM inventory.ledger l
                    WHERE l.tenant_id = s.tenant_id AND l.sku = s.sku))
         FROM inventory.stock_items s WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&side.db.owner)
    .await?;
    anyhow::ensure!(
        negative == 0 && drift == 0,
        "{negative} negative, {drift} adrift"
    );
    anyhow::ensure!(reserved == held, "reserved {reserved} != {held} held");
    if !side.located {
        return Ok(0.0);
    }
    let found = side.inventory.audit(tenant).await?;
    anyhow::ensure!(found.is_empty(), "discrepancies: {found:?}");
    let (split, lines): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE parts > 1), count(*) FROM (
             SELECT count(*) AS parts FROM inventory.allocation_parts
             WHERE tenant_id = $1 GROUP BY order_id, sku) l",
    )
    .bind(tenant.as_uuid())
    .fetch_one(&side.db.owner)
    .await?;
    Ok(split as f64 / lines.max(1) as f64)
}

fn mean(a: Outcome, b: Outcome) -> Outcome {
    Outcome {
        per_second: (a.per_second + b.per_second) / 2.0,
        p50: (a.p50 + b.p50) / 2,
        p99: (a.p99 + b.p99) / 2,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let length = Duration::from_secs(seconds);
    let before = Side::new(TestDatabase::migrated_before(LOCATIONS, 72).await, false).await;
    let after = Side::new(TestDatabase::with_app_pool_size(72).await, true).await;
    println!("reservations through Inventory::reserve, {seconds} s per run, each pair twice (before, after, after, before)\n");
    println!(
        "{:<12} {:>7} | {:>14} {:>8} {:>8} | {:>14} {:>8} {:>8} | {:>7}",
        "one location",
        "workers",
        "before res/s",
        "p50 ms",
        "p99 ms",
        "after res/s",
        "p50 ms",
        "p99 ms",
        "change"
    );
    for (name, skus) in SCENARIOS {
        for workers in WORKERS {
            let (b1, _) = run(&before, skus, workers, 1, length, false).await?;
            let (a1, _) = run(&after, skus, workers, 1, length, false).await?;
            let (a2, _) = run(&after, skus, workers, 1, length, false).await?;
            let (b2, _) = run(&before, skus, workers, 1, length, false).await?;
            let (b, a) = (mean(b1, b2), mean(a1, a2));
            println!(
                "{name:<12} {workers:>7} | {:>14.0} {:>8.2} {:>8.2} | {:>14.0} {:>8.2} {:>8.2} | {:>+6.1}%",
                b.per_second, ms(b.p50), ms(b.p99), a.per_second, ms(a.p50), ms(a.p99),
                (a.per_second / b.per_second - 1.0) * 100.0,
            );
        }
    }
    println!(
        "\n{:<12} {:>7} | {:>14} {:>8} {:>8} | {:>12}",
        "3 locations", "workers", "res/s", "p50 ms", "p99 ms", "lines split"
    );
    for workers in WORKERS {
        let (o, split) = run(&after, SPLIT_SKUS, workers, 2, length, true).await?;
        println!(
            "{:<12} {workers:>7} | {:>14.0} {:>8.2} {:>8.2} | {:>11.0}%",
            "split lines",
            o.per_second,
            ms(o.p50),
            ms(o.p99),
            split * 100.0,
        );
    }
    println!("\nchange = after ÷ before − 1 (reservations/s); 3 locations: two-unit lines of a fresh SKU each, one unit at each of two locations (the third has none), so every line splits");
    Ok(())
}
