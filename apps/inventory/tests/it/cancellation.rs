//! A reservation whose caller goes away mid-batch (its request future dropped)
//! stops neither that batch nor the reservations after it.

use std::time::Duration;

use souk_inventory::domain::Ttl;
use souk_inventory::Inventory;

use crate::support::{request, Fixture};

#[tokio::test]
async fn a_caller_dropped_mid_batch_leaves_the_shard_working() {
    let f = Fixture::new().await;
    f.stock("HOT", 10).await;
    // Hold the batch inside the database, so the first caller is surely dropped
    // while its batch runs.
    let mut blocker = f.db.owner.begin().await.expect("begin");
    sqlx::query("LOCK TABLE inventory.reservations IN SHARE MODE")
        .execute(&mut *blocker)
        .await
        .expect("lock");
    let scope = f.scope();
    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        f.inventory
            .reserve(&scope, request("gone", &[("HOT", 1)], Ttl::DEFAULT)),
    )
    .await;
    assert!(
        dropped.is_err(),
        "the batch should still be waiting on the lock"
    );
    blocker.rollback().await.expect("unlock");

    let next = tokio::time::timeout(
        Duration::from_secs(5),
        f.inventory
            .reserve(&scope, request("next", &[("HOT", 1)], Ttl::DEFAULT)),
    )
    .await;
    assert!(
        matches!(next, Ok(Ok(_))),
        "a reservation after the dropped one is answered: {next:?}"
    );
    // The dropped caller's batch ran to its end: its reservation stands, once.
    let gone = f
        .inventory
        .reservation(f.tenant, &crate::support::order("gone"))
        .await
        .expect("read");
    assert!(gone.is_some(), "the batch of the dropped caller completed");
    assert_eq!(f.available("HOT").await, 8);
    f.assert_reconciled().await;
}
