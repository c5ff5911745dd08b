//! Settings: defaults, then an optional TOML file (`--config` or `SOUK_CONFIG`),
//! then `SOUK_*` environment variables. Secrets are wrapped so that neither logs
//! nor `Debug` output can show them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A setting that is missing or invalid, named as the operator sets it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting {env} (set the environment variable, or `{key}` in the config file)")]
    Missing { env: String, key: String },
    #[error("invalid setting {env}: {reason}")]
    Invalid { env: String, reason: String },
}

impl ConfigError {
    pub fn missing(key: &str) -> Self {
        Self::Missing {
            env: env_name(key),
            key: key.to_string(),
        }
    }

    pub fn invalid(key: &str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid {
            env: env_name(key),
            reason: reason.to_string(),
        }
    }
}

fn env_name(key: &str) -> String {
    format!("SOUK_{}", key.to_ascii_uppercase())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Everything Souk reads from its environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// PostgreSQL, as the app role (`souk_app`: no superuser, no table owner,
    /// no BYPASSRLS). Required to serve.
    pub database_url: Option<SecretString>,
    /// MongoDB (catalog, orders), e.g. `mongodb://host:27017/souk`; the path names
    /// the database (default `souk`). Required to serve.
    pub mongodb_url: Option<SecretString>,
    /// RabbitMQ, for `souk worker` to relay events to (e.g.
    /// `amqp://user:pass@host:5672/%2f`). Without it events wait in the outbox.
    pub amqp_url: Option<SecretString>,
    /// SMTP for the worker's low-stock emails (e.g. `smtp://mail:1025`, or
    /// `smtps://user:pass@host`). Without it no emails are sent.
    pub smtp_url: Option<SecretString>,
    /// The sender of Souk's emails.
    #[serde(default = "defaults::mail_from")]
    pub mail_from: String,
    /// PostgreSQL as the owner role that runs migrations; defaults to `database_url`.
    pub migrate_database_url: Option<SecretString>,
    /// PostgreSQL as the platform role (`souk_platform_job`), for the work that
    /// spans tenants (expiry sweep, relays, usage flushes, admin reads); defaults
    /// to `database_url` with that user name and no password.
    pub platform_database_url: Option<SecretString>,
    /// The platform role's pool: small, since only platform work uses it.
    #[serde(default = "defaults::platform_db_max_connections")]
    pub platform_db_max_connections: u32,
    #[serde(default = "defaults::listen_addr")]
    pub listen_addr: SocketAddr,
    /// The Ed25519 public key (PEM) that verifies access tokens.
    pub jwt_public_key: Option<String>,
    pub jwt_public_key_file: Option<PathBuf>,
    /// The Ed25519 private key (PKCS#8 PEM) that signs tokens; only processes that
    /// issue tokens need it.
    pub jwt_private_key: Option<SecretString>,
    pub jwt_private_key_file: Option<PathBuf>,
    #[serde(default = "defaults::jwt_issuer")]
    pub jwt_issuer: String,
    #[serde(default = "defaults::jwt_audience")]
    pub jwt_audience: String,
    #[serde(default = "defaults::db_max_connections")]
    pub db_max_connections: u32,
    #[serde(default = "defaults::graphql_max_depth")]
    pub graphql_max_depth: usize,
    #[serde(default = "defaults::graphql_max_complexity")]
    pub graphql_max_complexity: usize,
    #[serde(default = "defaults::yes")]
    pub graphql_introspection: bool,
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    #[serde(default = "defaults::reservation_expiry_interval_ms")]
    pub reservation_expiry_interval_ms: u64,
    #[serde(default = "defaults::shutdown_timeout_secs")]
    pub shutdown_timeout_secs: u64,
    #[serde(default = "defaults::log_format")]
    pub log_format: LogFormat,
    /// Whether new vendors wait for a platform admin's approval.
    #[serde(default)]
    pub vendor_approval_required: bool,
    #[serde(default = "defaults::access_token_ttl_secs")]
    pub access_token_ttl_secs: u64,
    #[serde(default = "defaults::refresh_token_ttl_days")]
    pub refresh_token_ttl_days: u64,
    /// How many password hashes run at once (default: half the cores).
    pub password_hash_concurrency: Option<usize>,
    #[serde(default = "defaults::logins_per_minute_per_ip")]
    pub logins_per_minute_per_ip: u32,
    #[serde(default = "defaults::logins_per_minute_per_account")]
    pub logins_per_minute_per_account: u32,
    #[serde(default = "defaults::lookups_per_minute_per_ip")]
    pub lookups_per_minute_per_ip: u32,
    /// How long a checkout's reservations hold stock.
    #[serde(default = "defaults::reservation_ttl_secs")]
    pub reservation_ttl_secs: i64,
    /// How often the order repair runs, and how old a pending, unreserved order
    /// must be before it counts as a stalled checkout.
    #[serde(default = "defaults::order_repair_interval_secs")]
    pub order_repair_interval_secs: u64,
    #[serde(default = "defaults::order_stalled_after_secs")]
    pub order_stalled_after_secs: u64,
    /// How often the storefront projector looks for stock that sold out or came
    /// back (the catalog's changes are read every second).
    #[serde(default = "defaults::storefront_projector_interval_ms")]
    pub storefront_projector_interval_ms: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    #[serde(default)]
    pub trust_forwarded_for: bool,
    /// Count every tenant-scoped request for billing (and enforce quotas).
    #[serde(default = "defaults::yes")]
    pub metering: bool,
    /// Enforce the plans' rate limits and the per-visitor limit.
    #[serde(default = "defaults::yes")]
    pub rate_limits: bool,
    /// How often counted requests are flushed to PostgreSQL.
    #[serde(default = "defaults::usage_flush_interval_ms")]
    pub usage_flush_interval_ms: u64,
    /// Requests per second (and burst) of one visitor: an anonymous client
    /// address or a signed-in person outside a vendor.
    #[serde(default = "defaults::visitor_rate_per_second")]
    pub visitor_rate_per_second: u32,
    #[serde(default = "defaults::visitor_burst")]
    pub visitor_burst: u32,
    /// Redis (e.g. `redis://redis:6379`), where every rate limit is kept for all
    /// gateways together. Without it each process limits on its own.
    pub redis_url: Option<SecretString>,
    /// What this deployment's Redis keys start with.
    #[serde(default = "defaults::redis_prefix")]
    pub redis_prefix: String,
    /// How long a rate-limit check waits for Redis before this process decides.
    #[serde(default = "defaults::redis_timeout_ms")]
    pub redis_timeout_ms: u64,
    /// How many gateways serve together: each admits `rate / replicas` while
    /// Redis is unreachable; without Redis, more than one is warned about.
    #[serde(default = "defaults::replicas")]
    pub replicas: u32,
    /// Stripe's secret API key; without it billing runs on Souk's own data alone.
    pub stripe_secret_key: Option<SecretString>,
    /// Another server speaking Stripe's API (a test double, a proxy).
    pub stripe_api_base: Option<String>,
    /// The signing secret of the `/webhooks/stripe` endpoint.
    pub stripe_webhook_secret: Option<SecretString>,
    /// The Billing Meter event name usage is reported under.
    #[serde(default = "defaults::stripe_meter_event")]
    pub stripe_meter_event: String,
    /// The web apps' production build, served under `/` when present.
    #[serde(default = "defaults::web_dir")]
    pub web_dir: PathBuf,
    /// How often closed usage windows are reported to Stripe.
    #[serde(default = "defaults::usage_report_interval_secs")]
    pub usage_report_interval_secs: u64,
}

