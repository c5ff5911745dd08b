//! The `souk` command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use souk_tenants::{PlatformPool, Role, TenantId};
use sqlx::postgres::PgPoolOptions;

use souk_catalog::listings::projector::Projector;
use souk_catalog::listings::PgListings;
use souk_identity::domain::{Email, Password, PersonName, Registration};
use souk_identity::hashing::PasswordHasher;
use souk_identity::service::TokenLifetimes;
use souk_identity::{Identity, PgIdentity};
use souk_vendors::service::PgTenancy;

use crate::app::{issuer, Application};
use crate::config::Settings;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "souk",
    version,
    about = "Souk, the multi-vendor commerce platform"
)]
pub struct Cli {
    /// A TOML config file (also `SOUK_CONFIG`); `SOUK_*` variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL gateway and the background tasks.
    Serve,
    /// Relay outbox events to RabbitMQ (SOUK_AMQP_URL) and send low-stock emails
    /// (SOUK_SMTP_URL) until SIGTERM or Ctrl-C.
    Worker,
    /// Apply pending database migrations (safe to run twice, or from two processes).
    Migrate,
    /// Print the GraphQL schema (SDL), as committed in `schema.graphql`.
    Schema,
    /// Exit 0 when the local server answers `/healthz` (for container health checks).
    Healthcheck {
        /// The server's address; defaults to SOUK_LISTEN_ADDR's port on loopback.
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
    },
    /// Generate an Ed25519 key pair for signing and verifying access tokens.
    Keygen {
        /// Directory to write `jwt-private.pem` and `jwt-public.pem` into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Seed the demo accounts, vendors and stock (idempotent); needs SOUK_DEMO_PASSWORD.
    DemoSeed,
    /// The storefront's read model.
    Storefront {
        #[command(subcommand)]
        command: StorefrontCommand,
    },
    /// Generate data from a seed (not committed data).
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Mint an access token with the configured private key (development and tests).
    DevToken {
        #[arg(long, value_enum)]
        role: CliRole,
        /// The tenant (vendor) id, for vendor roles.
        #[arg(long)]
        tenant: Option<String>,
        /// The user id the token speaks for.
        #[arg(long, default_value = "dev-user")]
        subject: String,
        /// Minutes until the token expires.
        #[arg(long, default_value_t = 60)]
        minutes: u64,
    },
}

#[derive(Debug, Subcommand)]
enum StorefrontCommand {
    /// Write every product's listing again from the catalog and inventory (safe
    /// while the platform serves).
    Rebuild,
}

#[derive(Debug, Subcommand)]
enum SeedCommand {
    /// Active vendors with published products and stock, through the services;
    /// vendors already there with all their products are skipped.
    Marketplace(crate::marketplace::MarketplaceArgs),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create the first platform admin (or make an existing account one). The
    /// password comes from SOUK_ADMIN_PASSWORD, or is generated and printed once.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform")]
        first_name: String,
        #[arg(long, default_value = "Admin")]
        last_name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CliRole {
    PlatformAdmin,
    Owner,
    Manager,
    Staff,
    Customer,
}

impl From<CliRole> for Role {
    fn from(role: CliRole) -> Self {
        match role {
            CliRole::PlatformAdmin => Role::PlatformAdmin,
            CliRole::Owner => Role::Owner,
            CliRole::Manager => Role::Manager,
            CliRole::Staff => Role::Staff,
            CliRole::Customer => Role::Customer,
        }
    }
}

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Keygen { out } => keygen(&out),
        Command::Healthcheck { addr } => healthcheck(addr).await,
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            telemetry::init_tracing(settings.log_format);
            match command {
                Command::Serve => Application::build(settings).await?.run().await,
                Command::Migrate => migrate(&settings).await,
                Command::Worker => worker(&settings).await,
                Command::DemoSeed => demo_seed(&settings).await,
                Command::Storefront {
                    command: StorefrontCommand::Rebuild,
                } => rebuild_storefront(&settings).await,
                Command::Seed {
                    command: SeedCommand::Marketplace(args),
                } => crate::marketplace::run(&settings, args).await,
                Command::Admin {
                    command:
                        AdminCommand::CreateUser {
                            email,
                            first_name,
                            last_name,
                        },
                } => create_admin(&settings, &email, &first_name, &last_name).await,
                Command::DevToken {
                    role,
                    tenant,
                    subject,
                    minutes,
                } => dev_token(&settings, role.into(), tenant.as_deref(), &subject, minutes),
                Command::Schema | Command::Keygen { .. } | Command::Healthcheck { .. } => Ok(()),
            }
        }
    }
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
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
            souk_catalog::MongoCatalog::create_indexes(&db)
                .await
                .context("cannot create the MongoDB indexes")?;
            souk_orders::create_indexes(&db)
                .await
                .context("cannot create the MongoDB indexes")?;
            tracing::info!("MongoDB indexes created");
        }
        Err(_) => tracing::warn!("SOUK_MONGODB_URL is not set: MongoDB indexes were not created"),
    }
    Ok(())
}

