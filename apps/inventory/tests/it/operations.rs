use std::time::Duration;

use souk_inventory::domain::{
    AdjustError, Adjustment, CreateError, LedgerKind, NewStockItem, Reason, Reference,
    ReservationStatus, ReserveError, SettleError, StockDelta, Threshold, Ttl,
};
use souk_inventory::Inventory;

use crate::support::{order, request, sku, Fixture};

#[tokio::test]
async fn a_duplicate_sku_is_refused_and_changes_nothing() {
    let f = Fixture::new().await;
    f.stock("A", 5).await;
    let again = f
        .inventory
        .create_item(
            &f.scope(),
            NewStockItem {
                sku: sku("A"),
                on_hand: Threshold::parse(99).expect("qty"),
                reorder_threshold: Threshold::parse(0).expect("qty"),
            },
        )
        .await;
    assert!(matches!(again, Err(CreateError::DuplicateSku(_))));
    assert_eq!(f.available("A").await, 5);
    f.assert_reconciled().await;
}

#[tokio::test]
async fn adjustments_keep_their_reason_and_never_go_below_reserved() {
    let f = Fixture::new().await;
    f.stock("A", 10).await;
    f.inventory
        .reserve(&f.scope(), request("o1", &[("A", 6)], Ttl::DEFAULT))
        .await
        .expect("reserve");
    let adjust = |delta: i64| Adjustment {
        sku: sku("A"),
        delta: StockDelta::parse(delta).expect("delta"),
        reason: Reason::parse("cycle count").expect("reason"),
        reference: Some(Reference::parse("count-7").expect("reference")),
    };
    let below = f.inventory.adjust(&f.scope(), adjust(-5)).await;
    assert!(
        matches!(
            below,
            Err(AdjustError::OutOfRange {
                on_hand: 10,
                reserved: 6,
                ..
            })
        ),
        "{below:?}"
    );
    let item = f
        .inventory
        .adjust(&f.scope(), adjust(-4))
        .await
        .expect("adjust");
    assert_eq!((item.on_hand, item.reserved, item.available()), (6, 6, 0));
    let history = f
        .inventory
        .history(f.tenant, &sku("A"), None, 10)
        .await
        .expect("history");
    let newest = &history[0];
    assert_eq!(newest.kind, LedgerKind::Adjusted);
    assert_eq!(newest.on_hand_change, -4);
    assert_eq!(newest.reason.as_deref(), Some("cycle count"));
    assert_eq!(newest.reference.as_deref(), Some("count-7"));
    assert_eq!(
        history.len(),
        3,
        "created, reserved, adjusted; the refused one left no row"
    );
    let unknown = f
        .inventory
        .adjust(
            &f.scope(),
            Adjustment {
                sku: sku("NOPE"),
                ..adjust(1)
            },
        )
        .await;
    assert!(matches!(unknown, Err(AdjustError::UnknownSku(_))));
    f.assert_reconciled().await;
}

#[tokio::test]
async fn a_reservation_is_all_lines_or_none_and_names_every_short_sku() {
    let f = Fixture::new().await;
    f.stock("A", 5).await;
    f.stock("B", 1).await;
    f.stock("C", 2).await;
    let short = f
        .inventory
        .reserve(
            &f.scope(),
            request("o1", &[("A", 5), ("B", 2), ("C", 3)], Ttl::DEFAULT),
        )
        .await;
    let Err(ReserveError::Insufficient(shortages)) = short else {
        panic!("expected a shortage, got {short:?}");
    };
    let named: Vec<(&str, i64, i64)> = shortages
        .iter()
        .map(|s| (s.sku.as_str(), s.requested, s.available))
        .collect();
    assert_eq!(named, vec![("B", 2, 1), ("C", 3, 2)]);
    assert_eq!(f.available("A").await, 5, "the line that fit was not kept");
    assert!(f
        .inventory
        .reservation(f.tenant, &order("o1"))
        .await
        .expect("read")
        .is_none());
    let unknown = f
        .inventory
        .reserve(
            &f.scope(),
            request("o2", &[("A", 1), ("ZZZ", 1)], Ttl::DEFAULT),
        )
        .await;
    assert!(matches!(unknown, Err(ReserveError::UnknownSku(s)) if s.as_str() == "ZZZ"));
    assert_eq!(f.available("A").await, 5);
    f.assert_reconciled().await;
}

#[tokio::test]
async fn reserving_is_idempotent_by_order_id() {
    let f = Fixture::new().await;
    f.stock("A", 10).await;
    let first = f
        .inventory
        .reserve(&f.scope(), request("o1", &[("A", 3)], Ttl::DEFAULT))
        .await
        .expect("reserve");
    let retry = f
        .inventory
        .reserve(&f.scope(), request("o1", &[("A", 3)], Ttl::DEFAULT))
        .await
        .expect("retry");
    assert_eq!(first, retry);
    assert_eq!(f.available("A").await, 7, "the retry held nothing more");
    let other = f
        .inventory
        .reserve(&f.scope(), request("o1", &[("A", 4)], Ttl::DEFAULT))
        .await;
    assert!(matches!(other, Err(ReserveError::Conflict(_))));
    assert_eq!(f.available("A").await, 7);
    f.assert_reconciled().await;
}

#[tokio::test]
async fn concurrent_retries_of_one_order_reserve_once() {
    let f = Fixture::with_pool(20).await;
    f.stock("A", 100).await;
    let scope = f.scope();
    let attempts = futures::future::join_all((0..20).map(|_| {
        f.inventory
            .reserve(&scope, request("o1", &[("A", 5)], Ttl::DEFAULT))
    }))
    .await;
    assert!(attempts.iter().all(Result::is_ok), "{attempts:?}");
    assert_eq!(f.available("A").await, 95);
    f.assert_reconciled().await;
}

