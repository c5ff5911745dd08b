use souk_orders::domain::{CheckoutError, OrderStatus};
use souk_orders::Orders;

use crate::support::{line, request, Fixture};

#[tokio::test]
async fn two_customers_buying_the_last_unit_at_once_one_wins() {
    let fx = Fixture::new().await;
    let vendor = fx.vendor("last-unit").await;
    for round in 0..3 {
        let sku = format!("LAST-{round}");
        let product = fx.product(vendor, &sku, 1).await;
        let (a, b) = futures::join!(
            fx.orders.checkout(request(
                &format!("alice-{round}"),
                "k",
                vec![line(product, &sku, 1)]
            )),
            fx.orders.checkout(request(
                &format!("bob-{round}"),
                "k",
                vec![line(product, &sku, 1)]
            )),
        );
        assert_eq!(
            [&a, &b].iter().filter(|r| r.is_ok()).count(),
            1,
            "{a:?} / {b:?}"
        );
        assert!(
            [&a, &b]
                .iter()
                .any(|r| matches!(r, Err(CheckoutError::Insufficient(_)))),
            "{a:?} / {b:?}"
        );
        assert_eq!(fx.available(vendor, &sku).await, 0);
    }
}

#[tokio::test]
async fn a_replayed_idempotency_key_returns_the_same_orders_and_reserves_once() {
    let fx = Fixture::new().await;
    let vendor = fx.vendor("replays").await;
    let product = fx.product(vendor, "REPLAY-1", 10).await;
    let first = fx
        .orders
        .checkout(request(
            "carol",
            "key-1",
            vec![line(product, "REPLAY-1", 3)],
        ))
        .await
        .expect("checkout");
    let (again, concurrently) = futures::join!(
        fx.orders.checkout(request(
            "carol",
            "key-1",
            vec![line(product, "REPLAY-1", 3)]
        )),
        fx.orders.checkout(request(
            "carol",
            " key-1 ",
            vec![line(product, "REPLAY-1", 3)]
        )),
    );
    for replay in [again, concurrently] {
        let replay = replay.expect("a replay");
        assert_eq!(
            replay.iter().map(|o| o.id).collect::<Vec<_>>(),
            first.iter().map(|o| o.id).collect::<Vec<_>>()
        );
    }
    assert_eq!(fx.available(vendor, "REPLAY-1").await, 7);

    let other = fx
        .orders
        .checkout(request(
            "carol",
            "key-1",
            vec![line(product, "REPLAY-1", 4)],
        ))
        .await;
    assert!(
        matches!(other, Err(CheckoutError::IdempotencyConflict)),
        "{other:?}"
    );
    assert_eq!(fx.available(vendor, "REPLAY-1").await, 7);

    // Another customer's identical key is theirs alone.
    let dave = fx
        .orders
        .checkout(request("dave", "key-1", vec![line(product, "REPLAY-1", 1)]))
        .await
        .expect("dave's checkout");
    assert_ne!(dave[0].id, first[0].id);
    assert_eq!(fx.available(vendor, "REPLAY-1").await, 6);
}

#[tokio::test]
async fn a_cart_across_vendors_splits_and_a_short_vendor_fails_it_all() {
    let fx = Fixture::new().await;
    let a = fx.vendor("split-a").await;
    let b = fx.vendor("split-b").await;
    let pa = fx.product(a, "A-1", 5).await;
    let pb = fx.product(b, "B-1", 1).await;

    let short = fx
        .orders
        .checkout(request(
            "erin",
            "k1",
            vec![line(pa, "A-1", 2), line(pb, "B-1", 2)],
        ))
        .await;
    assert!(
        matches!(short, Err(CheckoutError::Insufficient(_))),
        "{short:?}"
    );
    assert_eq!(fx.available(a, "A-1").await, 5, "a's stock was given back");
    assert_eq!(fx.available(b, "B-1").await, 1);

    let orders = fx
        .orders
        .checkout(request(
            "erin",
            "k2",
            vec![line(pa, "A-1", 2), line(pb, "B-1", 1)],
        ))
        .await
        .expect("checkout");
    assert_eq!(orders.len(), 2);
    assert!(orders
        .iter()
        .all(|o| o.status == OrderStatus::Pending && o.reserved));
    let mut tenants: Vec<_> = orders.iter().map(|o| o.tenant).collect();
    tenants.sort_by_key(|t| t.to_string());
    let mut expected = vec![a, b];
    expected.sort_by_key(|t| t.to_string());
    assert_eq!(tenants, expected);
    assert_eq!(fx.available(a, "A-1").await, 3);
    assert_eq!(fx.available(b, "B-1").await, 0);
}

#[tokio::test]
async fn bad_checkouts_are_refused_with_typed_errors_and_reserve_nothing() {
    let fx = Fixture::new().await;
    let vendor = fx.vendor("careful-shop").await;
    let product = fx.product(vendor, "SAFE-1", 5).await;
    let unknown = souk_catalog::domain::ObjectKey(mongodb::bson::oid::ObjectId::new());
    let cases = [
        request("frank", "k1", vec![]),
        request("frank", "k4", vec![line(product, "SAFE-1", 1_000_000)]),
        request("frank", "", vec![line(product, "SAFE-1", 1)]),
        request("frank", "k6", vec![line(product, "OTHER-9", 1)]),
        request("frank", "k7", vec![line(unknown, "SAFE-1", 1)]),
    ];
    for case in cases {
        let result = fx.orders.checkout(case.clone()).await;
        assert!(
            matches!(
                result,
                Err(CheckoutError::Invalid { .. } | CheckoutError::UnknownProduct(_))
            ),
            "{case:?}: {result:?}"
        );
    }
    // No line of zero or fewer units can be written down at all.
    for raw in [0, -1, i64::MIN] {
        assert!(matches!(
            souk_orders::domain::line_quantity(raw),
            Err(CheckoutError::Invalid {
                code: "INVALID_QUANTITY",
                ..
            })
        ));
    }
    assert_eq!(fx.available(vendor, "SAFE-1").await, 5);
    // A refused key is free to use again.
    fx.orders
        .checkout(request("frank", "k6", vec![line(product, "SAFE-1", 1)]))
        .await
        .expect("a good checkout with a key that failed validation before");
}
