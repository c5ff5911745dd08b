//! Rate limits for sign-in and account look-ups, with governor's keyed limiters.
//!
//! Keys are client addresses and account emails; idle keys are forgotten every
//! minute (`retain_recent`), so the limiters' memory stays bounded. Limits are per
//! gateway process.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use souk_tenants::api::{Bucket, Throttle};
use tokio_util::sync::CancellationToken;

/// Per-minute allowances.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub logins_per_ip: u32,
    pub logins_per_account: u32,
    pub lookups_per_ip: u32,
}

#[derive(Debug)]
pub struct GovernorThrottle {
    login_ip: DefaultKeyedRateLimiter<String>,
    login_account: DefaultKeyedRateLimiter<String>,
    lookup_ip: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl GovernorThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            login_ip: RateLimiter::keyed(per_minute(limits.logins_per_ip)),
            login_account: RateLimiter::keyed(per_minute(limits.logins_per_account)),
            lookup_ip: RateLimiter::keyed(per_minute(limits.lookups_per_ip)),
        }
    }

    fn forget_idle(&self) {
        for limiter in [&self.login_ip, &self.login_account, &self.lookup_ip] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
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

impl Throttle for GovernorThrottle {
    fn check(&self, bucket: Bucket, key: &str) -> Result<(), Duration> {
        let limiter = match bucket {
            Bucket::LoginPerIp => &self.login_ip,
            Bucket::LoginPerAccount => &self.login_account,
            Bucket::LookupPerIp => &self.lookup_ip,
        };
        let key: String = key.chars().take(254).collect();
        limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_apply_per_key() {
        let throttle = GovernorThrottle::new(Limits {
            logins_per_ip: 2,
            logins_per_account: 5,
            lookups_per_ip: 1,
        });
        assert!(throttle.check(Bucket::LoginPerIp, "10.0.0.1").is_ok());
        assert!(throttle.check(Bucket::LoginPerIp, "10.0.0.1").is_ok());
        assert!(throttle.check(Bucket::LoginPerIp, "10.0.0.1").is_err());
        assert!(throttle.check(Bucket::LoginPerIp, "10.0.0.2").is_ok());
        assert!(throttle.check(Bucket::LookupPerIp, "10.0.0.1").is_ok());
        assert!(throttle.check(Bucket::LookupPerIp, "10.0.0.1").is_err());
        throttle.forget_idle();
    }
}