mod defaults {
    use std::net::SocketAddr;

    use super::LogFormat;

    pub fn listen_addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8080))
    }
    pub fn jwt_issuer() -> String {
        "souk".into()
    }
    pub fn jwt_audience() -> String {
        "souk".into()
    }
    pub fn db_max_connections() -> u32 {
        20
    }
    /// One of them is held by the storefront projector while it leads.
    pub fn platform_db_max_connections() -> u32 {
        5
    }
    pub fn graphql_max_depth() -> usize {
        16
    }
    pub fn graphql_max_complexity() -> usize {
        1000
    }
    pub fn yes() -> bool {
        true
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn reservation_expiry_interval_ms() -> u64 {
        1000
    }
    pub fn shutdown_timeout_secs() -> u64 {
        30
    }
    pub fn log_format() -> LogFormat {
        LogFormat::Json
    }
    pub fn mail_from() -> String {
        "Souk <no-reply@souk.example>".into()
    }
    pub fn access_token_ttl_secs() -> u64 {
        15 * 60
    }
    pub fn refresh_token_ttl_days() -> u64 {
        30
    }
    pub fn logins_per_minute_per_ip() -> u32 {
        30
    }
    pub fn logins_per_minute_per_account() -> u32 {
        10
    }
    pub fn lookups_per_minute_per_ip() -> u32 {
        30
    }
    pub fn reservation_ttl_secs() -> i64 {
        15 * 60
    }
    pub fn order_repair_interval_secs() -> u64 {
        10
    }
    pub fn order_stalled_after_secs() -> u64 {
        60
    }
    pub fn storefront_projector_interval_ms() -> u64 {
        100
    }
    pub fn usage_flush_interval_ms() -> u64 {
        1000
    }
    pub fn visitor_rate_per_second() -> u32 {
        50
    }
    pub fn visitor_burst() -> u32 {
        100
    }
    pub fn redis_prefix() -> String {
        "souk:".into()
    }
    pub fn redis_timeout_ms() -> u64 {
        100
    }
    pub fn replicas() -> u32 {
        1
    }
    pub fn stripe_meter_event() -> String {
        "souk_api_requests".into()
    }
    pub fn usage_report_interval_secs() -> u64 {
        60
    }
    pub fn web_dir() -> std::path::PathBuf {
        "apps/web/dist".into()
    }
}

