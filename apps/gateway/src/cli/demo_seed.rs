//! `souk demo-seed`: the demo accounts, vendors and stock (idempotent).

use std::time::Duration;

use anyhow::Context as _;
use souk_catalog::listings::PgListings;
use souk_vendors::service::PgTenancy;

use super::{connect, identity, platform_pool};
use crate::app::issuer;
use crate::config::Settings;

/// Seeds the demo and prints its logins (and vendor tokens, with a signing key).
pub(super) async fn demo_seed(settings: &Settings) -> anyhow::Result<()> {
    let password = std::env::var("SOUK_DEMO_PASSWORD")
        .context("demo-seed gives every demo account the password in SOUK_DEMO_PASSWORD")?;
    let pool = connect(settings).await?;
    let platform = platform_pool(settings)?;
    let mongo = crate::app::mongo_database(settings.mongodb_url()?).await?;
    souk_catalog::MongoCatalog::create_indexes(&mongo).await?;
    let tenancy = PgTenancy::new(pool.clone(), platform.clone(), false);
    let inventory = souk_inventory::PgInventory::new(pool.clone(), platform.clone());
    souk_orders::create_indexes(&mongo).await?;
    let catalog = souk_catalog::MongoCatalog::new(
        mongo.clone(),
        std::sync::Arc::new(inventory.clone()),
        std::sync::Arc::new(tenancy.clone()),
        PgListings::new(pool.clone(), platform.clone()),
    );
    let ttl = souk_inventory::domain::Ttl::parse_seconds(settings.reservation_ttl_secs)?;
    let orders = souk_orders::MongoOrders::new(
        mongo.clone(),
        std::sync::Arc::new(catalog.clone()),
        std::sync::Arc::new(inventory.clone()),
        ttl,
    );
    // The demo's orders are paid with the test provider, when it is the one.
    let payments = settings.test_payments.then(|| {
        souk_payments::Payments::new(
            pool.clone(),
            platform.clone(),
            std::sync::Arc::new(orders.clone()),
            std::sync::Arc::new(souk_billing::Billing::new(
                pool.clone(),
                platform.clone(),
                None,
                None,
            )),
            std::sync::Arc::new(souk_payments::provider::TestProvider::new()),
            souk_payments::service::Links {
                public_url: settings.public_url.clone(),
                publishable_key: None,
            },
        )
    });
    let seeder = crate::demo::Seeder {
        identity: identity(settings, &pool)?,
        orders,
        payments,
        catalog,
        tenancy,
        inventory,
        media: Some(souk_media::PgMedia::new(
            pool.clone(),
            platform.clone(),
            crate::app::wiring::media_storage(settings)?,
            settings.media_max_bytes,
        )),
    };
    let seeded = seeder.seed(&password).await;
    drop(seeder);
    crate::app::close_mongo(&mongo).await;
    let seeded = seeded?;
    pool.close().await;
    platform.close().await;
    println!("Demo accounts (password: the SOUK_DEMO_PASSWORD the demo script printed):");
    for (who, email) in &seeded.logins {
        println!("  {who:<16} {email}");
    }
    if let Some(issuer) = issuer(settings)? {
        println!("\nVendor tokens (valid 12 hours; send as `Authorization: Bearer <token>`):");
        for (who, token) in
            crate::demo::vendor_tokens(&issuer, &seeded, Duration::from_secs(12 * 3600))?
        {
            println!("\n  {who}\n  {token}");
        }
    }
    Ok(())
}
