//! The GCRA script decides as governor does, with exact remaining counts and
//! waits, and keeps Redis tidy.

use std::time::Duration;

use souk_limits::{testing, Limits, Rate};

use crate::{connection, keys, on, on_test_redis};

async fn run(limits: &Limits, key: &str, rate: Rate, n: usize) -> Vec<(bool, u32)> {
    let mut seen = Vec::new();
    for _ in 0..n {
        let decision = limits.check("test", key, rate).await;
        seen.push((decision.allowed, decision.remaining));
    }
    seen
}

#[tokio::test]
async fn a_burst_is_admitted_with_exact_remaining_counts_then_refused_with_the_exact_wait() {
    let (limits, _) = on_test_redis(1);
    let rate = Rate::per_second(2, 3);
    let seen = run(&limits, "client", rate, 4).await;
    assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0)]);
    assert!(limits.is_shared(), "decided by Redis");
    // Governor, in process, decides the same.
    let local = run(&Limits::in_process(), "client", rate, 4).await;
    assert_eq!(seen, local);

    let refused = limits.check("test", "client", rate).await;
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 3);
    // One request every 500 ms: the next place opens 500 ms after the first.
    assert!(
        refused.retry_after > Duration::from_millis(400)
            && refused.retry_after <= Duration::from_millis(500),
        "{refused:?}"
    );
    assert_eq!(
        refused.reset_after,
        refused.retry_after + Duration::from_secs(1),
        "full again two intervals after the next place opens"
    );
    // Just before the wait is over: still refused; just after: admitted, none left.
    tokio::time::sleep(
        refused
            .retry_after
            .saturating_sub(Duration::from_millis(30)),
    )
    .await;
    assert!(!limits.check("test", "client", rate).await.allowed);
    tokio::time::sleep(Duration::from_millis(60)).await;
    let admitted = limits.check("test", "client", rate).await;
    assert!(admitted.allowed, "{admitted:?}");
    assert_eq!(admitted.remaining, 0);
}

#[tokio::test]
async fn keys_are_separate_per_space_and_key() {
    let (limits, _) = on_test_redis(1);
    let rate = Rate::per_minute(1);
    assert!(limits.check("login-ip", "10.0.0.1", rate).await.allowed);
    assert!(!limits.check("login-ip", "10.0.0.1", rate).await.allowed);
    assert!(limits.check("login-ip", "10.0.0.2", rate).await.allowed);
    assert!(limits.check("lookup-ip", "10.0.0.1", rate).await.allowed);
}

#[tokio::test]
async fn two_processes_on_one_redis_share_one_bucket() {
    let (first, prefix) = on_test_redis(2);
    let second = on(&testing::redis_url(), &prefix, 2);
    let rate = Rate::per_minute(5);
    let mut admitted = 0;
    for i in 0..10 {
        let limits = if i % 2 == 0 { &first } else { &second };
        admitted += u32::from(limits.check("test", "tenant", rate).await.allowed);
    }
    assert_eq!(admitted, 5, "the burst once, not once per process");
}

#[tokio::test]
async fn keys_are_hashed_bounded_and_expire_when_the_bucket_is_full_again() {
    let (limits, prefix) = on_test_redis(1);
    let long = "x".repeat(10_000);
    let rate = Rate::per_second(10, 2);
    let decision = limits.check("visitor", &long, rate).await;
    assert_eq!(decision.reset_after, Duration::from_millis(100));
    let url = testing::redis_url();
    let stored = keys(&url, &prefix).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].len() <= prefix.len() + 48, "{}", stored[0]);
    assert!(!stored[0].contains("xxx"));
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&stored[0])
        .query_async(&mut connection(&url).await)
        .await
        .expect("PTTL");
    assert!((1..=100).contains(&ttl), "{ttl}");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        keys(&url, &prefix).await.is_empty(),
        "a full bucket is no key"
    );
    assert_eq!(limits.check("visitor", &long, rate).await.remaining, 1);
}

#[tokio::test]
async fn a_script_flushed_from_redis_is_loaded_again() {
    let mut redis = testing::PrivateRedis::start();
    let limits = on(&redis.url(), &testing::prefix(), 1);
    let rate = Rate::per_minute(3);
    assert_eq!(limits.check("test", "k", rate).await.remaining, 2);
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut connection(&redis.url()).await)
        .await
        .expect("SCRIPT FLUSH");
    let decision = limits.check("test", "k", rate).await;
    assert_eq!(decision.remaining, 1, "EVALSHA failed over to EVAL");
    assert!(limits.is_shared());
    redis.stop();
}
