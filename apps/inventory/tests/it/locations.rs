//! Stock locations against the real PostgreSQL: allocation across locations,
//! transfers, settlements per location, and the totals kept the sums.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use souk_inventory::domain::{
    Adjustment, LocationCode, LocationError, LocationId, LocationName, NewLocation, Quantity,
    Reason, ReserveError, StockDelta, Strategy, Transfer, Ttl,
};
use souk_inventory::{Inventory, StockLocations};
use souk_tenants::TenantId;

use crate::support::{order, request, scope, sku, Fixture};

async fn location(f: &Fixture, code: &str, ships: bool) -> LocationId {
    location_in(f, f.tenant, code, ships).await
}

async fn location_in(f: &Fixture, tenant: TenantId, code: &str, ships: bool) -> LocationId {
    f.inventory
        .create_location(
            &scope(tenant),
            NewLocation {
                code: LocationCode::parse(code).expect("code"),
                name: LocationName::parse(&format!("Warehouse {code}")).expect("name"),
                address: None,
                ships,
            },
        )
        .await
        .expect("create location")
        .id
}

async fn default_location(f: &Fixture) -> LocationId {
    f.inventory
        .locations(f.tenant, false)
        .await
        .expect("locations")
        .into_iter()
        .find(|l| l.is_default)
        .expect("a default location")
        .id
}

fn transfer(s: &str, from: LocationId, to: LocationId, quantity: i64) -> Transfer {
    Transfer {
        sku: sku(s),
        from,
        to,
        quantity: Quantity::parse(quantity).expect("quantity"),
        reason: Reason::parse("rebalance").expect("reason"),
    }
}

/// (on hand, reserved) of a SKU at each location, in the order given.
async fn levels(f: &Fixture, s: &str, at: &[LocationId]) -> Vec<(i64, i64)> {
    let all = f.inventory.levels(f.tenant, &sku(s)).await.expect("levels");
    at.iter()
        .map(|id| {
            let level = all.iter().find(|l| l.location.id == *id).expect("level");
            (level.on_hand, level.reserved)
        })
        .collect()
}

/// Where an order's lines are held: (location, quantity) per allocation.
async fn held_at(f: &Fixture, order_id: &str) -> Vec<(LocationId, i64)> {
    f.inventory
        .allocations(f.tenant, &order(order_id))
        .await
        .expect("allocations")
        .into_iter()
        .map(|a| (a.location, a.quantity))
        .collect()
}

/// A SKU's totals equal the sums over its locations.
async fn assert_sums(f: &Fixture, s: &str) {
    let all = f.inventory.levels(f.tenant, &sku(s)).await.expect("levels");
    let item = f
        .inventory
        .item(f.tenant, &sku(s))
        .await
        .expect("item")
        .expect("exists");
    let on_hand: i64 = all.iter().map(|l| l.on_hand).sum();
    let reserved: i64 = all.iter().map(|l| l.reserved).sum();
    assert_eq!(
        (on_hand, reserved),
        (item.on_hand, item.reserved),
        "{s}: {all:#?}"
    );
    assert!(
        all.iter()
            .all(|l| 0 <= l.reserved && l.reserved <= l.on_hand),
        "{all:#?}"
    );
}

/// Three locations: main (default, 4), east (5), returns (6, not shipping).
async fn three_locations(f: &Fixture) -> [LocationId; 3] {
    f.stock("TEE", 15).await;
    let main = default_location(f).await;
    let east = location(f, "east", true).await;
    let returns = location(f, "returns", false).await;
    let scope = f.scope();
    f.inventory
        .transfer(&scope, transfer("TEE", main, east, 5))
        .await
        .expect("to east");
    f.inventory
        .transfer(&scope, transfer("TEE", main, returns, 6))
        .await
        .expect("to returns");
    [main, east, returns]
}

#[tokio::test]
async fn a_line_no_location_fills_is_split_in_priority_order_and_returns_never_ship() {
    let f = Fixture::new().await;
    let [main, east, returns] = three_locations(&f).await;
    assert_eq!(
        levels(&f, "TEE", &[main, east, returns]).await,
        [(4, 0), (5, 0), (6, 0)]
    );

    f.inventory
        .reserve(&f.scope(), request("o1", &[("TEE", 7)], Ttl::DEFAULT))
        .await
        .expect("seven of the nine that ship");
    let parts = held_at(&f, "o1").await;
    assert_eq!(parts, [(main, 4), (east, 3)]);
    assert_eq!(
        levels(&f, "TEE", &[main, east, returns]).await,
        [(4, 4), (5, 3), (6, 0)]
    );

    // Three more would need the returns location: refused, naming what ships.
    let short = f
        .inventory
        .reserve(&f.scope(), request("o2", &[("TEE", 3)], Ttl::DEFAULT))
        .await;
    match short {
        Err(ReserveError::Insufficient(lines)) => {
            assert_eq!((lines[0].requested, lines[0].available), (3, 2));
        }
        other => panic!("expected a shortage, got {other:?}"),
    }
    assert_sums(&f, "TEE").await;
    f.assert_reconciled().await;
}

