//! Admission of each GraphQL request: the plan's rate limit and quota for a
//! tenant's requests, a per-client limit for everyone else, and the `throttle`
//! figures every response carries.
//!
//! Rate limits are governor keyed limiters, one per (rate, burst) pair, keyed by
//! tenant; visitors (anonymous storefront traffic and signed-in customers) share
//! one limiter keyed by client. Idle keys are forgotten every minute, so memory
//! stays bounded. Limits are per gateway process: with N replicas behind a load
//! balancer a tenant gets up to N times its rate. Quotas are checked against the
//! month's total from PostgreSQL (refreshed by every flush and at least every few
//! seconds) plus what this process counted since: across replicas a tenant can
//! overshoot its quota by at most what the others served since their last flush.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

use crate::domain::{OverQuota, Period};
use crate::meter::Meter;
use crate::store;
use souk_tenants::{TenantId, TenantTx};
use sqlx::PgPool;

type Limiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One limiter per plan rate: (requests per second, burst).
type PlanLimiters = HashMap<(u32, u32), Arc<Limiter<TenantId>>>;

/// How long a tenant's plan and usage are trusted before they are read again.
const REFRESH: Duration = Duration::from_secs(5);

/// What a client may still do: `limit` requests in a burst, `remaining` of them
/// now, the bucket full again at `reset_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub limit: u32,
    pub remaining: u32,
    pub reset_at: DateTime<Utc>,
}

/// The verdict on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Allowed(Throttle),
    /// Over the rate: try again after `retry_after`.
    RateLimited {
        retry_after: Duration,
        throttle: Throttle,
    },
    /// Over the plan's quota on a plan that rejects: until `reset_at` or an upgrade.
    QuotaExceeded {
        reset_at: DateTime<Utc>,
        included: i64,
        throttle: Throttle,
    },
}

#[derive(Debug, Clone)]
struct TenantState {
    rate: u32,
    burst: u32,
    included: i64,
    over_quota: OverQuota,
    month_total: i64,
    loaded: Instant,
}

/// Per-visitor allowance: requests per second and burst.
#[derive(Debug, Clone, Copy)]
pub struct VisitorLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// What the gate enforces.
#[derive(Debug, Clone, Copy)]
pub struct GateSettings {
    /// Plan and visitor rate limits.
    pub rate_limits: bool,
    /// Counting tenants' requests, and their quotas.
    pub metering: bool,
    pub visitors: VisitorLimit,
}

#[derive(Debug)]
pub struct Gate {
    pool: PgPool,
    meter: Arc<Meter>,
    settings: GateSettings,
    tenants: Mutex<HashMap<TenantId, TenantState>>,
    limiters: Mutex<PlanLimiters>,
    visitors: Limiter<String>,
    visitor_limit: VisitorLimit,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(nz(per_second)).allow_burst(nz(burst))
}

