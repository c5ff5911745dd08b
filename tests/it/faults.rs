//! Database faults seen from outside: connections killed under load, PostgreSQL
//! unreachable and back. A fault is `UNAVAILABLE` (HTTP 503 with `Retry-After`),
//! never `INTERNAL`; no acknowledged write is lost; readiness follows the database.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use souk_inventory::PgInventory;
use souk_tenants::{Role, TenantId};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::support::{code, stock, TestApp};

const RESERVE: &str = "mutation($o: String!, $sku: String!) {
    reserveStock(orderId: $o, lines: [{ sku: $sku, quantity: 1 }]) { orderId status } }";
const RELEASE: &str = "mutation($o: String!) { releaseReservation(orderId: $o) { status } }";
const READ: &str = "query($sku: String!) { stockItem(sku: $sku) { available } }";

/// One answer: the HTTP status, whether `Retry-After` came with it, the body.
struct Answer {
    status: u16,
    retry_after: bool,
    body: Value,
}

async fn post(app: &TestApp, token: &str, query: &str, variables: Value) -> Answer {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send");
    Answer {
        status: response.status().as_u16(),
        retry_after: response.headers().contains_key("retry-after"),
        body: response.json().await.expect("json body"),
    }
}

/// Kills every connection of the app role to the test database, every 0.2 to
/// 0.4 s until `stop`; returns how many backends it terminated.
fn killer(app: &TestApp, stop: Arc<AtomicBool>) -> JoinHandle<i64> {
    let owner = app.db.owner.clone();
    tokio::spawn(async move {
        let mut killed = 0;
        let mut round: u64 = 0;
        while !stop.load(Ordering::Relaxed) {
            round += 1;
            tokio::time::sleep(Duration::from_millis(200 + (round * 73) % 200)).await;
            let n: i64 = sqlx::query_scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND usename = 'souk_app'",
            )
            .fetch_one(&owner)
            .await
            .unwrap_or(0);
            killed += n;
        }
        killed
    })
}

#[derive(Default)]
struct Tally {
    by_outcome: BTreeMap<String, usize>,
    acknowledged: Vec<String>,
    released: Vec<String>,
    wrong: Vec<String>,
}

impl Tally {
    /// Files one answer; true when it succeeded.
    fn file(&mut self, what: &str, answer: &Answer) -> bool {
        let outcome = match code(&answer.body) {
            None => "ok".to_string(),
            Some(code) => code.to_string(),
        };
        let fault_ok = answer.status == 503 && outcome == "UNAVAILABLE" && answer.retry_after;
        if outcome != "ok" && !fault_ok {
            self.wrong
                .push(format!("{what}: {} {}", answer.status, answer.body));
        }
        *self
            .by_outcome
            .entry(format!("{what} {} {outcome}", answer.status))
            .or_default() += 1;
        outcome == "ok"
    }
}

async fn client_loop(app: Arc<TestApp>, token: String, worker: usize, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let order = format!("w{worker}-{i}");
        let sku = format!("SKU-{}", i % 4);
        let answer = post(&app, &token, RESERVE, json!({ "o": order, "sku": sku })).await;
        let held = tally.file("reserve", &answer);
        if held {
            tally.acknowledged.push(order.clone());
        }
        let answer = post(&app, &token, READ, json!({ "sku": sku })).await;
        tally.file("read", &answer);
        if held && i % 3 == 0 {
            let answer = post(&app, &token, RELEASE, json!({ "o": order })).await;
            if tally.file("release", &answer) {
                tally.released.push(order);
            }
        }
    }
    tally
}

