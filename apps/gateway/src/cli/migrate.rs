//! `souk migrate`: PostgreSQL's migrations, then MongoDB's indexes.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::PgPoolOptions;

use crate::config::Settings;

pub(super) async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(settings.migrate_database_url()?)
        .await
        .context(
            "cannot connect to PostgreSQL with SOUK_MIGRATE_DATABASE_URL / SOUK_DATABASE_URL",
        )?;
    souk_migrations::MIGRATOR
        .run(&pool)
        .await
        .context("migration failed")?;
    pool.close().await;
    tracing::info!("PostgreSQL migrations applied");
    match settings.mongodb_url() {
        Ok(url) => {
            let db = crate::app::mongo_database(url).await?;
            let created = async {
                souk_catalog::MongoCatalog::create_indexes(&db).await?;
                souk_orders::create_indexes(&db).await
            }
            .await;
            crate::app::close_mongo(&db).await;
            created.context("cannot create the MongoDB indexes")?;
            tracing::info!("MongoDB indexes created");
        }
        Err(_) => tracing::warn!("SOUK_MONGODB_URL is not set: MongoDB indexes were not created"),
    }
    Ok(())
}
