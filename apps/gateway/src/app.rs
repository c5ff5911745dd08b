//! The application: built from settings, served until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use souk_catalog::listings::projector::Projector;
use souk_inventory::Inventory;
use souk_orders::MongoOrders;
use souk_vendors::api::AccessTokens;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Settings};
use wiring::Wiring;

pub(crate) mod wiring;
use crate::directory::IdentityDirectory;
use crate::graphql::{build_schema, QueryLimits, Services};
use crate::routes::{router, AppState};
use crate::telemetry::{self, OperationLabels};
use souk_billing::gate::Gate;
use souk_billing::meter::Meter;
use souk_billing::Billing;
use souk_payments::Payments;
use souk_tenants::audit::AuditLog;
use souk_tenants::token::{TokenIssuer, TokenVerifier};
use souk_tenants::PlatformPool;

/// A built, bound, not yet serving application.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    platform: PlatformPool,
    inventory: Arc<dyn Inventory>,
    limits: Arc<souk_limits::Limits>,
    orders: MongoOrders,
    mongo: mongodb::Database,
    meter: Arc<Meter>,
    gate: Option<Arc<Gate>>,
    billing: Arc<Billing>,
    payments: Arc<Payments>,
    projector: Projector,
    media: Arc<dyn souk_media::Media>,
    settings: Settings,
}

/// The token verifier the settings describe: the public key, or the one that
/// belongs to the private key.
pub fn verifier(settings: &Settings) -> Result<TokenVerifier, ConfigError> {
    if let Some(pem) = settings.jwt_public_key_pem()? {
        return TokenVerifier::from_public_pem(&pem, &settings.jwt_issuer, &settings.jwt_audience)
            .map_err(|err| ConfigError::invalid("jwt_public_key", err));
    }
    match issuer(settings)? {
        Some(issuer) => Ok(issuer.verifier()),
        None => Err(ConfigError::missing("jwt_public_key")),
    }
}

/// The token issuer, when the settings hold a private key.
pub fn issuer(settings: &Settings) -> Result<Option<TokenIssuer>, ConfigError> {
    settings
        .jwt_private_key_pem()?
        .map(|pem| {
            TokenIssuer::from_private_pem(&pem, &settings.jwt_issuer, &settings.jwt_audience)
                .map_err(|err| ConfigError::invalid("jwt_private_key", err))
        })
        .transpose()
}

/// The MongoDB database `url` names (default `souk`). The driver connects
/// lazily, so the server starts (and reports not ready) while MongoDB is away.
pub async fn mongo_database(url: &str) -> Result<mongodb::Database, ConfigError> {
    let client = mongodb::Client::with_uri_str(url)
        .await
        .map_err(|_| ConfigError::invalid("mongodb_url", "not a MongoDB connection string"))?;
    Ok(client
        .default_database()
        .unwrap_or_else(|| client.database("souk")))
}

/// Closes the MongoDB client behind `database` before the process exits: its
/// sessions end and its pools stop while the runtime still runs. A client that
/// is only dropped ends its sessions in a task of its own, which the runtime's
/// shutdown can interrupt after the pools are gone (the driver panics then).
pub async fn close_mongo(database: &mongodb::Database) {
    let closing = database.client().clone().shutdown().immediate(true);
    if tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .is_err()
    {
        tracing::warn!("the MongoDB client did not close within 5 s");
    }
}

/// A pool for `url` that connects lazily, so the server starts (and reports not
/// ready) while the database is away.
pub fn lazy_pool(key: &str, url: &str, max_connections: u32) -> Result<PgPool, ConfigError> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|_| ConfigError::invalid(key, "not a PostgreSQL URL"))?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options))
}

impl Application {
    /// Builds everything and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let wiring = Wiring::new(&settings).await?;
        let router = surface(&settings, &wiring);
        let listener = TcpListener::bind(settings.listen_addr)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", settings.listen_addr))?;
        Ok(Self {
            listener,
            router,
            pool: wiring.pool,
            platform: wiring.platform,
            inventory: wiring.inventory,
            limits: wiring.rate_limits,
            orders: wiring.orders,
            mongo: wiring.mongo,
            meter: wiring.meter,
            gate: wiring.gate,
            billing: wiring.billing,
            payments: wiring.payments,
            projector: wiring.projector,
            media: wiring.media,
            settings,
        })
    }

    /// The HTTP surface the settings describe, without a listener and without
    /// the background tasks [`Application::run_until`] starts (expiry sweep,
    /// usage flushes, projector, repairs): for driving requests in process.
    pub async fn router(settings: Settings) -> anyhow::Result<Router> {
        let wiring = Wiring::new(&settings).await?;
        Ok(surface(&settings, &wiring))
    }
}

