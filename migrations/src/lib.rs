//! Souk's PostgreSQL migrations.
//!
//! The SQL lives in `sql/`, one file per change, append-only: a migration that has
//! run anywhere is never edited. Each service owns one schema (`inventory`, …).
//! Migrations run as an owner role (a superuser, or the database owner allowed to
//! create roles); the services log in as `souk_app`, which owns nothing, is no
//! superuser and cannot bypass row-level security. Platform-wide work logs in as
//! `souk_platform_job`, through a small pool of its own: the only role that sees
//! across tenants, and only where a policy names it.
//!
//! [`MIGRATOR`] takes a PostgreSQL advisory lock while it runs, so two processes
//! migrating at once apply each migration exactly once.

use sqlx::migrate::Migrator;

/// Every migration, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./sql");

/// The role the services connect as.
pub const APP_ROLE: &str = "souk_app";

/// The role platform jobs and platform-admin paths connect as.
pub const PLATFORM_ROLE: &str = "souk_platform_job";

#[cfg(feature = "testing")]
pub mod testing;
