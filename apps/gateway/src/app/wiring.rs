//! The service graph the gateway serves, wired from the settings: the pools, the
//! services, and the parts that run in the background.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use souk_billing::gate::{Gate, GateSettings, VisitorLimit};
use souk_billing::meter::Meter;
use souk_billing::stripe::StripeBilling;
use souk_billing::Billing;
use souk_catalog::listings::projector::Projector;
use souk_catalog::listings::PgListings;
use souk_catalog::{Catalog, MongoCatalog};
use souk_identity::hashing::PasswordHasher;
use souk_identity::service::TokenLifetimes;
use souk_identity::{Identity, PgIdentity};
use souk_inventory::{Inventory, PgInventory, StockLocations};
use souk_orders::MongoOrders;
use souk_payments::provider::{PaymentProvider, StripeConnect, TestProvider};
use souk_payments::service::Links;
use souk_payments::Payments;
use souk_tenants::token::{TokenIssuer, TokenVerifier};
use souk_tenants::PlatformPool;
use souk_vendors::service::{PgTenancy, Tenancy};
use sqlx::PgPool;

use super::{issuer, lazy_pool, mongo_database, verifier};
use crate::config::{ConfigError, Settings};
use crate::throttle::{Allowances, SignInThrottle};

/// Everything [`super::Application::build`] puts together.
pub(super) struct Wiring {
    pub pool: PgPool,
    pub platform: PlatformPool,
    pub verifier: Arc<TokenVerifier>,
    pub mongo: mongodb::Database,
    pub issuer: Option<Arc<TokenIssuer>>,
    pub inventory: Arc<dyn Inventory>,
    pub locations: Arc<dyn StockLocations>,
    pub identity: Arc<dyn Identity>,
    pub tenancy: Arc<dyn Tenancy>,
    pub rate_limits: Arc<souk_limits::Limits>,
    pub throttle: Arc<SignInThrottle>,
    pub projector: Projector,
    pub catalog: Arc<dyn Catalog>,
    pub orders: MongoOrders,
    pub meter: Arc<Meter>,
    pub gate: Option<Arc<Gate>>,
    pub billing: Arc<Billing>,
    pub payments: Arc<Payments>,
    pub media: Arc<dyn souk_media::Media>,
}

impl Wiring {
    pub async fn new(settings: &Settings) -> anyhow::Result<Self> {
        let pool = lazy_pool(
            "database_url",
            settings.database_url()?,
            settings.db_max_connections,
        )?;
        let platform = PlatformPool::new(lazy_pool(
            "platform_database_url",
            settings.platform_database_url()?.expose_secret(),
            settings.platform_db_max_connections,
        )?);
        let verifier = Arc::new(verifier(settings)?);
        let mongo = mongo_database(settings.mongodb_url()?).await?;
        let issuer = issuer(settings)?.map(Arc::new);
        let stock = PgInventory::new(pool.clone(), platform.clone());
        let locations: Arc<dyn StockLocations> = Arc::new(stock.clone());
        let inventory: Arc<dyn Inventory> = Arc::new(stock);
        let identity = identity(settings, &pool, issuer.clone());
        let tenancy: Arc<dyn Tenancy> = Arc::new(PgTenancy::new(
            pool.clone(),
            platform.clone(),
            settings.vendor_approval_required,
        ));
        let rate_limits = crate::throttle::limits(settings)?;
        let throttle = throttle(settings, &rate_limits);
        let listings = PgListings::new(pool.clone(), platform.clone());
        let projector = Projector::new(
            listings.clone(),
            &mongo,
            Duration::from_millis(settings.storefront_projector_interval_ms),
        );
        let catalog: Arc<dyn Catalog> = Arc::new(MongoCatalog::new(
            mongo.clone(),
            inventory.clone(),
            tenancy.clone(),
            listings,
        ));
        let ttl = souk_inventory::domain::Ttl::parse_seconds(settings.reservation_ttl_secs)
            .map_err(|e| ConfigError::invalid("reservation_ttl_secs", e))?;
        let orders = MongoOrders::new(mongo.clone(), catalog.clone(), inventory.clone(), ttl);
        let (meter, gate, billing) = billing(settings, &pool, &platform, &tenancy, &rate_limits)?;
        let payments = Arc::new(Payments::new(
            pool.clone(),
            platform.clone(),
            Arc::new(orders.clone()),
            billing.clone(),
            payment_provider(settings)?,
            Links {
                public_url: settings.public_url.clone(),
                publishable_key: settings.stripe_publishable_key.clone(),
            },
        ));
        let media = Arc::new(souk_media::PgMedia::new(
            pool.clone(),
            platform.clone(),
            media_storage(settings)?,
            settings.media_max_bytes,
        ));
        Ok(Self {
            media,
            pool,
            platform,
            verifier,
            mongo,
            issuer,
            inventory,
            locations,
            identity,
            tenancy,
            rate_limits,
            throttle,
            projector,
            catalog,
            orders,
            meter,
            gate,
            billing,
            payments,
        })
    }
}

