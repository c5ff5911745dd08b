//! Clients that hang up mid-request: whatever the moment, later requests are
//! answered at full speed and a graceful shutdown is prompt.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{stock, TestApp};

const RESERVE: &str = "mutation($order: String!, $lines: [ReservationLineInput!]!) {
    reserveStock(orderId: $order, lines: $lines) { orderId status }
}";

/// A small xorshift: moments spread over the window, reproducible from the seed.
struct Moments(u64);

impl Moments {
    fn next_micros(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Writes a whole `reserveStock` request on a raw socket, waits `after`, then
/// resets the connection (linger 0: an RST, not a FIN).
async fn reserve_and_reset(app: &TestApp, token: &str, order: &str, after: Duration) {
    let body = json!({
        "query": RESERVE,
        "variables": { "order": order, "lines": [{ "sku": "HOT", "quantity": 1 }] },
    })
    .to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        app.addr,
        body.len()
    );
    let Ok(mut socket) = TcpStream::connect(app.addr).await else {
        return;
    };
    let _ = socket.write_all(request.as_bytes()).await;
    tokio::time::sleep(after).await;
    // Linger 0 makes the close a reset and does not block.
    #[allow(deprecated)]
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

/// The same request through reqwest, abandoned after `after`.
async fn reserve_and_abandon(app: &TestApp, token: &str, order: &str, after: Duration) {
    let client = reqwest::Client::new();
    let request = client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({
            "query": RESERVE,
            "variables": { "order": order, "lines": [{ "sku": "HOT", "quantity": 1 }] },
        }));
    let _ = tokio::time::timeout(after, request.send()).await;
}

/// How long the slowest of `n` concurrent reservations took to be answered, or
/// `None` when one was not answered within `limit`.
async fn answered_within(
    app: &TestApp,
    token: &str,
    n: usize,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let calls = (0..n).map(|i| async move {
        let call = app.gql(
            Some(token),
            RESERVE,
            json!({ "order": format!("normal-{i}-{}", uuid::Uuid::now_v7()),
                    "lines": [{ "sku": "HOT", "quantity": 1 }] }),
        );
        let (_, body) = tokio::time::timeout(limit, call).await.ok()?;
        assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE", "{body}");
        Some(())
    });
    let answers = futures::future::join_all(calls).await;
    answers
        .iter()
        .all(Option::is_some)
        .then(|| started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_hanging_up_mid_reservation_never_wedge_the_others() {
    let mut app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "HOT", 1_000_000).await;
    let baseline = answered_within(&app, &token, 16, Duration::from_secs(10))
        .await
        .expect("reservations are answered before anyone hangs up");

    // Hang-ups spread from 0 to twice a lone reservation's time, so that some land
    // while a batch is being written, whatever the speed of this machine.
    let lone = answered_within(&app, &token, 1, Duration::from_secs(10))
        .await
        .expect("a lone reservation is answered");
    let window = u64::try_from(lone.as_micros() * 2)
        .unwrap_or(u64::MAX)
        .max(2_000);
    let seed = uuid::Uuid::now_v7().as_u64_pair().1 | 1;
    let mut moments = Moments(seed);
    for round in 0..8 {
        let hang_ups = (0..48).map(|i| {
            let after = Duration::from_micros(moments.next_micros(window));
            let order = format!("gone-{round}-{i}");
            let (app, token) = (&app, &token);
            async move {
                if i % 2 == 0 {
                    reserve_and_reset(app, token, &order, after).await;
                } else {
                    reserve_and_abandon(app, token, &order, after).await;
                }
            }
        });
        futures::future::join_all(hang_ups).await;
    }

    let after = answered_within(&app, &token, 16, Duration::from_secs(5)).await;
    println!("seed {seed}, hang-ups within {window} µs: 16 reservations answered in {baseline:?} before, {after:?} after");
    let after = after.expect("every reservation after the hang-ups is answered within 5 s");
    assert!(
        after < baseline * 10 + Duration::from_secs(1),
        "reservations slowed down after the hang-ups: {after:?} against {baseline:?}"
    );

    let started = Instant::now();
    let served = app.begin_shutdown();
    let stopped = tokio::time::timeout(Duration::from_secs(5), served).await;
    println!("graceful shutdown took {:?}", started.elapsed());
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the graceful shutdown did not finish within 5 s"
    );
}

const STOREFRONT: &str = "{ products(first: 20) { edges { node { title } } } }";

/// One storefront query's time, or `None` past `limit`.
async fn storefront_query(app: &TestApp, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let (status, body) = tokio::time::timeout(limit, app.gql(None, STOREFRONT, json!({})))
        .await
        .ok()?;
    assert!(status.is_success(), "{status} {body}");
    Some(started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_storefront_answers_at_once_after_a_64_connection_burst() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    for i in 0..20 {
        let (_, body) = app
            .gql(
                Some(&token),
                "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
                json!({ "i": { "title": format!("P{i}"), "price": { "amount": 100, "currency": "EUR" },
                               "variants": [{ "sku": format!("P-{i}"), "initialStock": 5 }] } }),
            )
            .await;
        let id = body["data"]["createProduct"]["id"].clone();
        app.gql(
            Some(&token),
            "mutation($id: ID!) { publishProduct(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    }
    let before = storefront_query(&app, Duration::from_secs(10)).await;
    let until = Instant::now() + Duration::from_secs(3);
    let served = std::sync::atomic::AtomicUsize::new(0);
    let load = (0..64).map(|i| {
        let (app, served) = (&app, &served);
        async move {
            // Each connection of its own; some clients give up on their last
            // query, as a load tool stopping does.
            let client = reqwest::Client::new();
            while Instant::now() < until {
                let send = client
                    .post(app.url("/graphql"))
                    .json(&json!({ "query": STOREFRONT }))
                    .send();
                // Three in four give up on their last query when the burst
                // ends, all at once; the others after 20 ms at any moment.
                let wait = if i % 4 == 0 {
                    Instant::now() + Duration::from_millis(20)
                } else {
                    until
                };
                if tokio::time::timeout_at(wait.into(), send).await.is_ok() {
                    served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    });
    futures::future::join_all(load).await;
    let after = storefront_query(&app, Duration::from_secs(10)).await;
    let served = served.into_inner();
    println!(
        "storefront: {before:?} before, {served} queries in 3 s by 64 connections, {after:?} after"
    );
    let after = after.expect("a storefront query after the burst is answered within 10 s");
    assert!(
        after < Duration::from_secs(3),
        "a storefront query after the burst took {after:?}"
    );
}