#[tokio::test]
async fn killed_connections_under_load_answer_unavailable_and_lose_nothing() {
    let app = Arc::new(TestApp::spawn().await);
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    for n in 0..4 {
        stock(&app, &token, &format!("SKU-{n}"), 100_000).await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let killing = killer(&app, stop.clone());
    let until = Instant::now() + Duration::from_secs(5);
    let workers: Vec<_> = (0..8)
        .map(|w| tokio::spawn(client_loop(app.clone(), token.clone(), w, until)))
        .collect();
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await.expect("worker");
        for (outcome, n) in tally.by_outcome {
            *total.by_outcome.entry(outcome).or_default() += n;
        }
        total.acknowledged.extend(tally.acknowledged);
        total.released.extend(tally.released);
        total.wrong.extend(tally.wrong);
    }
    stop.store(true, Ordering::Relaxed);
    let killed = killing.await.expect("killer");
    println!("backends killed: {killed}; answers: {:?}", total.by_outcome);
    assert!(killed > 0, "the connections were killed");
    assert!(
        total.wrong.is_empty(),
        "{} answers were neither success nor 503 UNAVAILABLE with Retry-After: {:#?}",
        total.wrong.len(),
        &total.wrong[..total.wrong.len().min(10)]
    );
    assert_books(&app, tenant, &total).await;
}

/// The stock rows agree with the ledger and the active reservations, and every
/// acknowledged reservation is there, released when its release was acknowledged.
async fn assert_books(app: &TestApp, tenant: TenantId, tally: &Tally) {
    let discrepancies = PgInventory::new(app.db.app.clone(), app.platform())
        .audit(tenant)
        .await
        .expect("audit");
    assert!(discrepancies.is_empty(), "{discrepancies:?}");
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT order_id, status::text FROM inventory.reservations WHERE tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .fetch_all(&app.db.owner)
    .await
    .expect("reservations");
    let stored: BTreeMap<String, String> = rows.into_iter().collect();
    for order in &tally.acknowledged {
        assert!(stored.contains_key(order), "acknowledged {order} is lost");
    }
    for order in &tally.released {
        assert_eq!(stored[order], "released", "{order}");
    }
    println!(
        "{} acknowledged reservations kept, {} releases kept",
        tally.acknowledged.len(),
        tally.released.len()
    );
}

/// A TCP proxy to the machine's PostgreSQL that a test can cut and restore.
struct Proxy {
    addr: std::net::SocketAddr,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (gate, registry) = (open.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !gate.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused by closing it
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().expect("links").push(link);
            }
        });
        Self { addr, open, links }
    }

    /// PostgreSQL becomes unreachable: open connections break, new ones close.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by `addr`.
fn via(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme_auth, rest) = url.split_once('@').expect("credentials in the URL");
    let (_, path) = rest.split_once('/').expect("a database in the URL");
    format!("{scheme_auth}@{addr}/{path}")
}

async fn ready(app: &TestApp) -> u16 {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

#[tokio::test]
async fn readiness_and_requests_follow_postgres_away_and_back_without_a_restart() {
    let db = souk_migrations::testing::TestDatabase::create().await;
    let upstream = db.app_url.split_once('@').expect("url").1;
    let upstream = upstream.split_once('/').expect("url").0.to_string();
    let proxy = Proxy::start(upstream).await;
    let url = via(&db.app_url, proxy.addr);
    let app = TestApp::spawn_at(db, &url, "").await;
    let tenant = app.create_tenant().await;
    let token = app.token(Role::Owner, Some(tenant));
    stock(&app, &token, "SKU-R", 5).await;
    assert_eq!(ready(&app).await, 200);

    proxy.cut();
    assert_eq!(ready(&app).await, 503, "not ready while PostgreSQL is away");
    let answer = post(&app, &token, READ, json!({ "sku": "SKU-R" })).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(code(&answer.body), Some("UNAVAILABLE"), "{}", answer.body);
    assert!(answer.retry_after);
    assert!(answer.body["errors"][0]["extensions"]["requestId"].is_string());

    proxy.restore();
    let back = Instant::now();
    let mut status = ready(&app).await;
    while status != 200 && back.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = ready(&app).await;
    }
    assert_eq!(status, 200, "ready again without a restart");
    println!(
        "ready again {} ms after PostgreSQL came back",
        back.elapsed().as_millis()
    );
    let answer = post(&app, &token, READ, json!({ "sku": "SKU-R" })).await;
    assert_eq!(
        answer.body["data"]["stockItem"]["available"], 5,
        "{}",
        answer.body
    );
}
