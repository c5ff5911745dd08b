//! `souk worker`: the outbox relays to RabbitMQ, the low-stock emails and the
//! order emails, until SIGTERM or Ctrl-C.

use secrecy::ExposeSecret;
use souk_catalog::listings::PgListings;
use souk_tenants::PlatformPool;
use souk_vendors::service::PgTenancy;

use super::{identity, platform_pool};
use crate::config::Settings;

pub(super) async fn worker(settings: &Settings) -> anyhow::Result<()> {
    let pool = crate::app::lazy_pool("database_url", settings.database_url()?, 4)?;
    let platform = platform_pool(settings)?;
    // One MongoDB client for the order relay and the emails' product titles.
    let mongo = match settings.mongodb_url() {
        Ok(url) => Some(crate::app::mongo_database(url).await?),
        Err(_) => None,
    };
    let stop = tokio_util::sync::CancellationToken::new();
    let signal = stop.clone();
    tokio::spawn(async move {
        crate::app::shutdown_signal().await;
        signal.cancel();
    });
    let mut tasks = Vec::new();
    let amqp = settings
        .amqp_url
        .as_ref()
        .map(|u| u.expose_secret().to_string());
    // The queues the publishers declare before they publish: the email queue
    // always, so events wait there for a worker that sends emails.
    let queues = vec![settings.order_email_queue.clone()];
    match &settings.smtp_url {
        Some(url) => {
            let mailer = souk_worker::notify::Mailer::new(url.expose_secret(), &settings.mail_from)
                .map_err(|e| anyhow::anyhow!(e))?;
            let recipients = recipients(settings, &pool, &platform, mongo.clone())?;
            tracing::info!("sending low-stock emails");
            tasks.push(tokio::spawn(souk_worker::notify::run(
                platform.pool().clone(),
                mailer.clone(),
                recipients.clone(),
                stop.clone(),
            )));
            match (&amqp, &mongo) {
                (Some(amqp), Some(_)) => {
                    tracing::info!("sending order emails");
                    let queue = settings.order_email_queue.clone();
                    tasks.push(tokio::spawn(souk_worker::order_mail::queue::consume(
                        platform.pool().clone(),
                        amqp.clone(),
                        queue,
                        stop.clone(),
                    )));
                    tasks.push(tokio::spawn(souk_worker::order_mail::send::run(
                        platform.pool().clone(),
                        mailer,
                        recipients,
                        stop.clone(),
                    )));
                }
                _ => tracing::warn!(
                    "order emails need SOUK_AMQP_URL and SOUK_MONGODB_URL: none are sent"
                ),
            }
        }
        None => tracing::warn!("SOUK_SMTP_URL is not set: no emails are sent"),
    }
    match &amqp {
        Some(url) => {
            tracing::info!("relaying outbox events to RabbitMQ");
            tasks.push(tokio::spawn(souk_worker::relay::run(
                platform.pool().clone(),
                url.clone(),
                queues.clone(),
                stop.clone(),
            )));
            match &mongo {
                Some(mongo) => {
                    tracing::info!("relaying order events to RabbitMQ");
                    tasks.push(tokio::spawn(souk_worker::order_relay::run(
                        mongo.clone(),
                        url.clone(),
                        queues,
                        stop.clone(),
                    )));
                }
                None => tracing::warn!(
                    "SOUK_MONGODB_URL is not set: order events wait in MongoDB until a worker with it runs"
                ),
            }
        }
        None => tracing::warn!(
            "SOUK_AMQP_URL is not set: events wait in the outbox until a worker with a broker runs"
        ),
    }
    stop.cancelled().await;
    for task in tasks {
        let _ = task.await;
    }
    pool.close().await;
    platform.close().await;
    if let Some(mongo) = &mongo {
        crate::app::close_mongo(mongo).await;
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// The services the emails need: people, vendors, product titles, orders.
fn recipients(
    settings: &Settings,
    pool: &sqlx::PgPool,
    platform: &PlatformPool,
    mongo: Option<mongodb::Database>,
) -> anyhow::Result<std::sync::Arc<souk_worker::ServiceRecipients>> {
    let tenancy: std::sync::Arc<dyn souk_vendors::service::Tenancy> =
        std::sync::Arc::new(PgTenancy::new(
            pool.clone(),
            platform.clone(),
            settings.vendor_approval_required,
        ));
    let catalog = mongo.clone().map(|mongo| {
        std::sync::Arc::new(souk_catalog::MongoCatalog::new(
            mongo,
            std::sync::Arc::new(souk_inventory::PgInventory::new(
                pool.clone(),
                platform.clone(),
            )),
            tenancy.clone(),
            PgListings::new(pool.clone(), platform.clone()),
        )) as std::sync::Arc<dyn souk_catalog::Catalog>
    });
    Ok(std::sync::Arc::new(souk_worker::ServiceRecipients {
        identity: std::sync::Arc::new(identity(settings, pool)?),
        tenancy,
        catalog,
        orders: mongo,
    }))
}