/// Where product images are kept: `media_url`'s object store, else the
/// `media_dir` folder.
pub(crate) fn media_storage(
    settings: &Settings,
) -> Result<souk_media::storage::MediaStorage, ConfigError> {
    match settings
        .media_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => souk_media::storage::MediaStorage::from_url(url)
            .map_err(|e| ConfigError::invalid("media_url", e)),
        None => souk_media::storage::MediaStorage::local(&settings.media_dir)
            .map_err(|e| ConfigError::invalid("media_dir", e.to_string())),
    }
}

/// Stripe Connect when its key is set; otherwise the test provider, which
/// moves no money and so must be asked for (`test_payments`).
fn payment_provider(settings: &Settings) -> Result<Arc<dyn PaymentProvider>, ConfigError> {
    let key = settings
        .stripe_connect_secret_key
        .as_ref()
        .filter(|key| !key.expose_secret().is_empty());
    match (key, settings.test_payments) {
        (Some(key), _) => Ok(Arc::new(
            StripeConnect::new(key.expose_secret(), settings.stripe_api_base.as_deref())
                .map_err(|e| ConfigError::invalid("stripe_api_base", e))?,
        )),
        (None, true) => {
            tracing::warn!("payments use the TEST provider: no money moves");
            Ok(Arc::new(TestProvider::new()))
        }
        (None, false) => Err(ConfigError::invalid(
            "stripe_connect_secret_key",
            "payments need Stripe Connect (SOUK_STRIPE_CONNECT_SECRET_KEY), or \
             SOUK_TEST_PAYMENTS=true for the test provider, with which no money moves",
        )),
    }
}

fn identity(
    settings: &Settings,
    pool: &PgPool,
    issuer: Option<Arc<TokenIssuer>>,
) -> Arc<dyn Identity> {
    Arc::new(PgIdentity::new(
        pool.clone(),
        settings
            .password_hash_concurrency
            .map_or_else(PasswordHasher::default, PasswordHasher::new),
        issuer,
        TokenLifetimes {
            access: Duration::from_secs(settings.access_token_ttl_secs),
            refresh: Duration::from_secs(settings.refresh_token_ttl_days * 24 * 3600),
        },
    ))
}

fn throttle(settings: &Settings, rate_limits: &Arc<souk_limits::Limits>) -> Arc<SignInThrottle> {
    Arc::new(SignInThrottle::new(
        rate_limits.clone(),
        Allowances {
            logins_per_ip: settings.logins_per_minute_per_ip,
            logins_per_account: settings.logins_per_minute_per_account,
            lookups_per_ip: settings.lookups_per_minute_per_ip,
        },
    ))
}

/// Billing with its Stripe adapter (when configured), usage meter and gate
/// (when metering or rate limits are on).
type BillingParts = (Arc<Meter>, Option<Arc<Gate>>, Arc<Billing>);

fn billing(
    settings: &Settings,
    pool: &PgPool,
    platform: &PlatformPool,
    tenancy: &Arc<dyn Tenancy>,
    rate_limits: &Arc<souk_limits::Limits>,
) -> Result<BillingParts, ConfigError> {
    let stripe = match &settings.stripe_secret_key {
        Some(key) => Some(
            StripeBilling::new(
                key.expose_secret(),
                settings.stripe_api_base.as_deref(),
                &settings.stripe_meter_event,
            )
            .map_err(|e| ConfigError::invalid("stripe_api_base", e))?,
        ),
        None => None,
    };
    let meter = Arc::new(Meter::new(platform.clone(), stripe.is_some()));
    let gate = (settings.metering || settings.rate_limits).then(|| {
        Arc::new(Gate::new(
            pool.clone(),
            meter.clone(),
            GateSettings {
                rate_limits: settings.rate_limits,
                metering: settings.metering,
                visitors: VisitorLimit {
                    per_second: settings.visitor_rate_per_second,
                    burst: settings.visitor_burst,
                },
            },
            rate_limits.clone(),
        ))
    });
    let billing = Arc::new(
        Billing::new(pool.clone(), platform.clone(), stripe, gate.clone())
            .with_tenancy(tenancy.clone()),
    );
    Ok((meter, gate, billing))
}
