//! The relay: in order per partition, once, again after a crash between publish
//! and mark-sent, shared safely between relays, closed to the app role.

use std::collections::HashSet;
use std::time::Duration;

use souk_worker::relay::{claim, relay_once, Message};

use crate::support::{by_partition, publisher, Fixture};

const WAIT: Duration = Duration::from_secs(5);

/// Relays until a pass sends nothing; returns how many left.
async fn drain(fx: &Fixture) -> usize {
    let publisher = publisher().await;
    let mut sent = 0;
    loop {
        match relay_once(&fx.db.platform, &publisher)
            .await
            .expect("relay")
        {
            0 => return sent,
            n => sent += n,
        }
    }
}

#[tokio::test]
async fn events_leave_in_order_per_partition_and_once() {
    let mut fx = Fixture::new().await;
    for seq in 0..5 {
        for partition in ["sku:A", "sku:B", "reservation:1"] {
            fx.write(partition, seq).await;
        }
    }
    assert_eq!(drain(&fx).await, 15);
    let got = fx.receive(15, WAIT).await;
    assert_eq!(got.len(), 15);
    for (partition, seqs) in by_partition(&got) {
        assert_eq!(seqs, (0..5).collect::<Vec<_>>(), "{partition}");
    }
    let ids: HashSet<_> = got.iter().map(|e| e.message_id.clone()).collect();
    assert_eq!(ids.len(), 15, "one message id per event");
    let envelope = &got[0].body;
    assert_eq!(
        (envelope["type"].as_str(), envelope["version"].as_i64()),
        (Some("test.event"), Some(1))
    );
    assert_eq!(envelope["id"], got[0].message_id.as_str());

    assert_eq!(fx.unsent().await, 0);
    assert_eq!(drain(&fx).await, 0, "nothing is sent twice");
    assert!(fx.receive(1, Duration::from_millis(500)).await.is_empty());
}

#[tokio::test]
async fn a_crash_between_publish_and_mark_sent_sends_the_same_events_again() {
    let mut fx = Fixture::new().await;
    for seq in 0..3 {
        fx.write("sku:CRASH", seq).await;
    }
    {
        let publisher = publisher().await;
        let mut tx = fx.db.platform.begin().await.expect("begin");
        let events = claim(&mut tx, 100).await.expect("claim");
        let messages: Vec<Message> = events.iter().map(|e| e.message.clone()).collect();
        publisher.publish(&messages).await.expect("publish");
        // The relay dies here: its transaction never commits.
        drop(tx);
    }
    // A claim takes only the head of the partition: the others wait behind it.
    let first = fx.receive(3, Duration::from_secs(2)).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].seq(), 0);
    assert_eq!(fx.unsent().await, 3, "nothing marked sent");

    assert_eq!(drain(&fx).await, 3);
    let again = fx.receive(3, WAIT).await;
    assert_eq!(
        by_partition(&again)["sku:CRASH"],
        vec![0, 1, 2],
        "order kept"
    );
    assert_eq!(
        again[0].message_id, first[0].message_id,
        "the same id again, so consumers can dedupe"
    );
    assert_eq!(fx.unsent().await, 0);
}

#[tokio::test]
async fn a_partition_claimed_by_one_relay_waits_while_others_move() {
    let mut fx = Fixture::new().await;
    fx.write("sku:HELD", 0).await;
    fx.write("sku:HELD", 1).await;
    fx.write("sku:FREE", 0).await;
    let mut held = fx.db.platform.begin().await.expect("begin");
    let claimed = claim(&mut held, 1).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message.payload["partition"], "sku:HELD");

    // Another relay sends the free partition, and neither event of the held one:
    // not the locked head, and not the one behind it.
    assert_eq!(drain(&fx).await, 1);
    let got = fx.receive(1, WAIT).await;
    assert_eq!(got[0].partition(), "sku:FREE");
    held.rollback().await.expect("rollback");

    assert_eq!(drain(&fx).await, 2);
    let rest = fx.receive(2, WAIT).await;
    assert_eq!(by_partition(&rest)["sku:HELD"], vec![0, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_relays_send_every_event_once_and_in_order() {
    let mut fx = Fixture::new().await;
    for seq in 0..10 {
        for p in 0..12 {
            fx.write(&format!("p{p}"), seq).await;
        }
    }
    let relays: Vec<_> = (0..4)
        .map(|_| {
            let pool = fx.db.platform.clone();
            tokio::spawn(async move {
                let publisher = publisher().await;
                let mut sent = 0;
                let mut idle = 0;
                while idle < 3 {
                    match relay_once(&pool, &publisher).await.expect("relay") {
                        0 => {
                            idle += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        n => {
                            idle = 0;
                            sent += n;
                        }
                    }
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for relay in relays {
        sent += relay.await.expect("relay task");
    }
    assert_eq!(sent, 120);
    let got = fx.receive(120, WAIT).await;
    assert_eq!(got.len(), 120);
    assert!(
        fx.receive(1, Duration::from_millis(300)).await.is_empty(),
        "no duplicates"
    );
    for (partition, seqs) in by_partition(&got) {
        assert_eq!(seqs, (0..10).collect::<Vec<_>>(), "{partition}");
    }
    assert_eq!(fx.unsent().await, 0);
}

#[tokio::test]
async fn the_app_role_cannot_claim_or_mark_events() {
    let fx = Fixture::new().await;
    fx.write("sku:X", 0).await;
    let mut tx = fx.db.app.begin().await.expect("begin");
    assert!(
        claim(&mut tx, 10).await.is_err(),
        "tenant role claims across tenants"
    );
    drop(tx);
    let mut tx = fx.db.app.begin().await.expect("begin");
    assert!(souk_worker::relay::mark_sent(&mut tx, &[1]).await.is_err());
    drop(tx);
    assert_eq!(fx.unsent().await, 1);
}
