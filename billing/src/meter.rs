//! Exact per-request metering: counted in memory on the hot path, flushed to
//! PostgreSQL at least every second and on graceful shutdown.
//!
//! Counts are kept per (tenant, UTC day) in sharded maps, so counting is one
//! uncontended lock and an addition. A flush takes everything counted so far and
//! adds it in one call of `billing.record_usage` under a flush id; the database
//! applies each flush id once, so a flush whose outcome was unknown (the
//! connection dropped after the commit) is retried with the same id and cannot
//! count twice. Several gateways flush into the same rows with atomic additions.
//! What a killed process had not flushed yet (at most one flush window) is lost;
//! a graceful shutdown flushes first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store;
use souk_tenants::{PlatformPool, TenantId};

const SHARDS: usize = 16;

type Counts = HashMap<(TenantId, NaiveDate), i64>;

/// A flush that has not been confirmed yet: retried as it is, with its id.
#[derive(Debug)]
struct Pending {
    id: Uuid,
    counts: Vec<(TenantId, NaiveDate, i64)>,
}

#[derive(Debug)]
pub struct Meter {
    pool: PlatformPool,
    report_to_stripe: bool,
    shards: Vec<Mutex<Counts>>,
    pending: Mutex<Option<Pending>>,
    flushing: tokio::sync::Mutex<()>,
}

fn shard_of(tenant: TenantId) -> usize {
    let bytes = tenant.as_uuid().as_u128();
    usize::try_from(bytes % SHARDS as u128).unwrap_or(0)
}

impl Meter {
    /// A meter flushing into `pool` (a flush spans tenants); with
    /// `report_to_stripe`, flushed counts also feed the Stripe usage reports.
    pub fn new(pool: PlatformPool, report_to_stripe: bool) -> Self {
        Self {
            pool,
            report_to_stripe,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            pending: Mutex::new(None),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts one request of `tenant`.
    pub fn count(&self, tenant: TenantId) {
        let day = Utc::now().date_naive();
        if let Ok(mut shard) = self.shards[shard_of(tenant)].lock() {
            *shard.entry((tenant, day)).or_insert(0) += 1;
        }
    }

    /// Requests of `tenant` counted here and not yet confirmed flushed.
    pub fn unflushed(&self, tenant: TenantId) -> i64 {
        let local: i64 = self.shards[shard_of(tenant)]
            .lock()
            .map(|shard| {
                shard
                    .iter()
                    .filter(|((t, _), _)| *t == tenant)
                    .map(|(_, n)| *n)
                    .sum()
            })
            .unwrap_or(0);
        let pending: i64 = self
            .pending
            .lock()
            .ok()
            .and_then(|p| {
                p.as_ref().map(|p| {
                    p.counts
                        .iter()
                        .filter(|(t, _, _)| *t == tenant)
                        .map(|(_, _, n)| *n)
                        .sum()
                })
            })
            .unwrap_or(0);
        local + pending
    }

    fn take_counts(&self) -> Vec<(TenantId, NaiveDate, i64)> {
        let mut all = Vec::new();
        for shard in &self.shards {
            if let Ok(mut shard) = shard.lock() {
                all.extend(shard.drain().map(|((t, d), n)| (t, d, n)));
            }
        }
        all
    }

    /// Flushes what was counted; returns each flushed tenant's total for this
    /// month. On failure the flush is kept, with its id, for the next attempt.
    pub async fn flush(&self) -> Result<Vec<(TenantId, i64)>, sqlx::Error> {
        let _one_at_a_time = self.flushing.lock().await;
        let pending = {
            let mut slot = self.pending.lock().map_err(|_| poisoned())?;
            match slot.take() {
                Some(pending) => pending,
                None => Pending {
                    id: Uuid::now_v7(),
                    counts: self.take_counts(),
                },
            }
        };
        if pending.counts.is_empty() {
            return Ok(Vec::new());
        }
        // Put it back before the call, so that `unflushed` keeps seeing it.
        let (id, counts) = (pending.id, pending.counts.clone());
        *self.pending.lock().map_err(|_| poisoned())? = Some(pending);
        let totals =
            store::record_usage(self.pool.pool(), id, &counts, self.report_to_stripe).await?;
        *self.pending.lock().map_err(|_| poisoned())? = None;
        metrics::counter!("souk_metered_requests_flushed_total").increment(
            counts
                .iter()
                .map(|(_, _, n)| u64::try_from(*n).unwrap_or(0))
                .sum(),
        );
        Ok(totals
            .into_iter()
            .map(|(tenant, total)| (TenantId::from_uuid(tenant), total))
            .collect())
    }

    /// Flushes every `interval` until `stop`, then once more (retrying a few
    /// times), so a graceful shutdown loses nothing. `after_flush` receives the
    /// month totals.
    pub async fn run(
        &self,
        interval: Duration,
        stop: CancellationToken,
        after_flush: impl Fn(Vec<(TenantId, i64)>) + Send,
    ) {
        let mut ticks = souk_tenants::ticks::Ticks::new(interval, stop);
        while ticks.next().await {
            match self.flush().await {
                Ok(totals) => after_flush(totals),
                Err(err) => {
                    tracing::warn!(error = %err, "usage flush failed; kept for the next one")
                }
            }
        }
        let mut failures = 0;
        loop {
            match self.flush().await {
                Ok(totals) if totals.is_empty() => return,
                Ok(totals) => after_flush(totals),
                Err(err) if failures < 5 => {
                    failures += 1;
                    tracing::warn!(error = %err, attempt = failures, "final usage flush failed");
                    tokio::time::sleep(Duration::from_millis(200 * failures)).await;
                }
                Err(err) => {
                    tracing::error!(error = %err, "usage counted since the last flush could not be saved");
                    return;
                }
            }
        }
    }
}

fn poisoned() -> sqlx::Error {
    sqlx::Error::Protocol("the meter's lock was poisoned".into())
}
