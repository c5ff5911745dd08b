//! A fresh, migrated PostgreSQL database per test, dropped when the test ends.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};
use url::Url;

use crate::{APP_ROLE, MIGRATOR, PLATFORM_ROLE};

/// The server the tests use; `SOUK_TEST_DATABASE_URL` overrides it. The user must be
/// allowed to create databases and roles.
pub fn admin_url() -> String {
    std::env::var("SOUK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database of its own for one test: migrated, with an owner pool (the
/// migration role), an app pool (`souk_app`, subject to row-level security) and
/// a platform pool (`souk_platform_job`, for the work that spans tenants).
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    admin_url: String,
    pub owner_url: String,
    pub app_url: String,
    pub platform_url: String,
    pub owner: PgPool,
    pub app: PgPool,
    pub platform: PgPool,
}

impl TestDatabase {
    /// Creates and migrates a new database. Panics when PostgreSQL is unreachable:
    /// a test cannot run without it.
    pub async fn create() -> Self {
        Self::with_app_pool_size(10).await
    }

    pub async fn with_app_pool_size(max_connections: u32) -> Self {
        Self::migrated_by(&MIGRATOR, max_connections).await
    }

    /// A new, migrated database with a small app pool.
    pub async fn empty() -> Self {
        Self::migrated_by(&MIGRATOR, 2).await
    }

    /// A database migrated only up to the migration `version`, not including it:
    /// the schema as it was before that change, for a benchmark that compares a
    /// change with what it replaced.
    pub async fn migrated_before(version: i64, max_connections: u32) -> Self {
        let earlier = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                MIGRATOR
                    .iter()
                    .filter(|migration| migration.version < version)
                    .cloned()
                    .collect(),
            ),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        Self::migrated_by(&earlier, max_connections).await
    }

    async fn migrated_by(migrator: &sqlx::migrate::Migrator, max_connections: u32) -> Self {
        let admin_url = admin_url();
        let name = format!("souk_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to the test PostgreSQL (is it running?)");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create the test database");
        admin.close().await.ok();

        let owner_url = with_database(&admin_url, &name, None);
        let app_url = with_database(&admin_url, &name, Some(APP_ROLE));
        let platform_url = with_database(&admin_url, &name, Some(PLATFORM_ROLE));
        let owner = PgPoolOptions::new()
            .max_connections(4)
            .connect(&owner_url)
            .await
            .expect("connect as the owner");
        migrator
            .run(&owner)
            .await
            .expect("migrate the test database");
        let app = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(&app_url)
            .await
            .expect("connect as souk_app");
        let platform = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy(&platform_url)
            .expect("a platform role URL");
        Self {
            name,
            admin_url,
            owner_url,
            app_url,
            platform_url,
            owner,
            app,
            platform,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Runs `cleanup` to completion from a `Drop`: drops run inside the test's
/// runtime, which cannot be blocked on, so a thread with a small runtime of its
/// own does the work.
fn clean_up<F>(cleanup: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let done = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(cleanup);
        }
    });
    let _ = done.join();
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        clean_up(async move {
            if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
                let _ = admin.execute(drop.as_str()).await;
            }
        });
    }
}

/// `base` with another database and, optionally, another user (no password: the
/// test server trusts local connections).
pub fn with_database(base: &str, database: &str, user: Option<&str>) -> String {
    let mut url = Url::parse(base).expect("SOUK_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    if let Some(user) = user {
        url.set_username(user).expect("URL with a host");
        url.set_password(None).expect("URL with a host");
    }
    url.to_string()
}

/// A MongoDB database of its own for one test, on the server named by
/// `SOUK_TEST_MONGODB_URL` (`scripts/test` starts one), dropped when the test ends.
#[derive(Debug)]
pub struct TestMongo {
    pub url: String,
    pub name: String,
}

impl TestMongo {
    /// Panics with a clear message when no test server is configured.
    pub fn create() -> Self {
        let base = std::env::var("SOUK_TEST_MONGODB_URL").expect(
            "SOUK_TEST_MONGODB_URL is not set: run the tests through scripts/test, which starts the MongoDB-compatible test server",
        );
        let name = format!("souk_test_{}", uuid::Uuid::new_v4().simple());
        let mut url = Url::parse(&base).expect("SOUK_TEST_MONGODB_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            name,
        }
    }
}

impl Drop for TestMongo {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        clean_up(async move {
            if let Ok(client) = mongodb::Client::with_uri_str(&url).await {
                let _ = client.database(&name).drop().await;
            }
        });
    }
}