impl Application {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight
    /// requests finish (up to the shutdown timeout), stops background tasks and
    /// closes the pools.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let background = self.spawn_background(&stop);
        // The meter stops only after the server drained, so its last flush
        // includes every request served.
        let meter_stop = CancellationToken::new();
        let metering = self.spawn_metering(&meter_stop);
        let draining = CancellationToken::new();
        let signal = draining.clone();
        let header_timeout = Duration::from_secs(self.settings.header_read_timeout_secs);
        let server = crate::serve::serve(self.listener, self.router, header_timeout, async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            signal.cancel();
        });
        let grace = Duration::from_secs(self.settings.shutdown_timeout_secs);
        tracing::info!(addr = %self.settings.listen_addr, "serving");
        tokio::select! {
            () = server => {}
            () = async { draining.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!("in-flight requests did not finish in time; stopping anyway");
            }
        }
        stop.cancel();
        meter_stop.cancel();
        let _ = metering.await;
        for task in background {
            let _ = task.await;
        }
        self.pool.close().await;
        self.platform.close().await;
        close_mongo(&self.mongo).await;
        tracing::info!("stopped");
        Ok(())
    }

    /// The background tasks that stop with `stop`: the reservation expiry, the
    /// rate limiters' and the gate's cleanup, the storefront projector, the order
    /// repair, the image file sweep and the usage reporter.
    fn spawn_background(&self, stop: &CancellationToken) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![
            tokio::spawn(souk_inventory::expiry::run(
                self.inventory.clone(),
                Duration::from_millis(self.settings.reservation_expiry_interval_ms),
                stop.clone(),
            )),
            tokio::spawn(self.limits.clone().run_cleanup(stop.clone())),
            tokio::spawn(self.projector.clone().run(stop.clone())),
            tokio::spawn(souk_orders::reconciler::run(
                self.orders.clone(),
                Duration::from_secs(self.settings.order_repair_interval_secs),
                Duration::from_secs(self.settings.order_stalled_after_secs),
                stop.clone(),
            )),
        ];
        if let Some(gate) = self.gate.clone() {
            tasks.push(tokio::spawn(gate.run_cleanup(stop.clone())));
        }
        let stalled = Duration::from_secs(self.settings.payment_stalled_after_secs);
        tasks.push(tokio::spawn(souk_payments::reconciler::run(
            (*self.payments).clone(),
            Duration::from_secs(self.settings.payment_repair_interval_secs),
            stalled,
            // A payment nobody completed is cancelled once its holds ran out.
            Duration::from_secs(self.settings.reservation_ttl_secs.unsigned_abs()) + stalled,
            stop.clone(),
        )));
        tasks.push(tokio::spawn(souk_media::sweep::run_sweeper(
            self.media.clone(),
            Duration::from_secs(self.settings.media_sweep_interval_secs),
            souk_media::service::ORPHAN_AFTER,
            stop.clone(),
        )));
        tasks.push(tokio::spawn((*self.billing).clone().run_reporter(
            Duration::from_secs(self.settings.usage_report_interval_secs),
            stop.clone(),
        )));
        tasks
    }

    /// The usage meter's flushes, until `meter_stop`; each flush tells the gate.
    fn spawn_metering(&self, meter_stop: &CancellationToken) -> JoinHandle<()> {
        let gate = self.gate.clone();
        let meter = self.meter.clone();
        let flush_every = Duration::from_millis(self.settings.usage_flush_interval_ms);
        let meter_stop = meter_stop.clone();
        tokio::spawn(async move {
            meter
                .run(flush_every, meter_stop, |totals| {
                    if let Some(gate) = &gate {
                        gate.flushed(totals);
                    }
                })
                .await;
        })
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// The HTTP surface: every service's GraphQL joined into one schema behind the
/// gateway's routes.
fn surface(settings: &Settings, wiring: &Wiring) -> Router {
    let services = Services {
        orders: Arc::new(wiring.orders.clone()),
        catalog: wiring.catalog.clone(),
        inventory: wiring.inventory.clone(),
        locations: wiring.locations.clone(),
        directory: Arc::new(IdentityDirectory(wiring.identity.clone())),
        identity: wiring.identity.clone(),
        tenancy: wiring.tenancy.clone(),
        throttle: wiring.throttle.clone(),
        audit: Arc::new(AuditLog::new(wiring.pool.clone(), wiring.platform.clone())),
        billing: wiring.billing.clone(),
        payments: wiring.payments.clone(),
        media: wiring.media.clone(),
        tokens: wiring.issuer.clone().map(|issuer| AccessTokens {
            issuer,
            ttl: Duration::from_secs(settings.access_token_ttl_secs),
        }),
    };
    let limits = QueryLimits {
        max_depth: settings.graphql_max_depth,
        max_complexity: settings.graphql_max_complexity,
        introspection: settings.graphql_introspection,
    };
    let state = AppState {
        schema: build_schema(limits, services),
        verifier: wiring.verifier.clone(),
        tenancy: wiring.tenancy.clone(),
        identity: wiring.identity.clone(),
        mongo: wiring.mongo.clone(),
        trust_forwarded_for: settings.trust_forwarded_for,
        pool: wiring.pool.clone(),
        metrics: telemetry::metrics(),
        operations: Arc::new(OperationLabels::default()),
        gate: wiring.gate.clone(),
        billing: wiring.billing.clone(),
        payments: wiring.payments.clone(),
        stripe_webhook_secret: settings.stripe_webhook_secret.clone(),
        stripe_connect_webhook_secret: settings.stripe_connect_webhook_secret.clone(),
        media: wiring.media.clone(),
    };
    let limits = crate::intake::BodyLimits {
        json: settings.max_body_bytes,
        // An upload's file, with room for the request around it.
        multipart: settings.media_max_bytes.saturating_add(64 * 1024),
        timeout: Duration::from_secs(settings.body_read_timeout_secs),
    };
    router(state, limits, &settings.web_dir)
}