#[tokio::test]
async fn stock_at_a_location_that_does_not_ship_is_not_for_sale() {
    let f = Fixture::new().await;
    let [_, east, returns] = three_locations(&f).await;
    let scope = f.scope();
    let item = |f: &Fixture| {
        let inventory = f.inventory.clone();
        let tenant = f.tenant;
        async move {
            let item = inventory
                .item(tenant, &sku("TEE"))
                .await
                .expect("item")
                .expect("TEE");
            (item.available(), item.sellable())
        }
    };
    assert_eq!(
        item(&f).await,
        (15, 9),
        "the returns shelf's 6 are not for sale"
    );
    let ships = |ships: bool| souk_inventory::domain::LocationChange {
        ships: Some(ships),
        ..Default::default()
    };
    f.inventory
        .update_location(&scope, returns, ships(true))
        .await
        .expect("ships");
    assert_eq!(item(&f).await, (15, 15));
    f.inventory
        .reserve(&scope, request("o1", &[("TEE", 12)], Ttl::DEFAULT))
        .await
        .expect("main 4, east 5, returns 3");
    assert!(matches!(
        f.inventory
            .update_location(&scope, returns, ships(false))
            .await,
        Err(LocationError::InUse { reserved: 3, .. })
    ));
    f.inventory
        .release(&scope, &order("o1"))
        .await
        .expect("release");
    f.inventory
        .update_location(&scope, returns, ships(false))
        .await
        .expect("stops shipping");
    f.inventory
        .transfer(&scope, transfer("TEE", east, returns, 2))
        .await
        .expect("east to returns");
    f.inventory
        .transfer(&scope, transfer("TEE", returns, east, 1))
        .await
        .expect("returns to east");
    assert_eq!(item(&f).await, (15, 8), "7 on the returns shelf");
    f.assert_reconciled().await;
}

#[tokio::test]
async fn most_available_first_takes_the_fullest_location() {
    let f = Fixture::new().await;
    let [main, east, _] = three_locations(&f).await;
    f.inventory
        .set_strategy(&f.scope(), Strategy::PrioritizeHighStock)
        .await
        .expect("strategy");
    f.inventory
        .reserve(&f.scope(), request("o1", &[("TEE", 2)], Ttl::DEFAULT))
        .await
        .expect("held");
    let parts = held_at(&f, "o1").await;
    assert_eq!(parts, [(east, 2)], "east had 5 to main's 4");
    assert_eq!(levels(&f, "TEE", &[main, east]).await, [(4, 0), (5, 2)]);
    f.assert_reconciled().await;
}

#[tokio::test]
async fn release_expiry_and_commit_give_back_or_take_from_each_location() {
    let f = Fixture::new().await;
    let [main, east, returns] = three_locations(&f).await;
    let scope = f.scope();
    for id in ["rel", "com"] {
        f.inventory
            .reserve(&scope, request(id, &[("TEE", 4)], Ttl::DEFAULT))
            .await
            .expect("held");
    }
    // rel: main 4; com: east 4.
    f.inventory
        .release(&scope, &order("rel"))
        .await
        .expect("release");
    assert_eq!(levels(&f, "TEE", &[main, east]).await, [(4, 0), (5, 4)]);
    f.inventory
        .commit(&scope, &order("com"))
        .await
        .expect("commit");
    assert_eq!(
        levels(&f, "TEE", &[main, east, returns]).await,
        [(4, 0), (1, 0), (6, 0)]
    );

    let short_lived = Ttl::parse_seconds(1).expect("ttl");
    f.inventory
        .reserve(&scope, request("exp", &[("TEE", 5)], short_lived))
        .await
        .expect("held");
    assert_eq!(levels(&f, "TEE", &[main, east]).await, [(4, 4), (1, 1)]);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    // The next reservation of the SKU expires the overdue hold first.
    f.inventory
        .reserve(&scope, request("next", &[("TEE", 1)], Ttl::DEFAULT))
        .await
        .expect("held");
    assert_eq!(levels(&f, "TEE", &[main, east]).await, [(4, 1), (1, 0)]);
    assert_eq!(f.inventory.expire_due(100).await.expect("sweep"), 0);
    assert_sums(&f, "TEE").await;
    f.assert_reconciled().await;
}