impl Settings {
    /// Loads settings from the optional file and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("SOUK_CONFIG").map(PathBuf::from));
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::invalid(
                    "config",
                    format!("no config file at {}", file.display()),
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        Self::extract(figment.merge(Env::prefixed("SOUK_")))
    }

    /// Settings from `figment` alone (tests build them from a map).
    pub fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(|err| {
            let key = err.path.join("_");
            match &err.kind {
                figment::error::Kind::MissingField(field) => ConfigError::missing(field),
                kind => ConfigError::invalid(&key, kind),
            }
        })?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let positive = [
            ("db_max_connections", self.db_max_connections as usize),
            ("graphql_max_depth", self.graphql_max_depth),
            ("graphql_max_complexity", self.graphql_max_complexity),
            ("max_body_bytes", self.max_body_bytes),
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
        ];
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
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be greater than 0"));
            }
        }
        Ok(())
    }

    /// The app role's database URL; required by everything that talks to PostgreSQL.
    pub fn database_url(&self) -> Result<&str, ConfigError> {
        self.database_url
            .as_ref()
            .map(|url| url.expose_secret())
            .ok_or_else(|| ConfigError::missing("database_url"))
    }

    /// The MongoDB URL; required by everything that talks to MongoDB.
    pub fn mongodb_url(&self) -> Result<&str, ConfigError> {
        self.mongodb_url
            .as_ref()
            .map(|url| url.expose_secret())
            .ok_or_else(|| ConfigError::missing("mongodb_url"))
    }

    /// The migration role's URL (`migrate_database_url`, else `database_url`).
    pub fn migrate_database_url(&self) -> Result<&str, ConfigError> {
        match &self.migrate_database_url {
            Some(url) => Ok(url.expose_secret()),
            None => self.database_url(),
        }
    }

    /// The platform role's URL: `platform_database_url`, else `database_url` with
    /// the platform role's user name and without the app role's password.
    pub fn platform_database_url(&self) -> Result<SecretString, ConfigError> {
        if let Some(url) = &self.platform_database_url {
            return Ok(url.clone());
        }
        let mut url = url::Url::parse(self.database_url()?)
            .map_err(|_| ConfigError::invalid("database_url", "not a PostgreSQL URL"))?;
        url.set_username(souk_migrations::PLATFORM_ROLE)
            .and_then(|()| url.set_password(None))
            .map_err(|()| ConfigError::invalid("database_url", "not a PostgreSQL URL"))?;
        Ok(SecretString::from(url.to_string()))
    }

    /// The token verification key, PEM: inline, from its file, or derived from the
    /// private key.
    pub fn jwt_public_key_pem(&self) -> Result<Option<String>, ConfigError> {
        if let Some(pem) = &self.jwt_public_key {
            return Ok(Some(pem.clone()));
        }
        match &self.jwt_public_key_file {
            Some(path) => std::fs::read_to_string(path).map(Some).map_err(|err| {
                ConfigError::invalid(
                    "jwt_public_key_file",
                    format!("cannot read {}: {err}", path.display()),
                )
            }),
            None => Ok(None),
        }
    }

    /// The token signing key, PEM, if this process has one.
    pub fn jwt_private_key_pem(&self) -> Result<Option<SecretString>, ConfigError> {
        if let Some(pem) = &self.jwt_private_key {
            return Ok(Some(pem.clone()));
        }
        match &self.jwt_private_key_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|pem| Some(SecretString::from(pem)))
                .map_err(|err| {
                    ConfigError::invalid(
                        "jwt_private_key_file",
                        format!("cannot read {}: {err}", path.display()),
                    )
                }),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_toml(toml: &str) -> Result<Settings, ConfigError> {
        Settings::extract(Figment::from(Toml::string(toml)))
    }

    #[test]
    fn defaults_apply_and_secrets_do_not_print() {
        let settings = from_toml(r#"database_url = "postgres://app:hunter2@db/souk""#)
            .expect("valid settings");
        assert_eq!(settings.listen_addr, defaults::listen_addr());
        assert_eq!(settings.graphql_max_depth, 16);
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn an_invalid_setting_is_named() {
        let err = from_toml(r#"listen_addr = "not an address""#).expect_err("invalid");
        assert!(err.to_string().contains("SOUK_LISTEN_ADDR"), "{err}");
        let err = from_toml("graphql_max_depth = 0").expect_err("invalid");
        assert!(err.to_string().contains("SOUK_GRAPHQL_MAX_DEPTH"), "{err}");
    }

    #[test]
    fn the_platform_url_defaults_to_the_app_url_as_the_platform_role() {
        let settings = from_toml(
            r#"database_url = "postgres://souk_app:hunter2@db:5432/souk?sslmode=prefer""#,
        )
        .expect("valid settings");
        let url = settings.platform_database_url().expect("derived");
        assert_eq!(
            url.expose_secret(),
            "postgres://souk_platform_job@db:5432/souk?sslmode=prefer"
        );
        let settings = from_toml(
            "database_url = 'postgres://souk_app@db/souk'\n\
             platform_database_url = 'postgres://jobs:s3cret@db/souk'",
        )
        .expect("valid settings");
        let url = settings.platform_database_url().expect("explicit");
        assert_eq!(url.expose_secret(), "postgres://jobs:s3cret@db/souk");
        assert_eq!(settings.platform_db_max_connections, 5);
    }

    #[test]
    fn redis_settings_default_to_one_process_and_hide_the_url() {
        let settings = from_toml("").expect("valid");
        assert!(settings.redis_url.is_none());
        assert_eq!((settings.replicas, settings.redis_timeout_ms), (1, 100));
        let settings =
            from_toml("redis_url = 'redis://:hunter2@redis:6379'\nreplicas = 3").expect("valid");
        assert!(!format!("{settings:?}").contains("hunter2"));
        let err = from_toml("replicas = 0").expect_err("invalid");
        assert!(err.to_string().contains("SOUK_REPLICAS"), "{err}");
        let err = from_toml(&format!("redis_prefix = '{}'", "p".repeat(65))).expect_err("long");
        assert!(err.to_string().contains("SOUK_REDIS_PREFIX"), "{err}");
    }

    #[test]
    fn a_missing_database_url_is_named() {
        let settings = from_toml("").expect("valid without a database");
        let err = settings.database_url().expect_err("missing");
        assert!(err.to_string().contains("SOUK_DATABASE_URL"), "{err}");
    }
}
