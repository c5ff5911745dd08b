//! Redis away: every check is still decided, by this process at its share of the
//! rate, without waiting long; Redis back: checks go to it again by themselves.

use std::time::{Duration, Instant};

use souk_limits::{testing, Rate};

use crate::on;

#[tokio::test]
async fn without_redis_each_process_admits_its_share_and_redis_is_used_again_once_back() {
    let mut redis = testing::PrivateRedis::start();
    let limits = on(&redis.url(), &testing::prefix(), 2);
    let rate = Rate::per_minute(6);
    let first = limits.check("test", "before", rate).await;
    assert!(first.allowed && first.limit == 6 && first.remaining == 5);

    redis.stop();
    let started = Instant::now();
    let mut decisions = Vec::new();
    for _ in 0..5 {
        decisions.push(limits.check("test", "during", rate).await);
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "one short wait for the outage, not one per check: {:?}",
        started.elapsed()
    );
    assert!(!limits.is_shared());
    let admitted: Vec<bool> = decisions.iter().map(|d| d.allowed).collect();
    assert_eq!(admitted, [true, true, true, false, false], "half of 6 here");
    assert!(decisions.iter().all(|d| d.limit == 3), "{decisions:?}");

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !limits.is_shared() {
        assert!(Instant::now() < deadline, "Redis was not used again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = limits.check("test", "after", rate).await;
    assert!(
        back.allowed && back.limit == 6 && back.remaining == 5,
        "{back:?}"
    );
}

#[tokio::test]
async fn a_redis_that_never_answered_is_no_obstacle_to_starting_or_deciding() {
    let redis = testing::PrivateRedis::start();
    let url = redis.url();
    drop(redis);
    let limits = on(&url, &testing::prefix(), 3);
    let decision = limits.check("test", "k", Rate::per_second(30, 30)).await;
    assert!(decision.allowed);
    assert_eq!(decision.limit, 10);
    assert!(!limits.is_shared());
}
