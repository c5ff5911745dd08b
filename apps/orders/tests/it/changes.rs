use souk_orders::domain::{OrderError, OrderStatus};
use souk_orders::service::{Actor, Change};
use souk_orders::Orders;

use crate::support::{line, request, Fixture};

fn to(status: OrderStatus) -> Change {
    Change {
        to: status,
        note: None,
        goods_returned: false,
        from: None,
    }
}

#[tokio::test]
async fn a_vendor_or_customer_cannot_read_or_change_someone_elses_order() {
    let fx = Fixture::new().await;
    let a = fx.vendor("owner-a").await;
    let b = fx.vendor("owner-b").await;
    let product = fx.product(a, "ISO-1", 3).await;
    let order = fx
        .orders
        .checkout(request("grace", "k", vec![line(product, "ISO-1", 1)]))
        .await
        .expect("checkout")
        .remove(0);

    let vendor_b = Actor::Vendor {
        tenant: b,
        subject: "someone".into(),
    };
    let stranger = Actor::Customer("heidi".into());
    for actor in [&vendor_b, &stranger] {
        assert!(fx
            .orders
            .order(actor, order.id)
            .await
            .expect("read")
            .is_none());
        let cancelled = fx
            .orders
            .change(actor, order.id, to(OrderStatus::Cancelled))
            .await;
        assert!(
            matches!(cancelled, Err(OrderError::NotFound)),
            "{cancelled:?}"
        );
        let listed = fx
            .orders
            .list(actor, Default::default(), 50)
            .await
            .expect("list");
        assert!(listed.is_empty(), "{listed:?}");
    }
    let vendor_a = Actor::Vendor {
        tenant: a,
        subject: "staff".into(),
    };
    let seen = fx
        .orders
        .order(&vendor_a, order.id)
        .await
        .expect("read")
        .expect("a's own order");
    assert_eq!(seen.status, OrderStatus::Pending);
    assert_eq!(fx.available(a, "ISO-1").await, 2, "still reserved");
}

#[tokio::test]
async fn a_customer_may_only_cancel_and_cancelling_gives_the_stock_back() {
    let fx = Fixture::new().await;
    let vendor = fx.vendor("cancels").await;
    let product = fx.product(vendor, "CAN-1", 4).await;
    let order = fx
        .orders
        .checkout(request("ivan", "k", vec![line(product, "CAN-1", 3)]))
        .await
        .expect("checkout")
        .remove(0);
    let customer = Actor::Customer("ivan".into());
    let shipped = fx
        .orders
        .change(&customer, order.id, to(OrderStatus::Shipped))
        .await;
    assert!(matches!(shipped, Err(OrderError::Forbidden)), "{shipped:?}");
    assert_eq!(fx.available(vendor, "CAN-1").await, 1);

    let cancelled = fx
        .orders
        .change(&customer, order.id, to(OrderStatus::Cancelled))
        .await
        .expect("cancel");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(fx.available(vendor, "CAN-1").await, 4);

    let vendor_actor = Actor::Vendor {
        tenant: vendor,
        subject: "staff".into(),
    };
    let revived = fx
        .orders
        .change(&vendor_actor, order.id, to(OrderStatus::Processing))
        .await;
    assert!(
        matches!(
            revived,
            Err(OrderError::InvalidTransition {
                from: "cancelled",
                ..
            })
        ),
        "{revived:?}"
    );
    assert_eq!(fx.available(vendor, "CAN-1").await, 4);
}

#[tokio::test]
async fn of_a_customer_and_a_vendor_cancelling_at_once_one_releases_the_stock() {
    let fx = Fixture::new().await;
    let vendor = fx.vendor("racers").await;
    let product = fx.product(vendor, "RACE-1", 5).await;
    let order = fx
        .orders
        .checkout(request("judy", "k", vec![line(product, "RACE-1", 2)]))
        .await
        .expect("checkout")
        .remove(0);
    let customer = Actor::Customer("judy".into());
    let vendor_actor = Actor::Vendor {
        tenant: vendor,
        subject: "staff".into(),
    };
    let (x, y) = futures::join!(
        fx.orders
            .change(&customer, order.id, to(OrderStatus::Cancelled)),
        fx.orders
            .change(&vendor_actor, order.id, to(OrderStatus::Cancelled)),
    );
    assert!(
        [&x, &y].iter().filter(|r| r.is_ok()).count() >= 1,
        "{x:?} / {y:?}"
    );
    for r in [&x, &y] {
        if let Err(err) = r {
            assert!(
                matches!(
                    err,
                    OrderError::Conflict | OrderError::InvalidTransition { .. }
                ),
                "{err:?}"
            );
        }
    }
    assert_eq!(
        fx.available(vendor, "RACE-1").await,
        5,
        "released exactly once"
    );
    let stored = fx
        .orders
        .order(&vendor_actor, order.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.status, OrderStatus::Cancelled);
}
