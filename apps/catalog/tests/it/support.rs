use std::sync::Arc;

use souk_catalog::domain::{ProductDraft, RawDraft, RawVariant};
use souk_catalog::listings::PgListings;
use souk_catalog::MongoCatalog;
use souk_inventory::PgInventory;
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_tenants::{PlatformPool, Scope, TenantId};
use souk_vendors::service::{PgTenancy, Tenancy};
use souk_vendors::{Slug, VendorName};
use uuid::Uuid;

pub struct Fixture {
    pub _db: TestDatabase,
    pub _mongo: TestMongo,
    pub catalog: MongoCatalog,
    pub inventory: Arc<PgInventory>,
    pub tenancy: Arc<PgTenancy>,
}

impl Fixture {
    pub async fn new() -> Self {
        let db = TestDatabase::create().await;
        let mongo = TestMongo::create();
        let client = mongodb::Client::with_uri_str(&mongo.url)
            .await
            .expect("a MongoDB client");
        let database = client.database(&mongo.name);
        MongoCatalog::create_indexes(&database)
            .await
            .expect("catalog indexes");
        let platform = PlatformPool::new(db.platform.clone());
        let inventory = Arc::new(PgInventory::new(db.app.clone(), platform.clone()));
        let tenancy = Arc::new(PgTenancy::new(db.app.clone(), platform.clone(), false));
        let catalog = MongoCatalog::new(
            database,
            inventory.clone(),
            tenancy.clone(),
            PgListings::new(db.app.clone(), platform),
        );
        Self {
            _db: db,
            _mongo: mongo,
            catalog,
            inventory,
            tenancy,
        }
    }

    /// A new active vendor.
    pub async fn vendor(&self, slug: &str) -> TenantId {
        self.tenancy
            .register_vendor(
                Uuid::new_v4(),
                VendorName::parse(slug).expect("name"),
                Slug::parse(slug).expect("slug"),
            )
            .await
            .expect("register vendor")
            .id
    }

    pub async fn available(&self, tenant: TenantId, sku: &str) -> Option<i64> {
        use souk_inventory::Inventory;
        self.inventory
            .item(
                tenant,
                &souk_inventory::domain::Sku::parse(sku).expect("sku"),
            )
            .await
            .expect("read stock")
            .map(|item| item.available())
    }
}

pub fn scope(tenant: TenantId) -> Scope {
    Scope {
        tenant,
        actor: "test".into(),
    }
}

pub fn raw(title: &str, skus: &[(&str, i64)]) -> RawDraft {
    RawDraft {
        title: title.into(),
        description: format!("{title}, described"),
        price_amount: 1999,
        currency: "EUR".into(),
        variants: skus
            .iter()
            .map(|(sku, stock)| RawVariant {
                sku: (*sku).into(),
                initial_stock: Some(*stock),
                ..RawVariant::default()
            })
            .collect(),
        ..RawDraft::default()
    }
}

pub fn draft(title: &str, skus: &[(&str, i64)]) -> ProductDraft {
    ProductDraft::parse(raw(title, skus)).expect("a valid draft")
}
