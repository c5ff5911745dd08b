//! The `souk` command line: one file per command (`serve` is the
//! [`Application`]; `schema` prints the SDL).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use souk_tenants::{PlatformPool, Role};
use sqlx::postgres::PgPoolOptions;

use souk_identity::hashing::PasswordHasher;
use souk_identity::service::TokenLifetimes;
use souk_identity::PgIdentity;

use crate::app::{issuer, Application};
use crate::config::Settings;
use crate::telemetry;

mod admin;
mod demo_seed;
mod healthcheck;
mod keys;
mod migrate;
mod storefront;
mod worker;

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
        Command::Keygen { out } => keys::keygen(&out),
        Command::Healthcheck { addr } => healthcheck::healthcheck(addr).await,
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            telemetry::init_tracing(settings.log_format);
            match command {
                Command::Serve => Application::build(settings).await?.run().await,
                Command::Migrate => migrate::migrate(&settings).await,
                Command::Worker => worker::worker(&settings).await,
                Command::DemoSeed => demo_seed::demo_seed(&settings).await,
                Command::Storefront {
                    command: StorefrontCommand::Rebuild,
                } => storefront::rebuild(&settings).await,
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
                } => admin::create_admin(&settings, &email, &first_name, &last_name).await,
                Command::DevToken {
                    role,
                    tenant,
                    subject,
                    minutes,
                } => keys::dev_token(&settings, role.into(), tenant.as_deref(), &subject, minutes),
                Command::Schema | Command::Keygen { .. } | Command::Healthcheck { .. } => Ok(()),
            }
        }
    }
}

/// The platform role's pool (small: platform work only).
fn platform_pool(settings: &Settings) -> anyhow::Result<PlatformPool> {
    Ok(PlatformPool::new(crate::app::lazy_pool(
        "platform_database_url",
        settings.platform_database_url()?.expose_secret(),
        settings.platform_db_max_connections,
    )?))
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