#[tokio::test]
async fn shipping_from_a_named_location_moves_the_hold_there_or_is_refused() {
    let f = Fixture::new().await;
    let [main, east, returns] = three_locations(&f).await;
    let scope = f.scope();
    f.inventory
        .reserve(&scope, request("o1", &[("TEE", 6)], Ttl::DEFAULT))
        .await
        .expect("held: main 4, east 2");
    // East has 5: it can ship all six? No: refused, and nothing moved.
    match f.inventory.ship_from(&scope, &order("o1"), east).await {
        Err(LocationError::Short {
            requested,
            available,
            ..
        }) => {
            assert_eq!((requested, available), (4, 3));
        }
        other => panic!("expected a shortage, got {other:?}"),
    }
    assert_eq!(levels(&f, "TEE", &[main, east]).await, [(4, 4), (5, 2)]);
    match f.inventory.ship_from(&scope, &order("o1"), returns).await {
        Err(LocationError::NotShipping(id)) => assert_eq!(id, returns),
        other => panic!("the returns location holds 6 but ships nothing: {other:?}"),
    }
    f.inventory
        .adjust_at(
            &scope,
            Adjustment {
                sku: sku("TEE"),
                delta: StockDelta::parse(3).expect("delta"),
                reason: Reason::parse("delivery").expect("reason"),
                reference: None,
            },
            east,
        )
        .await
        .expect("east gets three more");
    f.inventory
        .ship_from(&scope, &order("o1"), east)
        .await
        .expect("now it can");
    let parts = held_at(&f, "o1").await;
    assert_eq!(parts, [(east, 6)]);
    f.inventory
        .commit(&scope, &order("o1"))
        .await
        .expect("ship");
    assert_eq!(
        levels(&f, "TEE", &[main, east, returns]).await,
        [(4, 0), (2, 0), (6, 0)]
    );
    assert_sums(&f, "TEE").await;
    f.assert_reconciled().await;
}

#[tokio::test]
async fn a_transfer_moves_only_available_stock_with_a_ledger_row_at_each_end() {
    let f = Fixture::new().await;
    let [main, east, _] = three_locations(&f).await;
    let scope = f.scope();
    f.inventory
        .reserve(&scope, request("o1", &[("TEE", 3)], Ttl::DEFAULT))
        .await
        .expect("main holds 3 of its 4");
    match f
        .inventory
        .transfer(&scope, transfer("TEE", main, east, 2))
        .await
    {
        Err(LocationError::Short {
            requested,
            available,
            ..
        }) => {
            assert_eq!((requested, available), (2, 1));
        }
        other => panic!("expected a shortage, got {other:?}"),
    }
    let (from, to) = f
        .inventory
        .transfer(&scope, transfer("TEE", east, main, 5))
        .await
        .expect("east to main");
    assert_eq!((from.on_hand, to.on_hand, to.reserved), (0, 9, 3));
    let east_history = f
        .inventory
        .history_at(f.tenant, &sku("TEE"), east, None, 10)
        .await
        .expect("history");
    let changes: Vec<_> = east_history.iter().map(|e| e.on_hand_change).collect();
    assert_eq!(
        changes,
        [-5, 5],
        "newest first: out to main, in from the setup"
    );
    match f
        .inventory
        .transfer(&scope, transfer("TEE", main, main, 1))
        .await
    {
        Err(LocationError::SameLocation) => {}
        other => panic!("expected SameLocation, got {other:?}"),
    }
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM souk.outbox WHERE kind = 'stock.transferred' AND tenant_id = $1",
    )
    .bind(f.tenant.as_uuid())
    .fetch_one(&f.db.owner)
    .await
    .expect("events");
    assert_eq!(events, 3);
    assert_sums(&f, "TEE").await;
    f.assert_reconciled().await;
}

#[tokio::test]
async fn a_location_with_stock_or_the_default_cannot_be_deactivated() {
    let f = Fixture::new().await;
    let [main, east, returns] = three_locations(&f).await;
    let scope = f.scope();
    assert!(matches!(
        f.inventory.deactivate_location(&scope, main).await,
        Err(LocationError::DefaultLocation)
    ));
    assert!(matches!(
        f.inventory.deactivate_location(&scope, east).await,
        Err(LocationError::InUse { on_hand: 5, .. })
    ));
    f.inventory
        .transfer(&scope, transfer("TEE", returns, main, 6))
        .await
        .expect("empty it");
    let gone = f
        .inventory
        .deactivate_location(&scope, returns)
        .await
        .expect("deactivate");
    assert!(!gone.active);
    assert!(matches!(
        f.inventory
            .transfer(&scope, transfer("TEE", main, returns, 1))
            .await,
        Err(LocationError::Inactive(_))
    ));
    // The priority order lists every active location once.
    assert!(matches!(
        f.inventory.reorder_locations(&scope, &[east]).await,
        Err(LocationError::BadOrder)
    ));
    let ordered = f
        .inventory
        .reorder_locations(&scope, &[east, main])
        .await
        .expect("reorder");
    assert_eq!(
        ordered.iter().map(|l| l.id).collect::<Vec<_>>(),
        [east, main]
    );
    f.inventory
        .reserve(&scope, request("o1", &[("TEE", 4)], Ttl::DEFAULT))
        .await
        .expect("held");
    let parts = held_at(&f, "o1").await;
    assert_eq!(parts, [(east, 4)], "east first now");
    f.inventory
        .reserve(&scope, request("o2", &[("TEE", 5)], Ttl::DEFAULT))
        .await
        .expect("held");
    let parts = held_at(&f, "o2").await;
    assert_eq!(
        parts,
        [(main, 5)],
        "east has 1 left: the whole line goes to main, unsplit"
    );
    f.assert_reconciled().await;
}

