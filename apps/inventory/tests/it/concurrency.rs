//! Concurrency claims, proven against the real PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use souk_inventory::domain::{Adjustment, Reason, ReserveError, SettleError, StockDelta, Ttl};
use souk_inventory::{Inventory, PgInventory};

use crate::support::{order, request, sku, Fixture};

#[tokio::test]
async fn two_hundred_buyers_for_fifty_units_exactly_fifty_win() {
    let f = Fixture::with_pool(40).await;
    f.stock("HOT", 50).await;
    let inventory = Arc::new(f.inventory.clone());
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let inventory = inventory.clone();
            let scope = f.scope();
            tokio::spawn(async move {
                inventory
                    .reserve(
                        &scope,
                        request(&format!("o{i}"), &[("HOT", 1)], Ttl::DEFAULT),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    let mut short = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => won += 1,
            Err(ReserveError::Insufficient(shortages)) => {
                assert_eq!(shortages[0].requested, 1);
                assert_eq!(shortages[0].available, 0);
                short += 1;
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((won, short), (50, 150));
    let item = f
        .inventory
        .item(f.tenant, &sku("HOT"))
        .await
        .expect("read")
        .expect("HOT");
    assert_eq!((item.on_hand, item.reserved, item.available()), (50, 50, 0));
    let ledger = f
        .inventory
        .history(f.tenant, &sku("HOT"), None, 100)
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 51, "one created row and one row per winner");
    f.assert_reconciled().await;
}

#[tokio::test]
async fn multi_line_reservations_in_opposite_orders_do_not_deadlock() {
    let f = Fixture::with_pool(40).await;
    for s in ["A", "B", "C"] {
        f.stock(s, 1_000).await;
    }
    let inventory = Arc::new(f.inventory.clone());
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let inventory = inventory.clone();
            let scope = f.scope();
            tokio::spawn(async move {
                let lines: &[(&str, i64)] = match i % 3 {
                    0 => &[("A", 1), ("B", 2), ("C", 3)],
                    1 => &[("C", 3), ("B", 2), ("A", 1)],
                    _ => &[("B", 2), ("C", 3), ("A", 1)],
                };
                let id = format!("o{i}");
                inventory
                    .reserve(&scope, request(&id, lines, Ttl::DEFAULT))
                    .await
                    .map_err(|err| format!("{err:?}"))?;
                if i % 2 == 0 {
                    inventory
                        .release(&scope, &order(&id))
                        .await
                        .map_err(|err| format!("{err:?}"))?;
                } else {
                    inventory
                        .commit(&scope, &order(&id))
                        .await
                        .map_err(|err| format!("{err:?}"))?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("no deadlock or other failure");
    }
    for (s, per_order) in [("A", 1), ("B", 2), ("C", 3)] {
        let item = f
            .inventory
            .item(f.tenant, &sku(s))
            .await
            .expect("read")
            .expect("item");
        assert_eq!(item.reserved, 0);
        assert_eq!(item.on_hand, 1_000 - 60 * per_order, "60 orders shipped");
    }
    f.assert_reconciled().await;
}

/// What the test itself knows happened, to compare with what the database says.
#[derive(Default)]
struct Book {
    orders: Vec<String>,
    adjusted: HashMap<String, i64>,
    committed: HashSet<String>,
    committed_units: HashMap<String, i64>,
}

async fn random_worker(
    inventory: Arc<PgInventory>,
    f_scope: souk_tenants::Scope,
    book: Arc<Mutex<Book>>,
    skus: Arc<Vec<String>>,
    seed: u64,
    operations: usize,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    for n in 0..operations {
        let roll = rng.gen_range(0..100);
        if roll < 45 {
            let count = rng.gen_range(1..=3);
            let mut lines: Vec<(&str, i64)> = Vec::new();
            while lines.len() < count {
                let s = skus[rng.gen_range(0..skus.len())].as_str();
                if !lines.iter().any(|(l, _)| *l == s) {
                    lines.push((s, rng.gen_range(1..=4)));
                }
            }
            let ttl = if rng.gen_bool(0.2) {
                Ttl::parse_seconds(1).expect("ttl")
            } else {
                Ttl::DEFAULT
            };
            let id = format!("w{seed}-{n}");
            match inventory.reserve(&f_scope, request(&id, &lines, ttl)).await {
                Ok(_) => book.lock().expect("book").orders.push(id),
                Err(ReserveError::Insufficient(_)) => {}
                Err(other) => panic!("reserve failed: {other:?}"),
            }
        } else if roll < 60 {
            let Some(id) = pick(&book, &mut rng) else {
                continue;
            };
            match inventory.release(&f_scope, &order(&id)).await {
                Ok(_) | Err(SettleError::Closed(_) | SettleError::Expired(_)) => {}
                Err(other) => panic!("release failed: {other:?}"),
            }
        } else if roll < 66 {
            let Some(id) = pick(&book, &mut rng) else {
                continue;
            };
            match inventory.confirm(&f_scope, &order(&id)).await {
                Ok(_) | Err(SettleError::Closed(_) | SettleError::Expired(_)) => {}
                Err(other) => panic!("confirm failed: {other:?}"),
            }
        } else if roll < 75 {
            let Some(id) = pick(&book, &mut rng) else {
                continue;
            };
            match inventory.commit(&f_scope, &order(&id)).await {
                Ok(reservation) => {
                    let mut book = book.lock().expect("book");
                    if book.committed.insert(id) {
                        for line in reservation.lines {
                            *book
                                .committed_units
                                .entry(line.sku.as_str().to_string())
                                .or_default() += line.quantity.get();
                        }
                    }
                }
                Err(SettleError::Closed(_) | SettleError::Expired(_)) => {}
                Err(other) => panic!("commit failed: {other:?}"),
            }
        } else if roll < 95 {
            let s = skus[rng.gen_range(0..skus.len())].clone();
            let mut delta = rng.gen_range(-6..=8);
            if delta == 0 {
                delta = 1;
            }
            let adjustment = Adjustment {
                sku: sku(&s),
                delta: StockDelta::parse(delta).expect("delta"),
                reason: Reason::parse("random run").expect("reason"),
                reference: None,
            };
            match inventory.adjust(&f_scope, adjustment).await {
                Ok(_) => *book.lock().expect("book").adjusted.entry(s).or_default() += delta,
                Err(souk_inventory::domain::AdjustError::OutOfRange { .. }) => {}
                Err(other) => panic!("adjust failed: {other:?}"),
            }
        } else {
            inventory.expire_due(50).await.expect("expire");
        }
    }
}

fn pick(book: &Mutex<Book>, rng: &mut StdRng) -> Option<String> {
    let book = book.lock().expect("book");
    if book.orders.is_empty() {
        return None;
    }
    Some(book.orders[rng.gen_range(0..book.orders.len())].clone())
}

#[tokio::test]
async fn a_seeded_random_mix_of_operations_keeps_every_invariant() {
    const SEED: u64 = 20_261_125;
    const WORKERS: u64 = 8;
    const OPERATIONS: usize = 500;
    const INITIAL: i64 = 40;
    let f = Fixture::with_pool(16).await;
    let skus: Arc<Vec<String>> = Arc::new((0..12).map(|i| format!("SKU-{i}")).collect());
    for s in skus.iter() {
        f.stock(s, INITIAL).await;
    }
    let inventory = Arc::new(f.inventory.clone());
    let book = Arc::new(Mutex::new(Book::default()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            tokio::spawn(random_worker(
                inventory.clone(),
                f.scope(),
                book.clone(),
                skus.clone(),
                SEED + w,
                OPERATIONS,
            ))
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker finished without failures");
    }
    // Let every short reservation fall due, then sweep once more.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    while f.inventory.expire_due(500).await.expect("expire") > 0 {}

    let (adjusted, shipped) = {
        let book = book.lock().expect("book");
        (book.adjusted.clone(), book.committed_units.clone())
    };
    for s in skus.iter() {
        let item = f
            .inventory
            .item(f.tenant, &sku(s))
            .await
            .expect("read")
            .expect("item");
        let expected =
            INITIAL + adjusted.get(s).copied().unwrap_or(0) - shipped.get(s).copied().unwrap_or(0);
        assert_eq!(
            item.on_hand, expected,
            "{s}: on_hand = initial + adjustments - shipped"
        );
        assert!(item.reserved >= 0 && item.available() >= 0, "{s}: {item:?}");
    }
    // reserved = what active reservations hold; the ledger replays to every row.
    f.assert_reconciled().await;
}

#[tokio::test]
async fn tenants_with_the_same_sku_hold_separate_stock() {
    // Two tenants selling the same SKU name each have their own ten units.
    let f = Fixture::with_pool(20).await;
    let other = souk_tenants::TenantId::generate();
    f.stock("SAME", 10).await;
    f.stock_in(other, "SAME", 10).await;
    let inventory = Arc::new(f.inventory.clone());
    let a = f.scope();
    let b = crate::support::scope(other);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let inventory = inventory.clone();
            let scope = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                inventory
                    .reserve(
                        &scope,
                        request(&format!("o{i}"), &[("SAME", 1)], Ttl::DEFAULT),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("reserve");
    }
    assert_eq!(f.available("SAME").await, 0);
    let b_item = f
        .inventory
        .item(other, &sku("SAME"))
        .await
        .expect("read")
        .expect("item");
    assert_eq!(b_item.available(), 0);
}
