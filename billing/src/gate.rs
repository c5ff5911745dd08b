//! Admission of each GraphQL request: the plan's rate limit and quota for a
//! tenant's requests, a per-client limit for everyone else, and the `throttle`
//! figures every response carries.
//!
//! Rate limits are GCRA buckets ([`souk_limits`]), one per tenant at its plan's
//! rate and one per visitor (anonymous storefront traffic by client address,
//! signed-in customers by person): in Redis, shared by every gateway, when one is
//! configured, in this process otherwise. Quotas are checked against the month's
//! total from PostgreSQL (refreshed by every flush and at least every few seconds)
//! plus what this process counted since: across replicas a tenant can overshoot
//! its quota by at most what the others served since their last flush.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use souk_limits::{Decision, Limits, Rate};
use tokio_util::sync::CancellationToken;

use crate::domain::{OverQuota, Period};
use crate::meter::Meter;
use crate::store;
use souk_tenants::{TenantId, TenantTx};
use sqlx::PgPool;

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
    limits: Arc<Limits>,
}

/// The `throttle` figures of `decision`.
fn throttle_of(decision: &Decision) -> Throttle {
    Throttle {
        limit: decision.limit,
        remaining: decision.remaining,
        reset_at: Utc::now() + chrono::Duration::from_std(decision.reset_after).unwrap_or_default(),
    }
}

fn admission(decision: &Decision) -> Admission {
    let throttle = throttle_of(decision);
    if decision.allowed {
        Admission::Allowed(throttle)
    } else {
        Admission::RateLimited {
            retry_after: decision.retry_after,
            throttle,
        }
    }
}

/// The figures of a full bucket, when rate limits are off.
fn unlimited(rate: Rate) -> Admission {
    Admission::Allowed(Throttle {
        limit: rate.burst(),
        remaining: rate.burst(),
        reset_at: Utc::now(),
    })
}

impl Gate {
    /// A gate that keeps its rate limits in `limits`.
    pub fn new(
        pool: PgPool,
        meter: Arc<Meter>,
        settings: GateSettings,
        limits: Arc<Limits>,
    ) -> Self {
        Self {
            pool,
            meter,
            settings,
            tenants: Mutex::new(HashMap::new()),
            limits,
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

    /// Admits (and, when admitted, counts) one request in `tenant`'s scope.
    pub async fn admit_tenant(&self, tenant: TenantId) -> Result<Admission, sqlx::Error> {
        let Some(state) = self.state(tenant).await? else {
            // No subscription (cannot happen after registration): the free limits.
            return Ok(self.admit_visitor(&format!("tenant:{tenant}")).await);
        };
        let rate = Rate::per_second(state.rate, state.burst);
        let admission = if self.settings.rate_limits {
            admission(&self.limits.check("tenant", &tenant.to_string(), rate).await)
        } else {
            unlimited(rate)
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
    pub async fn admit_visitor(&self, key: &str) -> Admission {
        let visitors = self.settings.visitors;
        let rate = Rate::per_second(visitors.per_second, visitors.burst);
        if !self.settings.rate_limits {
            return unlimited(rate);
        }
        admission(&self.limits.check("visitor", key, rate).await)
    }

    /// Forgets the cached plans of tenants not seen for ten minutes.
    fn forget_idle(&self) {
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
    fn a_refusal_carries_its_wait_and_when_the_bucket_is_full() {
        let decision = Decision {
            allowed: false,
            limit: 3,
            remaining: 0,
            retry_after: Duration::from_millis(300),
            reset_after: Duration::from_millis(2300),
        };
        let Admission::RateLimited {
            retry_after,
            throttle,
        } = admission(&decision)
        else {
            panic!("refused");
        };
        assert_eq!(retry_after, Duration::from_millis(300));
        assert_eq!((throttle.limit, throttle.remaining), (3, 0));
        let until = throttle.reset_at - Utc::now();
        assert!(
            until > chrono::Duration::seconds(2) && until <= chrono::Duration::milliseconds(2300)
        );
    }
}
