//! Seeds a planned marketplace through the services' own code paths: the
//! founder account through identity, vendors through tenancy, categories and
//! products through the catalog (which creates each variant's stock item through
//! inventory), and publishing through the catalog. Products are created many at
//! a time. Vendors already there with all their products are skipped; a vendor
//! left half-seeded gets its missing products.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use souk_catalog::domain::{
    CatalogError, Category, ObjectKey, ProductDraft, ProductStatus, RawDraft, RawVariant,
};
use souk_catalog::{Catalog, MongoCatalog};
use souk_identity::hashing::PasswordHasher;
use souk_identity::service::TokenLifetimes;
use souk_identity::PgIdentity;
use souk_inventory::PgInventory;
use souk_tenants::Scope;
use souk_tenants::{PlatformPool, TenantId};
use souk_vendors::service::{PgTenancy, Tenancy};
use souk_vendors::{Slug, VendorName};
use sqlx::postgres::PgPoolOptions;

use super::plan::{self, ProductPlan, Size, DEPARTMENTS};

/// The account that founds every seeded vendor. Its password is random and
/// never shown: mint its vendors' tokens with `souk dev-token`.
pub const FOUNDER_EMAIL: &str = "founder@marketplace.example";

const ACTOR: &str = "system:marketplace-seed";

/// The services seeding goes through.
#[derive(Debug)]
pub struct Services {
    identity: PgIdentity,
    tenancy: PgTenancy,
    catalog: MongoCatalog,
    mongo: mongodb::Database,
}

impl Services {
    /// Connects as the app role (`database_url`, up to `connections` at once) and
    /// the platform role to PostgreSQL, and to MongoDB.
    pub async fn connect(
        database_url: &str,
        platform_url: &str,
        mongodb_url: &str,
        connections: u32,
    ) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(database_url)
            .await
            .context("cannot connect to PostgreSQL as the app role")?;
        let platform = PgPoolOptions::new()
            .max_connections(2)
            .connect(platform_url)
            .await
            .context("cannot connect to PostgreSQL as the platform role")?;
        let mongo = crate::app::mongo_database(mongodb_url).await?;
        MongoCatalog::create_indexes(&mongo)
            .await
            .context("cannot create the catalog's MongoDB indexes")?;
        let platform_pool = PlatformPool::new(platform.clone());
        let tenancy = PgTenancy::new(pool.clone(), platform_pool.clone(), false);
        let inventory = PgInventory::new(pool.clone(), platform_pool.clone());
        let listings = souk_catalog::listings::PgListings::new(pool.clone(), platform_pool);
        let identity = PgIdentity::new(
            pool,
            PasswordHasher::default(),
            None,
            TokenLifetimes::default(),
        )
        .with_platform(platform);
        let catalog = MongoCatalog::new(
            mongo.clone(),
            Arc::new(inventory),
            Arc::new(tenancy.clone()),
            listings,
        );
        Ok(Self {
            identity,
            tenancy,
            catalog,
            mongo,
        })
    }

    /// Closes the MongoDB client (see [`crate::app::close_mongo`]).
    pub async fn close(&self) {
        crate::app::close_mongo(&self.mongo).await;
    }
}

/// What a seeding run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub vendors_created: usize,
    /// Vendors found with all their products.
    pub vendors_skipped: usize,
    pub products_created: usize,
    /// One per variant of each created product.
    pub stock_items_created: usize,
    pub elapsed: Duration,
}

/// How far a run is: products handled (created or found) of those to handle.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub elapsed: Duration,
}

/// A vendor whose products are to be seeded.
struct Pending {
    index: usize,
    tenant: TenantId,
    /// Whether it was there before: some of its products may be too.
    resumed: bool,
}

/// Seeds the marketplace `size` describes, `concurrency` products at a time,
/// calling `progress` about twenty times along the way.
pub async fn seed(
    services: &Services,
    size: Size,
    concurrency: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let concurrency = concurrency.max(1);
    let founder = founder(services).await?;
    let aisles = categories(&services.catalog).await?;
    let mut report = Report::default();
    let vendors: Vec<Option<Pending>> = futures::stream::iter(0..size.vendors)
        .map(|index| vendor(services, size, founder, index))
        .buffered(concurrency)
        .try_collect()
        .await?;
    let pending: Vec<Pending> = vendors.into_iter().flatten().collect();
    report.vendors_skipped = size.vendors - pending.len();
    report.vendors_created = pending.iter().filter(|p| !p.resumed).count();
    let total = pending.len() * size.products;
    let step = (total / 20).max(1);
    let mut done = 0;
    futures::stream::iter(
        pending
            .iter()
            .flat_map(|v| (0..size.products).map(move |p| (v, p))),
    )
    .map(|(vendor, index)| {
        let plan = plan::product(size.seed, vendor.index, index);
        product(&services.catalog, vendor, &aisles, plan)
    })
    .buffer_unordered(concurrency)
    .try_for_each(|stock_items| {
        done += 1;
        if let Some(items) = stock_items {
            report.products_created += 1;
            report.stock_items_created += items;
        }
        if done % step == 0 || done == total {
            let elapsed = started.elapsed();
            progress(Progress {
                done,
                total,
                elapsed,
            });
        }
        futures::future::ready(Ok(()))
    })
    .await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The founder's user id; the account is created the first time.
async fn founder(services: &Services) -> anyhow::Result<uuid::Uuid> {
    let mut bytes = [0_u8; 18];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let password = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, bytes);
    crate::demo::ensure_account(
        &services.identity,
        FOUNDER_EMAIL,
        ("Marketplace", "Founder"),
        &password,
        false,
    )
    .await
}

