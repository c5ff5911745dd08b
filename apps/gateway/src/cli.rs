//! The `souk` command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use souk_tenants::{Role, TenantId};
use sqlx::postgres::PgPoolOptions;

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
    /// Apply pending database migrations (safe to run twice, or from two processes).
    Migrate,
    /// Print the GraphQL schema (SDL), as committed in `schema.graphql`.
    Schema,
    /// Generate an Ed25519 key pair for signing and verifying access tokens.
    Keygen {
        /// Directory to write `jwt-private.pem` and `jwt-public.pem` into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Seed the demo vendors' stock (idempotent) and print a token for each.
    DemoSeed,
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
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            telemetry::init_tracing(settings.log_format);
            match command {
                Command::Serve => Application::build(settings).await?.run().await,
                Command::Migrate => migrate(&settings).await,
                Command::DemoSeed => demo_seed(&settings).await,
                Command::DevToken {
                    role,
                    tenant,
                    subject,
                    minutes,
                } => dev_token(&settings, role.into(), tenant.as_deref(), &subject, minutes),
                Command::Schema | Command::Keygen { .. } => Ok(()),
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
    tracing::info!("migrations applied");
    Ok(())
}

async fn demo_seed(settings: &Settings) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(settings.database_url()?)
        .await
        .context("cannot connect to PostgreSQL with SOUK_DATABASE_URL")?;
    let created = crate::demo::seed(&souk_inventory::PgInventory::new(pool.clone())).await?;
    pool.close().await;
    tracing::info!(created, "demo stock seeded");
    let issuer = issuer(settings)?.context(
        "demo-seed prints tokens signed with the private key: set SOUK_JWT_PRIVATE_KEY_FILE",
    )?;
    println!("Demo vendor tokens (valid 12 hours; send as `Authorization: Bearer <token>`):");
    for (who, token) in crate::demo::tokens(&issuer, Duration::from_secs(12 * 3600))? {
        println!("\n  {who}\n  {token}");
    }
    Ok(())
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
