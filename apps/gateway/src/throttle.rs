//! Rate limits for sign-in and account look-ups: per-minute GCRA buckets in the
//! process's [`Limits`] (shared by every gateway through Redis when it is
//! configured), keyed by client address or account email.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use souk_edge::{Bucket, Throttle};
use souk_limits::{Limits, Rate};

use crate::config::{ConfigError, Settings};

/// The process's rate limits: in Redis with `redis_url`, in process otherwise
/// (with a warning when `replicas` says several gateways serve together).
pub fn limits(settings: &Settings) -> Result<Arc<Limits>, ConfigError> {
    let redis_url = settings.redis_url.as_ref().map(|url| url.expose_secret());
    if redis_url.is_none() && settings.replicas > 1 {
        tracing::warn!(
            replicas = settings.replicas,
            "rate limits are kept in each process: with {} gateways a tenant gets up to \
             {} times its plan's rate and sign-in attempts; set SOUK_REDIS_URL to share them",
            settings.replicas,
            settings.replicas
        );
    }
    // The recorder first, so that the limits' gauge is recorded from the start.
    let _ = crate::telemetry::metrics();
    let limits = Limits::new(&souk_limits::Settings {
        redis_url: redis_url.map(str::to_string),
        prefix: settings.redis_prefix.clone(),
        timeout: Duration::from_millis(settings.redis_timeout_ms),
        replicas: settings.replicas,
    })
    .map_err(|_| ConfigError::invalid("redis_url", "not a Redis URL"))?;
    Ok(Arc::new(limits))
}

/// Per-minute allowances.
#[derive(Debug, Clone, Copy)]
pub struct Allowances {
    pub logins_per_ip: u32,
    pub logins_per_account: u32,
    pub lookups_per_ip: u32,
}

#[derive(Debug)]
pub struct SignInThrottle {
    limits: Arc<Limits>,
    allowances: Allowances,
}

impl SignInThrottle {
    pub fn new(limits: Arc<Limits>, allowances: Allowances) -> Self {
        Self { limits, allowances }
    }

    fn rule(&self, bucket: Bucket) -> (&'static str, Rate) {
        let allowances = self.allowances;
        match bucket {
            Bucket::LoginPerIp => ("login-ip", Rate::per_minute(allowances.logins_per_ip)),
            Bucket::LoginPerAccount => (
                "login-account",
                Rate::per_minute(allowances.logins_per_account),
            ),
            Bucket::LookupPerIp => ("lookup-ip", Rate::per_minute(allowances.lookups_per_ip)),
        }
    }
}

#[async_trait::async_trait]
impl Throttle for SignInThrottle {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Duration> {
        let (space, rate) = self.rule(bucket);
        let decision = self.limits.check(space, key, rate).await;
        if decision.allowed {
            Ok(())
        } else {
            Err(decision.retry_after)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_apply_per_bucket_and_key() {
        let throttle = SignInThrottle::new(
            Arc::new(Limits::in_process()),
            Allowances {
                logins_per_ip: 2,
                logins_per_account: 5,
                lookups_per_ip: 1,
            },
        );
        let check = |bucket, key| throttle.check(bucket, key);
        assert!(check(Bucket::LoginPerIp, "10.0.0.1").await.is_ok());
        assert!(check(Bucket::LoginPerIp, "10.0.0.1").await.is_ok());
        let wait = check(Bucket::LoginPerIp, "10.0.0.1")
            .await
            .expect_err("over");
        assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30));
        assert!(check(Bucket::LoginPerIp, "10.0.0.2").await.is_ok());
        assert!(check(Bucket::LookupPerIp, "10.0.0.1").await.is_ok());
        assert!(check(Bucket::LookupPerIp, "10.0.0.1").await.is_err());
        assert!(check(Bucket::LoginPerAccount, "10.0.0.1").await.is_ok());
    }
}