/// The subcategory ids, as `[department][aisle]`; missing ones are created.
async fn categories(catalog: &MongoCatalog) -> anyhow::Result<Vec<Vec<ObjectKey>>> {
    let mut known: Vec<Category> = catalog
        .categories()
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let mut tree = Vec::with_capacity(DEPARTMENTS.len());
    for department in DEPARTMENTS {
        let top = category(catalog, &mut known, department.name, None).await?;
        let mut aisles = Vec::with_capacity(department.aisles.len());
        for (name, _) in department.aisles {
            aisles.push(category(catalog, &mut known, name, Some(top)).await?);
        }
        tree.push(aisles);
    }
    Ok(tree)
}

/// The category called `name` under `parent`, created when missing.
async fn category(
    catalog: &MongoCatalog,
    known: &mut Vec<Category>,
    name: &str,
    parent: Option<ObjectKey>,
) -> anyhow::Result<ObjectKey> {
    if let Some(found) = known.iter().find(|c| c.name == name && c.parent == parent) {
        return Ok(found.id);
    }
    let created = catalog
        .create_category(name, parent)
        .await
        .with_context(|| format!("cannot create the category {name}"))?;
    let id = created.id;
    known.push(created);
    Ok(id)
}

/// Registers the vendor with this index unless it is there; `None` when it is
/// there with all its products.
async fn vendor(
    services: &Services,
    size: Size,
    founder: uuid::Uuid,
    index: usize,
) -> anyhow::Result<Option<Pending>> {
    let plan = plan::vendor(size.seed, index);
    if let Some(existing) = services.tenancy.vendor_by_slug(&plan.slug).await? {
        let limit = i64::try_from(size.products).unwrap_or(i64::MAX);
        let products = services
            .catalog
            .vendor_products(existing.id, None, None, None, limit)
            .await?;
        let complete = products.len() >= size.products;
        return Ok((!complete).then_some(Pending {
            index,
            tenant: existing.id,
            resumed: true,
        }));
    }
    let created = services
        .tenancy
        .register_vendor(
            founder,
            VendorName::parse(&plan.name)?,
            Slug::parse(&plan.slug)?,
        )
        .await
        .with_context(|| format!("cannot register the vendor {}", plan.slug))?;
    Ok(Some(Pending {
        index,
        tenant: created.id,
        resumed: false,
    }))
}

/// Creates and publishes one product; the number of stock items created with
/// it, or `None` when a resumed vendor had it already.
async fn product(
    catalog: &MongoCatalog,
    vendor: &Pending,
    aisles: &[Vec<ObjectKey>],
    plan: ProductPlan,
) -> anyhow::Result<Option<usize>> {
    let scope = Scope {
        tenant: vendor.tenant,
        actor: ACTOR.into(),
    };
    let first_sku = plan
        .variants
        .first()
        .map(|v| v.sku.clone())
        .unwrap_or_default();
    let draft = draft(aisles, plan)?;
    let stock_items = draft.variants.len();
    let (id, created) = match catalog.create_product(&scope, draft).await {
        Ok(product) => (product.id, true),
        Err(CatalogError::DuplicateSku(_)) if vendor.resumed => {
            let existing = catalog
                .product_by_sku(vendor.tenant, &first_sku)
                .await?
                .with_context(|| format!("SKU {first_sku} is taken, but no product sells it"))?;
            if existing.status == ProductStatus::Active {
                return Ok(None);
            }
            (existing.id, false)
        }
        Err(err) => return Err(err).with_context(|| format!("cannot create {first_sku}")),
    };
    catalog
        .publish(vendor.tenant, id)
        .await
        .with_context(|| format!("cannot publish {first_sku}"))?;
    Ok(created.then_some(stock_items))
}

/// The catalog's draft of a planned product.
fn draft(aisles: &[Vec<ObjectKey>], plan: ProductPlan) -> anyhow::Result<ProductDraft> {
    let category = aisles
        .get(plan.department)
        .and_then(|a| a.get(plan.aisle))
        .context("a planned product is in no known category")?;
    let variants = plan
        .variants
        .into_iter()
        .map(|v| RawVariant {
            sku: v.sku,
            options: vec![("size".into(), v.size.into())],
            price_amount: None,
            initial_stock: Some(v.on_hand),
        })
        .collect();
    Ok(ProductDraft::parse(RawDraft {
        title: plan.title,
        description: plan.description,
        category: Some(category.to_string()),
        price_amount: plan.price,
        currency: "EUR".into(),
        variants,
        ..RawDraft::default()
    })?)
}