/// The platform role's pool (small: platform work only).
fn platform_pool(settings: &Settings) -> anyhow::Result<PlatformPool> {
    Ok(PlatformPool::new(crate::app::lazy_pool(
        "platform_database_url",
        settings.platform_database_url()?.expose_secret(),
        settings.platform_db_max_connections,
    )?))
}

async fn worker(settings: &Settings) -> anyhow::Result<()> {
    let pool = crate::app::lazy_pool("database_url", settings.database_url()?, 4)?;
    let platform = platform_pool(settings)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let signal = stop.clone();
    tokio::spawn(async move {
        crate::app::shutdown_signal().await;
        signal.cancel();
    });
    let mut tasks = Vec::new();
    match &settings.smtp_url {
        Some(url) => {
            let mailer = souk_worker::notify::Mailer::new(url.expose_secret(), &settings.mail_from)
                .map_err(|e| anyhow::anyhow!(e))?;
            let recipients = recipients(settings, &pool, &platform).await?;
            tracing::info!("sending low-stock emails");
            tasks.push(tokio::spawn(souk_worker::notify::run(
                platform.pool().clone(),
                mailer,
                recipients,
                stop.clone(),
            )));
        }
        None => tracing::warn!("SOUK_SMTP_URL is not set: no low-stock emails are sent"),
    }
    match &settings.amqp_url {
        Some(url) => {
            tracing::info!("relaying outbox events to RabbitMQ");
            tasks.push(tokio::spawn(souk_worker::relay::run(
                platform.pool().clone(),
                url.expose_secret().to_string(),
                stop.clone(),
            )));
            match settings.mongodb_url() {
                Ok(mongo) => {
                    tracing::info!("relaying order events to RabbitMQ");
                    tasks.push(tokio::spawn(souk_worker::order_relay::run(
                        crate::app::mongo_database(mongo).await?,
                        url.expose_secret().to_string(),
                        stop.clone(),
                    )));
                }
                Err(_) => tracing::warn!(
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
    tracing::info!("worker stopped");
    Ok(())
}

/// The services the low-stock emails need: owners, vendor names, product titles.
async fn recipients(
    settings: &Settings,
    pool: &sqlx::PgPool,
    platform: &PlatformPool,
) -> anyhow::Result<std::sync::Arc<dyn souk_worker::notify::Recipients>> {
    let tenancy: std::sync::Arc<dyn souk_vendors::service::Tenancy> =
        std::sync::Arc::new(PgTenancy::new(
            pool.clone(),
            platform.clone(),
            settings.vendor_approval_required,
        ));
    let catalog: Option<std::sync::Arc<dyn souk_catalog::Catalog>> = match settings.mongodb_url() {
        Ok(url) => Some(std::sync::Arc::new(souk_catalog::MongoCatalog::new(
            crate::app::mongo_database(url).await?,
            std::sync::Arc::new(souk_inventory::PgInventory::new(
                pool.clone(),
                platform.clone(),
            )),
            tenancy.clone(),
            PgListings::new(pool.clone(), platform.clone()),
        ))),
        Err(_) => None,
    };
    Ok(std::sync::Arc::new(souk_worker::ServiceRecipients {
        identity: std::sync::Arc::new(identity(settings, pool)?),
        tenancy,
        catalog,
    }))
}

async fn connect(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(settings.database_url()?)
        .await
        .context("cannot connect to PostgreSQL with SOUK_DATABASE_URL")
}

fn identity(settings: &Settings, pool: &sqlx::PgPool) -> anyhow::Result<PgIdentity> {
    Ok(PgIdentity::new(
        pool.clone(),
        PasswordHasher::default(),
        issuer(settings)?.map(std::sync::Arc::new),
        TokenLifetimes::default(),
    )
    .with_platform(platform_pool(settings)?.pool().clone()))
}

async fn rebuild_storefront(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(settings).await?;
    let listings = PgListings::new(pool, platform_pool(settings)?);
    let mongo = crate::app::mongo_database(settings.mongodb_url()?).await?;
    let projector = Projector::new(listings, &mongo, Duration::from_secs(1));
    let rebuilt = projector
        .rebuild()
        .await
        .context("the storefront rebuild failed")?;
    println!(
        "storefront rebuilt: {} products written, {} listings unlisted, {} in-stock flags corrected, in {:.1} s",
        rebuilt.products,
        rebuilt.unlisted,
        rebuilt.flags,
        rebuilt.took.as_secs_f64()
    );
    Ok(())
}

async fn demo_seed(settings: &Settings) -> anyhow::Result<()> {
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
    let seeder = crate::demo::Seeder {
        identity: identity(settings, &pool)?,
        orders: souk_orders::MongoOrders::new(
            mongo,
            std::sync::Arc::new(catalog.clone()),
            std::sync::Arc::new(inventory.clone()),
            ttl,
        ),
        catalog,
        tenancy,
        inventory,
    };
    let seeded = seeder.seed(&password).await?;
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

/// Creates (or promotes) a platform admin. The password comes from
/// `SOUK_ADMIN_PASSWORD`; without it, a random one is generated and printed once.
async fn create_admin(
    settings: &Settings,
    email: &str,
    first: &str,
    last: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let pool = connect(settings).await?;
    let identity = identity(settings, &pool)?;
    if let Some(user) = identity.promote_to_admin(&email).await? {
        println!("{} is now a platform admin", user.email);
        return Ok(());
    }
    let (password, generated) = match std::env::var("SOUK_ADMIN_PASSWORD") {
        Ok(password) => (password, false),
        Err(_) => {
            let mut bytes = [0_u8; 18];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            (
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes),
                true,
            )
        }
    };
    let registration = Registration {
        password: Password::parse(&password, &email)
            .map_err(|e| anyhow::anyhow!("SOUK_ADMIN_PASSWORD: {e}"))?,
        email,
        first_name: PersonName::parse(first).map_err(|e| anyhow::anyhow!("--first-name: {e}"))?,
        last_name: PersonName::parse(last).map_err(|e| anyhow::anyhow!("--last-name: {e}"))?,
        phone: None,
    };
    let user = identity
        .create_account(registration, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    pool.close().await;
    println!("created platform admin {}", user.email);
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

/// GET /healthz over plain HTTP/1.0; success is a 200 status line.
async fn healthcheck(addr: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = match addr {
        Some(addr) => addr,
        None => {
            let port = std::env::var("SOUK_LISTEN_ADDR")
                .ok()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .map_or(8080, |a| a.port());
            std::net::SocketAddr::from(([127, 0, 0, 1], port))
        }
    };
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut head = [0_u8; 16];
        let read = stream.read(&mut head).await?;
        Ok::<bool, std::io::Error>(
            head[..read].starts_with(b"HTTP/1.0 200") || head[..read].starts_with(b"HTTP/1.1 200"),
        )
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => anyhow::bail!("{addr}/healthz did not answer 200"),
        Ok(Err(err)) => anyhow::bail!("cannot reach {addr}: {err}"),
        Err(_) => anyhow::bail!("{addr}/healthz did not answer within 3 seconds"),
    }
}

fn keygen(out: &std::path::Path) -> anyhow::Result<()> {
    let (private, public) = souk_tenants::token::generate_keypair()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let private_path = out.join("jwt-private.pem");
    write_private(&private_path, private.expose_secret())?;
    std::fs::write(out.join("jwt-public.pem"), public)?;
    println!("wrote {} and jwt-public.pem", private_path.display());
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

fn dev_token(
    settings: &Settings,
    role: Role,
    tenant: Option<&str>,
    subject: &str,
    minutes: u64,
) -> anyhow::Result<()> {
    let issuer = issuer(settings)?.context(
        "dev-token signs with the private key: set SOUK_JWT_PRIVATE_KEY or SOUK_JWT_PRIVATE_KEY_FILE",
    )?;
    let tenant = tenant
        .map(TenantId::parse)
        .transpose()
        .context("--tenant must be a UUID")?;
    if role.is_vendor() && tenant.is_none() {
        anyhow::bail!("vendor roles act in a tenant: pass --tenant");
    }
    let token = issuer.issue(subject, tenant, role, Duration::from_secs(minutes * 60))?;
    println!("{token}");
    Ok(())
}
