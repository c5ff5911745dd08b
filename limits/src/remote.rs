//! The limiter shared by every gateway: one GCRA bucket per key in Redis, checked
//! and updated by one Lua script (EVALSHA, loaded again when the server lost it).
//!
//! Keys are `{prefix}rl:{space}:{hash}`: the client's key (an address, an email,
//! a tenant) is hashed, so key lengths are bounded and Redis holds no personal
//! data; every bucket expires when it is full again, so memory is bounded by the
//! clients active in the last burst window.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use sha2::{Digest, Sha256};

use crate::gcra::{Decision, Rate};

/// Why Redis gave no verdict.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("no answer from Redis within {0:?}")]
    Timeout(Duration),
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected answer from the rate-limit script: {0:?}")]
    Reply(Vec<i64>),
}

#[derive(Debug)]
pub(crate) struct Remote {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
    timeout: Duration,
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn duration(micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

impl Remote {
    /// A limiter on the Redis at `url`, connecting lazily (the gateway starts while
    /// Redis is away) and reconnecting by itself after a lost connection.
    pub(crate) fn new(url: &str, prefix: &str, timeout: Duration) -> redis::RedisResult<Self> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout.max(Duration::from_millis(250))))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500))
            .set_number_of_retries(4);
        let connection = ConnectionManager::new_lazy_with_config(Client::open(url)?, config)?;
        Ok(Self {
            connection,
            script: Script::new(include_str!("gcra.lua")),
            prefix: prefix.to_string(),
            timeout,
        })
    }

    /// The Redis key of `key`'s bucket in `space`.
    pub(crate) fn key(&self, space: &str, key: &str) -> String {
        let digest = Sha256::digest(key.as_bytes());
        format!("{}rl:{space}:{}", self.prefix, hex::encode(&digest[..16]))
    }

    /// Decides on one request of `key` in `space` at `rate`, on Redis's clock.
    pub(crate) async fn check(
        &self,
        space: &str,
        key: &str,
        rate: Rate,
    ) -> Result<Decision, Failure> {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(self.key(space, key));
        invocation.arg(micros(rate.interval())).arg(rate.burst());
        let reply: Vec<i64> =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| Failure::Timeout(self.timeout))??;
        let &[allowed, remaining, retry_after, reset_after] = reply.as_slice() else {
            return Err(Failure::Reply(reply));
        };
        Ok(Decision {
            allowed: allowed == 1,
            limit: rate.burst(),
            remaining: u32::try_from(remaining).unwrap_or(0).min(rate.burst()),
            retry_after: duration(retry_after),
            reset_after: duration(reset_after),
        })
    }

    /// Whether Redis answers a PING in time.
    pub(crate) async fn ping(&self) -> Result<(), Failure> {
        let mut connection = self.connection.clone();
        let ping = redis::cmd("PING");
        let _pong: String = tokio::time::timeout(self.timeout, ping.query_async(&mut connection))
            .await
            .map_err(|_| Failure::Timeout(self.timeout))??;
        Ok(())
    }
}
