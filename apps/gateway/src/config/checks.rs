//! The settings' rules beyond their types: what must be positive, what has an
//! upper bound.

use super::{ConfigError, Settings};

impl Settings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.redis_prefix.len() > 64 {
            return Err(ConfigError::invalid("redis_prefix", "at most 64 bytes"));
        }
        if self.usage_flush_interval_ms > 1000 {
            return Err(ConfigError::invalid(
                "usage_flush_interval_ms",
                "at most 1000: usage is flushed at least every second",
            ));
        }
        if souk_inventory::domain::Ttl::parse_seconds(self.reservation_ttl_secs).is_err() {
            return Err(ConfigError::invalid(
                "reservation_ttl_secs",
                "1 to 604800 seconds",
            ));
        }
        if self.access_token_ttl_secs > 15 * 60 {
            return Err(ConfigError::invalid(
                "access_token_ttl_secs",
                "at most 900 (15 minutes)",
            ));
        }
        for (key, value) in self.positive() {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be greater than 0"));
            }
        }
        Ok(())
    }

    /// The settings that must be greater than 0, by name.
    fn positive(&self) -> [(&'static str, usize); 22] {
        [
            ("db_max_connections", self.db_max_connections as usize),
            ("graphql_max_depth", self.graphql_max_depth),
            ("graphql_max_complexity", self.graphql_max_complexity),
            ("max_body_bytes", self.max_body_bytes),
            ("media_max_bytes", self.media_max_bytes),
            (
                "header_read_timeout_secs",
                usize::try_from(self.header_read_timeout_secs).unwrap_or(usize::MAX),
            ),
            (
                "body_read_timeout_secs",
                usize::try_from(self.body_read_timeout_secs).unwrap_or(usize::MAX),
            ),
            (
                "media_sweep_interval_secs",
                usize::try_from(self.media_sweep_interval_secs).unwrap_or(usize::MAX),
            ),
            (
                "reservation_expiry_interval_ms",
                usize::try_from(self.reservation_expiry_interval_ms).unwrap_or(usize::MAX),
            ),
            (
                "access_token_ttl_secs",
                usize::try_from(self.access_token_ttl_secs).unwrap_or(usize::MAX),
            ),
            (
                "storefront_projector_interval_ms",
                usize::try_from(self.storefront_projector_interval_ms).unwrap_or(usize::MAX),
            ),
            (
                "logins_per_minute_per_ip",
                self.logins_per_minute_per_ip as usize,
            ),
            (
                "logins_per_minute_per_account",
                self.logins_per_minute_per_account as usize,
            ),
            (
                "lookups_per_minute_per_ip",
                self.lookups_per_minute_per_ip as usize,
            ),
            (
                "usage_flush_interval_ms",
                usize::try_from(self.usage_flush_interval_ms.min(1000)).unwrap_or(1000),
            ),
            (
                "visitor_rate_per_second",
                self.visitor_rate_per_second as usize,
            ),
            ("visitor_burst", self.visitor_burst as usize),
            ("replicas", self.replicas as usize),
            (
                "redis_timeout_ms",
                usize::try_from(self.redis_timeout_ms).unwrap_or(usize::MAX),
            ),
            (
                "platform_db_max_connections",
                self.platform_db_max_connections as usize,
            ),
            (
                "usage_report_interval_secs",
                usize::try_from(self.usage_report_interval_secs).unwrap_or(usize::MAX),
            ),
            (
                "payment_repair_interval_secs",
                usize::try_from(self.payment_repair_interval_secs).unwrap_or(usize::MAX),
            ),
        ]
    }
}
