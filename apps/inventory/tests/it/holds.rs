//! Holds keep their promise: a confirmed hold never expires, an overdue
//! unconfirmed one is expired the moment anything touches it, and a reservation
//! under contention answers held or short, never an internal error.

use std::sync::Arc;
use std::time::Duration;

use souk_inventory::domain::{
    LedgerKind, ReservationStatus, ReserveError, SettleError, Shortage, Ttl,
};
use souk_inventory::{Inventory, PgInventory};

use crate::support::{order, request, sku, Fixture};

async fn events(f: &Fixture, kind: &str, order_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM souk.outbox WHERE tenant_id = $1 AND kind = $2
         AND payload->>'orderId' = $3",
    )
    .bind(f.tenant.as_uuid())
    .bind(kind)
    .bind(order_id)
    .fetch_one(&f.db.owner)
    .await
    .expect("count events")
}

async fn ledger_rows(f: &Fixture, s: &str, kind: LedgerKind) -> usize {
    f.inventory
        .history(f.tenant, &sku(s), None, 100)
        .await
        .expect("history")
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

#[tokio::test]
async fn a_confirmed_hold_outlives_its_ttl_and_confirming_twice_records_once() {
    let f = Fixture::new().await;
    f.stock("A", 2).await;
    f.stock("B", 5).await;
    let one_second = Ttl::parse_seconds(1).expect("ttl");
    f.inventory
        .reserve(
            &f.scope(),
            request("paid", &[("A", 2), ("B", 1)], one_second),
        )
        .await
        .expect("reserve");
    let first = f
        .inventory
        .confirm(&f.scope(), &order("paid"))
        .await
        .expect("confirm");
    assert_eq!(first.status, ReservationStatus::Confirmed);
    assert!(first.confirmed_at.is_some());
    let again = f
        .inventory
        .confirm(&f.scope(), &order("paid"))
        .await
        .expect("confirm again");
    assert_eq!(again, first, "confirming is idempotent");
    assert_eq!(ledger_rows(&f, "A", LedgerKind::Confirmed).await, 1);
    assert_eq!(ledger_rows(&f, "B", LedgerKind::Confirmed).await, 1);
    assert_eq!(events(&f, "reservation.confirmed", "paid").await, 1);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(f.inventory.expire_due(100).await.expect("sweep"), 0);
    let held = f
        .inventory
        .reservation(f.tenant, &order("paid"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(held.status, ReservationStatus::Confirmed, "past its TTL");
    assert_eq!(f.available("A").await, 0, "the paid units stay held");
    let refused = f
        .inventory
        .reserve(&f.scope(), request("late", &[("A", 1)], Ttl::DEFAULT))
        .await;
    assert!(matches!(refused, Err(ReserveError::Insufficient(_))));

    let shipped = f
        .inventory
        .commit(&f.scope(), &order("paid"))
        .await
        .expect("commit");
    assert_eq!(shipped.status, ReservationStatus::Committed);
    let item = f.inventory.item(f.tenant, &sku("A")).await.expect("read");
    let item = item.expect("A");
    assert_eq!((item.on_hand, item.reserved), (0, 0));
    f.assert_reconciled().await;
}

#[tokio::test]
async fn an_overdue_hold_is_expired_when_touched_not_when_swept() {
    let f = Fixture::new().await;
    f.stock("ONE", 1).await;
    let one_second = Ttl::parse_seconds(1).expect("ttl");
    for id in ["late-commit", "late-confirm"] {
        f.stock(id, 1).await;
        f.inventory
            .reserve(&f.scope(), request(id, &[(id, 1)], one_second))
            .await
            .expect("reserve");
    }
    f.inventory
        .reserve(&f.scope(), request("first", &[("ONE", 1)], one_second))
        .await
        .expect("reserve");
    tokio::time::sleep(Duration::from_millis(1200)).await;

    // No sweep has run: every operation judges the expiry by the database's clock.
    let read = f
        .inventory
        .reservation(f.tenant, &order("first"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.status, ReservationStatus::Expired);
    let commit = f.inventory.commit(&f.scope(), &order("late-commit")).await;
    assert!(matches!(commit, Err(SettleError::Expired(_))), "{commit:?}");
    let confirm = f
        .inventory
        .confirm(&f.scope(), &order("late-confirm"))
        .await;
    assert!(
        matches!(confirm, Err(SettleError::Expired(_))),
        "{confirm:?}"
    );
    assert_eq!(
        f.available("late-commit").await,
        1,
        "the refusal expired it"
    );
    f.inventory
        .reserve(&f.scope(), request("second", &[("ONE", 1)], Ttl::DEFAULT))
        .await
        .expect("a new reservation takes the overdue units");
    let first = f
        .inventory
        .reservation(f.tenant, &order("first"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(first.status, ReservationStatus::Expired);
    assert_eq!(ledger_rows(&f, "ONE", LedgerKind::Expired).await, 1);
    assert_eq!(events(&f, "reservation.expired", "first").await, 1);
    assert_eq!(
        f.inventory.expire_due(100).await.expect("sweep"),
        0,
        "the sweep finds nothing left to do"
    );
    f.assert_reconciled().await;
}

/// Reserves and releases `loops` times; counts (held, short).
async fn reserve_release_loop(
    inventory: Arc<PgInventory>,
    f_scope: souk_tenants::Scope,
    client: usize,
    loops: usize,
) -> (usize, usize) {
    let (mut held, mut short) = (0, 0);
    for n in 0..loops {
        let id = format!("c{client}-{n}");
        match inventory
            .reserve(&f_scope, request(&id, &[("ONE", 1)], Ttl::DEFAULT))
            .await
        {
            Ok(_) => {
                held += 1;
                inventory
                    .release(&f_scope, &order(&id))
                    .await
                    .expect("release");
            }
            Err(ReserveError::Insufficient(shortages)) => {
                assert_eq!(
                    shortages,
                    vec![Shortage {
                        sku: sku("ONE"),
                        requested: 1,
                        available: 0
                    }]
                );
                short += 1;
            }
            Err(other) => panic!("client {client}: reserve answered {other:?}"),
        }
    }
    (held, short)
}

#[tokio::test]
async fn thirty_two_clients_looping_on_one_unit_get_held_or_short_never_internal() {
    const CLIENTS: usize = 32;
    const LOOPS: usize = 40;
    let f = Fixture::with_pool(40).await;
    f.stock("ONE", 1).await;
    let inventory = Arc::new(f.inventory.clone());
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            tokio::spawn(reserve_release_loop(
                inventory.clone(),
                f.scope(),
                client,
                LOOPS,
            ))
        })
        .collect();
    let (mut held, mut short) = (0, 0);
    for task in tasks {
        let (h, s) = task.await.expect("client finished");
        held += h;
        short += s;
    }
    println!("{CLIENTS} clients x {LOOPS}: {held} held, {short} INSUFFICIENT_STOCK, 0 other");
    assert_eq!(held + short, CLIENTS * LOOPS);
    assert!(held > 0);
    let item = f.inventory.item(f.tenant, &sku("ONE")).await.expect("read");
    let item = item.expect("ONE");
    assert_eq!((item.on_hand, item.reserved), (1, 0));
    f.assert_reconciled().await;
}
