//! A generated marketplace at scale (`souk seed marketplace`): many active
//! vendors, a category tree, and published products with varied titles,
//! descriptions, prices, variants and stock (some sold out), made from a seed
//! rather than committed data. The storefront benchmark seeds with it too.

pub mod plan;
pub mod seed;
mod words;

pub use plan::{Size, DEFAULT_SEED};
pub use seed::{seed, Progress, Report, Services, FOUNDER_EMAIL};

use crate::config::Settings;

/// `souk seed marketplace`'s options.
#[derive(Debug, clap::Args)]
pub struct MarketplaceArgs {
    /// Vendors to create.
    #[arg(long, default_value_t = 1000)]
    vendors: usize,
    /// Published products per vendor, with 1 to 3 variants each.
    #[arg(long, default_value_t = 100)]
    products: usize,
    /// The seed the contents come from: the same seed makes the same marketplace.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Products created at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: u32,
}

/// Seeds the configured databases and prints progress and the totals.
pub async fn run(settings: &Settings, args: MarketplaceArgs) -> anyhow::Result<()> {
    let platform_url = settings.platform_database_url()?;
    let services = Services::connect(
        settings.database_url()?,
        secrecy::ExposeSecret::expose_secret(&platform_url),
        settings.mongodb_url()?,
        args.concurrency + 2,
    )
    .await?;
    let size = Size {
        vendors: args.vendors,
        products: args.products,
        seed: args.seed,
    };
    println!(
        "seeding {} vendors x {} products (seed {}), {} at a time",
        size.vendors, size.products, size.seed, args.concurrency
    );
    let report = seed(&services, size, args.concurrency as usize, &print_progress).await;
    services.close().await;
    print_report(&report?);
    Ok(())
}

/// One line per progress report.
pub fn print_progress(progress: Progress) {
    let seconds = progress.elapsed.as_secs_f64();
    println!(
        "  {:>7}/{} products  {:>7.1} s  {:>6.0} products/s",
        progress.done,
        progress.total,
        seconds,
        progress.done as f64 / seconds.max(0.001)
    );
}

/// The totals of a run.
pub fn print_report(report: &Report) {
    println!(
        "seeded in {:.1} s: {} vendors created, {} already complete; {} products and {} stock items created",
        report.elapsed.as_secs_f64(),
        report.vendors_created,
        report.vendors_skipped,
        report.products_created,
        report.stock_items_created
    );
}
