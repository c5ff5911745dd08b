//! The limits against a real Redis: the script's exactness, shared buckets, key
//! hygiene, and the fallback when Redis goes away and comes back.

mod fallback;
mod script;

use std::time::Duration;

use souk_limits::{testing, Limits, Settings};

/// Limits on the shared test Redis under a prefix of their own, as one of
/// `replicas` processes; and the prefix.
pub fn on_test_redis(replicas: u32) -> (Limits, String) {
    let prefix = testing::prefix();
    (on(&testing::redis_url(), &prefix, replicas), prefix)
}

pub fn on(url: &str, prefix: &str, replicas: u32) -> Limits {
    Limits::new(&Settings {
        redis_url: Some(url.to_string()),
        prefix: prefix.to_string(),
        timeout: Duration::from_millis(100),
        replicas,
    })
    .expect("a valid Redis URL")
}

/// A plain connection to `url`, to look at the keys.
pub async fn connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers")
}

/// The keys under `prefix`.
pub async fn keys(url: &str, prefix: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection(url).await)
        .await
        .expect("KEYS")
}