fn throttle_from(quota: Quota, remaining: u32) -> Throttle {
    let limit = quota.burst_size().get();
    let missing = limit.saturating_sub(remaining);
    let refill = quota.replenish_interval() * missing;
    Throttle {
        limit,
        remaining,
        reset_at: Utc::now() + chrono::Duration::from_std(refill).unwrap_or_default(),
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Limiter<K>,
    key: &K,
    quota: Quota,
) -> Admission {
    match limiter.check_key(key) {
        Ok(snapshot) => Admission::Allowed(throttle_from(
            snapshot.quota(),
            snapshot.remaining_burst_capacity(),
        )),
        Err(not_until) => {
            let retry_after = not_until.wait_time_from(DefaultClock::default().now());
            let mut throttle = throttle_from(quota, 0);
            throttle.reset_at = Utc::now()
                + chrono::Duration::from_std(quota.burst_size_replenished_in()).unwrap_or_default();
            Admission::RateLimited {
                retry_after,
                throttle,
            }
        }
    }
}

impl Gate {
    pub fn new(pool: PgPool, meter: Arc<Meter>, settings: GateSettings) -> Self {
        let visitor_limit = settings.visitors;
        Self {
            pool,
            meter,
            settings,
            tenants: Mutex::new(HashMap::new()),
            limiters: Mutex::new(HashMap::new()),
            visitors: RateLimiter::keyed(quota(visitor_limit.per_second, visitor_limit.burst))
                .with_middleware::<StateInformationMiddleware>(),
            visitor_limit,
        }
    }

    pub fn meter(&self) -> &Arc<Meter> {
        &self.meter
    }

    async fn state(&self, tenant: TenantId) -> Result<Option<TenantState>, sqlx::Error> {
        let cached = self
            .tenants
            .lock()
            .ok()
            .and_then(|states| states.get(&tenant).cloned())
            .filter(|state| state.loaded.elapsed() < REFRESH);
        if cached.is_some() {
            return Ok(cached);
        }
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let limits = store::tenant_limits(&mut tx).await?;
        tx.commit().await?;
        let Some(limits) = limits else {
            return Ok(None);
        };
        let state = TenantState {
            rate: u32::try_from(limits.rate_per_second).unwrap_or(1),
            burst: u32::try_from(limits.burst).unwrap_or(1),
            included: limits.included_requests,
            over_quota: OverQuota::parse(&limits.over_quota).unwrap_or(OverQuota::Reject),
            month_total: limits.month_total,
            loaded: Instant::now(),
        };
        if let Ok(mut states) = self.tenants.lock() {
            states.insert(tenant, state.clone());
        }
        Ok(Some(state))
    }

    /// Forgets what is cached about `tenant` (its plan changed).
    pub fn forget(&self, tenant: TenantId) {
        if let Ok(mut states) = self.tenants.lock() {
            states.remove(&tenant);
        }
    }

    /// Takes the month totals a flush answered.
    pub fn flushed(&self, totals: Vec<(TenantId, i64)>) {
        if let Ok(mut states) = self.tenants.lock() {
            for (tenant, total) in totals {
                if let Some(state) = states.get_mut(&tenant) {
                    state.month_total = total;
                }
            }
        }
    }

    fn limiter(&self, rate: u32, burst: u32) -> Arc<Limiter<TenantId>> {
        let mut limiters = match self.limiters.lock() {
            Ok(limiters) => limiters,
            Err(poisoned) => poisoned.into_inner(),
        };
        limiters
            .entry((rate, burst))
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::keyed(quota(rate, burst))
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    /// Admits (and, when admitted, counts) one request in `tenant`'s scope.
    pub async fn admit_tenant(&self, tenant: TenantId) -> Result<Admission, sqlx::Error> {
        let Some(state) = self.state(tenant).await? else {
            // No subscription (cannot happen after registration): the free limits.
            return Ok(self.admit_visitor(&format!("tenant:{tenant}")));
        };
        let plan_quota = quota(state.rate, state.burst);
        let admission = if self.settings.rate_limits {
            check(&self.limiter(state.rate, state.burst), &tenant, plan_quota)
        } else {
            Admission::Allowed(throttle_from(plan_quota, state.burst))
        };
        let Admission::Allowed(throttle) = admission else {
            return Ok(admission);
        };
        if !self.settings.metering {
            return Ok(Admission::Allowed(throttle));
        }
        if state.over_quota == OverQuota::Reject
            && state.month_total + self.meter.unflushed(tenant) >= state.included
        {
            return Ok(Admission::QuotaExceeded {
                reset_at: Period::containing(Utc::now()).end(),
                included: state.included,
                throttle,
            });
        }
        self.meter.count(tenant);
        Ok(Admission::Allowed(throttle))
    }

    /// Admits one request of a visitor (a client address or a signed-in person).
    pub fn admit_visitor(&self, key: &str) -> Admission {
        let limit = quota(self.visitor_limit.per_second, self.visitor_limit.burst);
        if !self.settings.rate_limits {
            return Admission::Allowed(throttle_from(limit, self.visitor_limit.burst));
        }
        let key: String = key.chars().take(128).collect();
        check(&self.visitors, &key, limit)
    }

    fn forget_idle(&self) {
        self.visitors.retain_recent();
        self.visitors.shrink_to_fit();
        let limiters: Vec<_> = self
            .limiters
            .lock()
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default();
        for limiter in limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Ok(mut states) = self.tenants.lock() {
            states.retain(|_, state| state.loaded.elapsed() < Duration::from_secs(600));
        }
    }

    /// Forgets idle keys every minute until `stop`.
    pub async fn run_cleanup(self: Arc<Self>, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => self.forget_idle(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_refused_with_a_wait() {
        let limiter: Limiter<String> =
            RateLimiter::keyed(quota(1, 3)).with_middleware::<StateInformationMiddleware>();
        let key = "a".to_string();
        let mut remaining = Vec::new();
        for _ in 0..3 {
            match check(&limiter, &key, quota(1, 3)) {
                Admission::Allowed(t) => remaining.push(t.remaining),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(remaining, [2, 1, 0]);
        match check(&limiter, &key, quota(1, 3)) {
            Admission::RateLimited {
                retry_after,
                throttle,
            } => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1));
                assert_eq!(throttle.remaining, 0);
                assert_eq!(throttle.limit, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check(&limiter, &"b".to_string(), quota(1, 3)),
            Admission::Allowed(_)
        ));
    }
}
