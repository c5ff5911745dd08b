//! Rate limits: GCRA buckets keyed per tenant, visitor or account.
//!
//! With a Redis URL every check runs as one atomic Lua script on Redis, on the
//! server's clock, so all gateways share one bucket per key and a tenant gets its
//! plan's rate in total however many replicas serve it. Without one, governor's
//! in-process limiters decide: exact for a single process, and each of N
//! replicas admits the full rate. When Redis does not answer in time, each
//! process decides alone at its share (`rate / replicas`, at least 1 request),
//! logs the outage once, counts every such decision in
//! `souk_rate_limit_fallbacks_total`, and goes back to Redis as soon as it
//! answers a PING again (checked every 200 ms in the background).

mod gcra;
mod local;
mod remote;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use gcra::{Decision, Rate};
pub use remote::Failure;

use local::Local;
use remote::Remote;

/// How often an unreachable Redis is asked whether it is back.
const PROBE_EVERY: Duration = Duration::from_millis(200);

/// Where limits are kept.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Redis, shared by every replica; `None` keeps limits in this process.
    pub redis_url: Option<String>,
    /// What every Redis key starts with (one deployment, or one test, each).
    pub prefix: String,
    /// How long a check waits for Redis before this process decides alone.
    pub timeout: Duration,
    /// How many processes serve together: their share of a rate is what each
    /// admits alone while Redis is unreachable.
    pub replicas: u32,
}

/// Every rate limit of one process.
#[derive(Debug)]
pub struct Limits {
    local: Local,
    shared: Option<Shared>,
}

#[derive(Debug)]
struct Shared {
    remote: Arc<Remote>,
    down: Arc<AtomicBool>,
    replicas: u32,
}

impl Limits {
    /// Limits kept in this process alone.
    pub fn in_process() -> Self {
        Self {
            local: Local::default(),
            shared: None,
        }
    }

    /// Limits as `settings` describe them; an invalid Redis URL is an error, an
    /// unreachable Redis is not (it is looked for at every check).
    pub fn new(settings: &Settings) -> Result<Self, Failure> {
        let Some(url) = &settings.redis_url else {
            return Ok(Self::in_process());
        };
        let remote = Remote::new(url, &settings.prefix, settings.timeout)?;
        metrics::gauge!("souk_rate_limit_redis_up").set(1.0);
        Ok(Self {
            local: Local::default(),
            shared: Some(Shared {
                remote: Arc::new(remote),
                down: Arc::new(AtomicBool::new(false)),
                replicas: settings.replicas.max(1),
            }),
        })
    }

    /// Whether checks go to Redis now (configured and answering).
    pub fn is_shared(&self) -> bool {
        self.shared
            .as_ref()
            .is_some_and(|shared| !shared.down.load(Ordering::Acquire))
    }

    /// Decides on one request of `key` in `space` (`tenant`, `login-ip`, …) at
    /// `rate`. Never fails: without a verdict from Redis, this process decides.
    pub async fn check(&self, space: &'static str, key: &str, rate: Rate) -> Decision {
        let Some(shared) = &self.shared else {
            return self.local.check(space, key, rate);
        };
        if !shared.down.load(Ordering::Acquire) {
            match shared.remote.check(space, key, rate).await {
                Ok(decision) => return decision,
                Err(failure) => shared.lost(&failure),
            }
        }
        metrics::counter!("souk_rate_limit_fallbacks_total", "space" => space).increment(1);
        self.local.check(space, key, rate.share(shared.replicas))
    }

    /// Forgets idle in-process buckets every minute until `stop`.
    pub async fn run_cleanup(self: Arc<Self>, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => self.local.forget_idle(),
            }
        }
    }
}

impl Shared {
    /// Redis gave no verdict: on the first failure of an outage, log it and look
    /// for Redis in the background until it answers.
    fn lost(&self, failure: &Failure) {
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!(
            error = %failure,
            replicas = self.replicas,
            "Redis unreachable: rate limits are decided in this process, at its share \
             of each rate, until Redis answers again"
        );
        metrics::gauge!("souk_rate_limit_redis_up").set(0.0);
        metrics::counter!("souk_rate_limit_redis_outages_total").increment(1);
        tokio::spawn(probe(Arc::downgrade(&self.remote), self.down.clone()));
    }
}

/// Pings Redis until it answers (then checks go back to it) or the limits are
/// dropped.
async fn probe(remote: Weak<Remote>, down: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let Some(remote) = remote.upgrade() else {
            return;
        };
        if remote.ping().await.is_ok() {
            down.store(false, Ordering::Release);
            metrics::gauge!("souk_rate_limit_redis_up").set(1.0);
            tracing::info!("Redis answers again: rate limits are shared again");
            return;
        }
    }
}