#[tokio::test]
async fn release_gives_stock_back_once_and_commit_takes_it_away() {
    let f = Fixture::new().await;
    f.stock("A", 10).await;
    f.stock("B", 10).await;
    f.inventory
        .reserve(
            &f.scope(),
            request("o1", &[("A", 2), ("B", 3)], Ttl::DEFAULT),
        )
        .await
        .expect("reserve o1");
    f.inventory
        .reserve(&f.scope(), request("o2", &[("A", 4)], Ttl::DEFAULT))
        .await
        .expect("reserve o2");

    let released = f
        .inventory
        .release(&f.scope(), &order("o1"))
        .await
        .expect("release");
    assert_eq!(released.status, ReservationStatus::Released);
    let again = f
        .inventory
        .release(&f.scope(), &order("o1"))
        .await
        .expect("again");
    assert_eq!(again.status, ReservationStatus::Released);
    assert_eq!(f.available("B").await, 10, "released once, not twice");
    let commit_released = f.inventory.commit(&f.scope(), &order("o1")).await;
    assert!(matches!(commit_released, Err(SettleError::Closed(_))));

    let committed = f
        .inventory
        .commit(&f.scope(), &order("o2"))
        .await
        .expect("commit");
    assert_eq!(committed.status, ReservationStatus::Committed);
    f.inventory
        .commit(&f.scope(), &order("o2"))
        .await
        .expect("idempotent");
    let a = f
        .inventory
        .item(f.tenant, &sku("A"))
        .await
        .expect("read")
        .expect("A");
    assert_eq!(
        (a.on_hand, a.reserved),
        (6, 0),
        "shipped stock left on hand once"
    );
    let release_committed = f.inventory.release(&f.scope(), &order("o2")).await;
    assert!(matches!(release_committed, Err(SettleError::Closed(_))));
    let missing = f.inventory.release(&f.scope(), &order("nope")).await;
    assert!(matches!(missing, Err(SettleError::NotFound(_))));
    f.assert_reconciled().await;
}

#[tokio::test]
async fn overdue_reservations_expire_once_even_with_several_sweepers() {
    let f = Fixture::with_pool(20).await;
    f.stock("A", 50).await;
    let short = Ttl::parse_seconds(1).expect("ttl");
    for i in 0..10 {
        f.inventory
            .reserve(&f.scope(), request(&format!("o{i}"), &[("A", 2)], short))
            .await
            .expect("reserve");
    }
    f.inventory
        .reserve(&f.scope(), request("keep", &[("A", 5)], Ttl::DEFAULT))
        .await
        .expect("reserve long");
    assert_eq!(
        f.inventory.expire_due(100).await.expect("sweep"),
        0,
        "nothing due yet"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let sweeps = futures::future::join_all((0..4).map(|_| f.inventory.expire_due(100))).await;
    let expired: usize = sweeps.into_iter().map(|n| n.expect("sweep")).sum();
    assert_eq!(expired, 10, "each due reservation expired exactly once");
    assert_eq!(f.available("A").await, 45);
    let gone = f
        .inventory
        .reservation(f.tenant, &order("o3"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(gone.status, ReservationStatus::Expired);
    let history = f
        .inventory
        .history(f.tenant, &sku("A"), None, 100)
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == LedgerKind::Expired)
            .count(),
        10
    );
    f.assert_reconciled().await;
}

#[tokio::test]
async fn history_pages_newest_first() {
    let f = Fixture::new().await;
    f.stock("A", 1).await;
    for _ in 0..5 {
        f.inventory
            .adjust(
                &f.scope(),
                Adjustment {
                    sku: sku("A"),
                    delta: StockDelta::parse(1).expect("delta"),
                    reason: Reason::parse("delivery").expect("reason"),
                    reference: None,
                },
            )
            .await
            .expect("adjust");
    }
    let first = f
        .inventory
        .history(f.tenant, &sku("A"), None, 4)
        .await
        .expect("page 1");
    let rest = f
        .inventory
        .history(f.tenant, &sku("A"), Some(first[3].id), 4)
        .await
        .expect("page 2");
    let after: Vec<i64> = first.iter().chain(&rest).map(|e| e.on_hand_after).collect();
    assert_eq!(after, vec![6, 5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn one_batch_keeps_each_order_all_or_nothing() {
    use souk_inventory::batcher::{reserve_batch, BatchEntry, Reserved};
    let f = Fixture::new().await;
    f.stock("A", 5).await;
    f.stock("B", 1).await;
    let entry = |order: &str, lines: &[(&str, i64)]| BatchEntry {
        request: request(order, lines, Ttl::DEFAULT),
        actor: "test".into(),
        audit: None,
    };
    let batch = [
        entry("first", &[("A", 2), ("B", 1)]),
        entry("short", &[("A", 1), ("B", 1)]),
        entry("unknown", &[("A", 1), ("NOPE", 1)]),
        entry("first", &[("A", 2), ("B", 1)]),
        entry("last", &[("A", 3)]),
    ];
    let outcomes = reserve_batch(&f.db.app, f.tenant, &batch)
        .await
        .expect("batch");
    let kinds: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            Reserved::Created { .. } => "created",
            Reserved::Exists => "exists",
            Reserved::Short(_) => "short",
            Reserved::UnknownSku(_) => "unknown",
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["created", "short", "unknown", "exists", "created"]
    );
    assert_eq!(f.available("A").await, 0, "first and last hold all of A");
    assert_eq!(f.available("B").await, 0);
    for rolled_back in ["short", "unknown"] {
        assert!(f
            .inventory
            .reservation(f.tenant, &order(rolled_back))
            .await
            .expect("read")
            .is_none());
    }
    f.assert_reconciled().await;
}
