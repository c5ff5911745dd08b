//! Every setting's default.

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
pub fn order_email_queue() -> String {
    souk_worker::order_mail::queue::QUEUE.into()
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
pub fn media_dir() -> std::path::PathBuf {
    ".data/media".into()
}
pub fn media_max_bytes() -> usize {
    souk_media::service::DEFAULT_MAX_BYTES
}
pub fn media_sweep_interval_secs() -> u64 {
    3600
}
pub fn header_read_timeout_secs() -> u64 {
    20
}
pub fn body_read_timeout_secs() -> u64 {
    60
}

pub fn public_url() -> String {
    "http://127.0.0.1:8080".into()
}

pub fn payment_repair_interval_secs() -> u64 {
    30
}

pub fn payment_stalled_after_secs() -> u64 {
    60
}
