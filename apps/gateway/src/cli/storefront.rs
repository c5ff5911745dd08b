//! `souk storefront rebuild`: every product's listing written again.

use std::time::Duration;

use anyhow::Context as _;
use souk_catalog::listings::projector::Projector;
use souk_catalog::listings::PgListings;

use super::{connect, platform_pool};
use crate::config::Settings;

/// Writes every product's listing again from the catalog and inventory.
pub(super) async fn rebuild(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(settings).await?;
    let listings = PgListings::new(pool, platform_pool(settings)?);
    let mongo = crate::app::mongo_database(settings.mongodb_url()?).await?;
    let projector = Projector::new(listings, &mongo, Duration::from_secs(1));
    let rebuilt = projector.rebuild().await;
    crate::app::close_mongo(&mongo).await;
    let rebuilt = rebuilt.context("the storefront rebuild failed")?;
    println!(
        "storefront rebuilt: {} products written, {} listings unlisted, {} in-stock flags corrected, in {:.1} s",
        rebuilt.products,
        rebuilt.unlisted,
        rebuilt.flags,
        rebuilt.took.as_secs_f64()
    );
    Ok(())
}