#[tokio::test]
async fn another_vendor_sees_and_moves_none_of_a_vendors_locations() {
    let f = Fixture::new().await;
    let [main, east, _] = three_locations(&f).await;
    let other = TenantId::generate();
    f.stock_in(other, "TEE", 3).await;
    assert!(matches!(
        f.inventory
            .transfer(&scope(other), transfer("TEE", east, main, 1))
            .await,
        Err(LocationError::NotFound(_))
    ));
    assert!(matches!(
        f.inventory.deactivate_location(&scope(other), east).await,
        Err(LocationError::NotFound(_))
    ));
    let theirs = f.inventory.locations(other, true).await.expect("locations");
    assert_eq!(theirs.len(), 1);
    assert!(theirs[0].is_default && theirs[0].id != main);
    // Through the database: the app role in the other tenant's scope reads no row.
    let mut tx = souk_tenants::TenantTx::begin(&f.db.app, other)
        .await
        .expect("tx");
    let seen: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inventory.location_stock WHERE tenant_id = $1")
            .bind(f.tenant.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .expect("count");
    assert_eq!(seen, 0);
}

/// Many buyers over three locations, with transfers running between them: no
/// location oversold, no deadlock, the totals the sums, everything reconciled.
#[tokio::test]
async fn concurrent_buyers_and_transfers_never_oversell_a_location() {
    let f = Fixture::with_pool(30).await;
    f.stock("A", 60).await;
    f.stock("B", 60).await;
    let main = default_location(&f).await;
    let east = location(&f, "east", true).await;
    let west = location(&f, "west", true).await;
    let scope = f.scope();
    for s in ["A", "B"] {
        f.inventory
            .transfer(&scope, transfer(s, main, east, 20))
            .await
            .expect("east");
        f.inventory
            .transfer(&scope, transfer(s, main, west, 20))
            .await
            .expect("west");
    }
    let inventory = Arc::new(f.inventory.clone());
    let mut tasks = Vec::new();
    for i in 0..150u64 {
        let inventory = inventory.clone();
        let scope = f.scope();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(i);
            if i % 10 == 0 {
                let places = [main, east, west];
                let from = places[rng.gen_range(0..3)];
                let to = places[(places.iter().position(|p| *p == from).unwrap_or(0) + 1) % 3];
                let s = if rng.gen_bool(0.5) { "A" } else { "B" };
                return match inventory
                    .transfer(&scope, transfer(s, from, to, rng.gen_range(1..8)))
                    .await
                {
                    Ok(_) | Err(LocationError::Short { .. }) => 0,
                    Err(other) => panic!("transfer: {other:?}"),
                };
            }
            let mut lines = vec![("A", rng.gen_range(1..6))];
            if rng.gen_bool(0.5) {
                lines.push(("B", rng.gen_range(1..6)));
            }
            match inventory
                .reserve(&scope, request(&format!("o{i}"), &lines, Ttl::DEFAULT))
                .await
            {
                Ok(held) => held.lines.iter().map(|l| l.quantity.get()).sum::<i64>(),
                Err(ReserveError::Insufficient(_)) => 0,
                Err(other) => panic!("reserve: {other:?}"),
            }
        }));
    }
    let mut held = 0;
    for task in tasks {
        held += task.await.expect("task");
    }
    assert!(held > 0 && held <= 120, "held {held}");
    let a = f
        .inventory
        .item(f.tenant, &sku("A"))
        .await
        .expect("A")
        .expect("A");
    let b = f
        .inventory
        .item(f.tenant, &sku("B"))
        .await
        .expect("B")
        .expect("B");
    assert_eq!(a.reserved + b.reserved, held);
    for s in ["A", "B"] {
        assert_sums(&f, s).await;
    }
    f.assert_reconciled().await;
}
