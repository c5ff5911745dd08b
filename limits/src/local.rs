//! The in-process limiter: governor's keyed limiters, one per (space, rate).
//! Idle keys are forgotten (`retain_recent`) and limiters left without keys are
//! dropped, so memory stays bounded.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::gcra::{Decision, Rate};

type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Longest key kept (in characters); longer keys are cut.
const MAX_KEY: usize = 256;

#[derive(Debug, Default)]
pub(crate) struct Local {
    limiters: Mutex<HashMap<(&'static str, Rate), Arc<Keyed>>>,
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.burst()).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(rate.interval())
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst)
}

impl Local {
    fn limiters(&self) -> MutexGuard<'_, HashMap<(&'static str, Rate), Arc<Keyed>>> {
        match self.limiters.lock() {
            Ok(limiters) => limiters,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn limiter(&self, space: &'static str, rate: Rate) -> Arc<Keyed> {
        self.limiters()
            .entry((space, rate))
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::keyed(quota(rate)).with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    /// Decides on one request of `key` in `space` at `rate`.
    pub(crate) fn check(&self, space: &'static str, key: &str, rate: Rate) -> Decision {
        let key: String = key.chars().take(MAX_KEY).collect();
        match self.limiter(space, rate).check_key(&key) {
            Ok(snapshot) => rate.allowed(snapshot.remaining_burst_capacity()),
            Err(not_until) => rate.refused(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    /// Forgets keys whose buckets are full again, and limiters with no key left.
    pub(crate) fn forget_idle(&self) {
        let limiters: Vec<Arc<Keyed>> = self.limiters().values().cloned().collect();
        for limiter in limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.limiters().retain(|_, limiter| !limiter.is_empty());
    }

    #[cfg(test)]
    fn limiter_count(&self) -> usize {
        self.limiters().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_admitted_then_refused_with_a_wait_per_key() {
        let local = Local::default();
        let rate = Rate::per_second(1, 3);
        let remaining: Vec<u32> = (0..3)
            .map(|_| local.check("test", "a", rate))
            .inspect(|d| assert!(d.allowed, "{d:?}"))
            .map(|d| d.remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = local.check("test", "a", rate);
        assert!(!refused.allowed);
        assert!(refused.retry_after > Duration::ZERO);
        assert!(refused.retry_after <= Duration::from_secs(1));
        assert_eq!(refused.limit, 3);
        assert!(local.check("test", "b", rate).allowed);
        assert!(local.check("other", "a", rate).allowed);
    }

    #[test]
    fn limiters_without_keys_are_dropped() {
        let local = Local::default();
        local.check("test", "a", Rate::per_second(1_000_000, 1));
        std::thread::sleep(Duration::from_millis(5));
        local.forget_idle();
        assert_eq!(local.limiter_count(), 0);
    }
}
