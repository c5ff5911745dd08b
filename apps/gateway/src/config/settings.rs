//! The settings, one field per setting: `listen_addr` in the file is
//! `SOUK_LISTEN_ADDR` in the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::{defaults, LogFormat};

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
    /// SMTP for the worker's emails (e.g. `smtp://mail:1025`, or
    /// `smtps://user:pass@host`). Without it no emails are sent.
    pub smtp_url: Option<SecretString>,
    /// The sender of Souk's emails.
    #[serde(default = "defaults::mail_from")]
    pub mail_from: String,
    /// The RabbitMQ queue order events wait in for their emails. Any name but
    /// the default makes a temporary queue (gone a minute after its last use),
    /// for trial runs that share a broker.
    #[serde(default = "defaults::order_email_queue")]
    pub order_email_queue: String,
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
    /// Stripe's secret key for marketplace payments (Stripe Connect: the
    /// customer's charge, vendor transfers, refunds); without it payments need
    /// `test_payments`.
    pub stripe_connect_secret_key: Option<SecretString>,
    /// The signing secret of the `/webhooks/stripe/connect` endpoint (events
    /// of vendors' connected accounts).
    pub stripe_connect_webhook_secret: Option<SecretString>,
    /// Stripe's publishable key, for the storefront's Payment Element.
    pub stripe_publishable_key: Option<String>,
    /// Take payments with the built-in test provider (no money moves; the
    /// demo and tests). Serving refuses to start without a Stripe Connect key
    /// unless this is set.
    #[serde(default)]
    pub test_payments: bool,
    /// Where vendors come back to from Stripe's onboarding: the web apps'
    /// public address.
    #[serde(default = "defaults::public_url")]
    pub public_url: String,
    /// How often the payments repair runs, and how old an unfinished step
    /// must be before it counts as interrupted.
    #[serde(default = "defaults::payment_repair_interval_secs")]
    pub payment_repair_interval_secs: u64,
    #[serde(default = "defaults::payment_stalled_after_secs")]
    pub payment_stalled_after_secs: u64,
    /// The web apps' production build, served under `/` when present.
    #[serde(default = "defaults::web_dir")]
    pub web_dir: PathBuf,
    /// Where product images are kept without `media_url`: a local folder.
    #[serde(default = "defaults::media_dir")]
    pub media_dir: PathBuf,
    /// Object storage for product images shared by every replica, e.g.
    /// `s3://bucket/prefix` (credentials from the `AWS_*` variables).
    pub media_url: Option<String>,
    /// The most bytes one image upload may have.
    #[serde(default = "defaults::media_max_bytes")]
    pub media_max_bytes: usize,
    /// How long a client may take to send a request's head (request line and
    /// headers), and an idle kept-alive connection may wait for the next one.
    #[serde(default = "defaults::header_read_timeout_secs")]
    pub header_read_timeout_secs: u64,
    /// How long a request's body may take to arrive, whole (`408` after).
    #[serde(default = "defaults::body_read_timeout_secs")]
    pub body_read_timeout_secs: u64,
    /// How often image files no image uses (an upload interrupted between
    /// storing its files and committing its row) are looked for and deleted.
    #[serde(default = "defaults::media_sweep_interval_secs")]
    pub media_sweep_interval_secs: u64,
    /// How often closed usage windows are reported to Stripe.
    #[serde(default = "defaults::usage_report_interval_secs")]
    pub usage_report_interval_secs: u64,
}
