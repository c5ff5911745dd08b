//! Driver-only check of what abandoned reads cost the MongoDB pool: 64 tasks run
//! finds for a few seconds, 48 of them are dropped mid-flight when the burst ends,
//! then one fresh find is timed while the pool's connection events are counted.
//!
//! `cargo run -p souk-catalog --example pool_churn -- mongodb://127.0.0.1:27017`
//! (optional second argument: `min_pool_size`).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::event::cmap::CmapEvent;
use mongodb::event::EventHandler;
use mongodb::options::ClientOptions;

#[derive(Default)]
struct Counts {
    created: AtomicUsize,
    ready: AtomicUsize,
    closed: AtomicUsize,
}

impl Counts {
    fn line(&self) -> String {
        format!(
            "created {}, ready {}, closed {}",
            self.created.load(Relaxed),
            self.ready.load(Relaxed),
            self.closed.load(Relaxed)
        )
    }
}

async fn find_all(coll: &mongodb::Collection<Document>) -> usize {
    let cursor = coll.find(doc! {}).limit(20).await.expect("find");
    cursor.try_collect::<Vec<_>>().await.expect("cursor").len()
}

/// A client whose pool's connection events are counted in `counts`.
async fn counting_client(url: &str, min_pool: Option<u32>, counts: Arc<Counts>) -> mongodb::Client {
    let mut options = ClientOptions::parse(url).await.expect("url");
    options.min_pool_size = min_pool;
    let events = counts;
    options.cmap_event_handler = Some(EventHandler::callback(move |event| match event {
        CmapEvent::ConnectionCreated(_) => {
            events.created.fetch_add(1, Relaxed);
        }
        CmapEvent::ConnectionReady(_) => {
            events.ready.fetch_add(1, Relaxed);
        }
        CmapEvent::ConnectionClosed(_) => {
            events.closed.fetch_add(1, Relaxed);
        }
        _ => {}
    }));
    mongodb::Client::with_options(options).expect("client")
}

/// 64 tasks finding for 3 s, three in four giving up on their last find when
/// the burst ends (`spawned`: each find in a task of its own, left to finish);
/// how many finds finished.
async fn burst(coll: &mongodb::Collection<Document>, spawned: bool) -> usize {
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    let finished = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (coll, finished) = (coll.clone(), finished.clone());
            tokio::spawn(async move {
                while tokio::time::Instant::now() < until {
                    // Three in four give up on their last find when the burst ends.
                    let deadline = if i % 4 == 0 {
                        until + Duration::from_secs(30)
                    } else {
                        until
                    };
                    let find = {
                        let coll = coll.clone();
                        async move {
                            if spawned {
                                // Dropping the handle leaves the find to finish.
                                tokio::spawn(async move { find_all(&coll).await })
                                    .await
                                    .ok();
                            } else {
                                find_all(&coll).await;
                            }
                        }
                    };
                    if tokio::time::timeout_at(deadline, find).await.is_ok() {
                        finished.fetch_add(1, Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    finished.load(Relaxed)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("a MongoDB URL");
    let min_pool: Option<u32> = args.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0);
    let spawned = args.next().as_deref() == Some("spawn");
    let counts = Arc::new(Counts::default());
    let client = counting_client(&url, min_pool, counts.clone()).await;
    let db = client.database(&format!("pool_churn_{}", std::process::id()));
    let coll = db.collection::<Document>("products");
    let docs: Vec<_> = (0..20).map(|i| doc! { "title": format!("P{i}") }).collect();
    coll.insert_many(docs).await.expect("insert");
    let started = Instant::now();
    find_all(&coll).await;
    println!(
        "before: a find took {:?}; {}",
        started.elapsed(),
        counts.line()
    );
    // A second client, warmed and then left idle through the burst: its own
    // connection to the server, untouched by the first client's pool.
    let idle = mongodb::Client::with_uri_str(&url).await.expect("client");
    let idle_coll = idle.database(db.name()).collection::<Document>("products");
    find_all(&idle_coll).await;

    let finished = burst(&coll, spawned).await;
    println!(
        "burst: {finished} finds in 3 s by 64 tasks; {}",
        counts.line()
    );
    let timed = |coll: mongodb::Collection<Document>| async move {
        let started = Instant::now();
        find_all(&coll).await;
        started.elapsed()
    };
    let (busy, quiet) = tokio::join!(timed(coll.clone()), timed(idle_coll));
    println!(
        "right after: the burst's client {busy:?}, the idle client {quiet:?}; {}",
        counts.line()
    );
    for round in 0..5 {
        let started = Instant::now();
        find_all(&coll).await;
        println!(
            "after #{round}: a find took {:?}; {}",
            started.elapsed(),
            counts.line()
        );
    }
    let started = Instant::now();
    let fresh = mongodb::Client::with_uri_str(&url).await.expect("client");
    fresh
        .database("admin")
        .run_command(doc! { "ping": 1 })
        .await
        .expect("ping");
    println!("a fresh client's first ping took {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("2 s later: {}", counts.line());
    db.drop().await.expect("drop");
}
