use std::sync::Arc;

use souk_catalog::domain::{ObjectKey, ProductDraft, RawDraft, RawVariant};
use souk_catalog::listings::PgListings;
use souk_catalog::{Catalog, MongoCatalog};
use souk_inventory::domain::{Quantity, Sku, Ttl};
use souk_inventory::{Inventory, PgInventory};
use souk_migrations::testing::{TestDatabase, TestMongo};
use souk_orders::domain::{CartLine, ShippingAddress};
use souk_orders::service::CheckoutRequest;
use souk_orders::MongoOrders;
use souk_tenants::{PlatformPool, Scope, TenantId};
use souk_vendors::service::{PgTenancy, Tenancy};
use souk_vendors::{Slug, VendorName};
use uuid::Uuid;

pub struct Fixture {
    pub _db: TestDatabase,
    pub _mongo: TestMongo,
    pub orders: MongoOrders,
    pub catalog: Arc<MongoCatalog>,
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
        souk_orders::create_indexes(&database)
            .await
            .expect("order indexes");
        let platform = PlatformPool::new(db.platform.clone());
        let inventory = Arc::new(PgInventory::new(db.app.clone(), platform.clone()));
        let tenancy = Arc::new(PgTenancy::new(db.app.clone(), platform.clone(), false));
        let catalog = Arc::new(MongoCatalog::new(
            database.clone(),
            inventory.clone(),
            tenancy.clone(),
            PgListings::new(db.app.clone(), platform),
        ));
        let orders = MongoOrders::new(
            database,
            catalog.clone(),
            inventory.clone(),
            Ttl::parse_seconds(900).expect("ttl"),
        );
        Self {
            _db: db,
            _mongo: mongo,
            orders,
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

    /// A published product of `tenant` with one variant `sku` and `stock` units.
    pub async fn product(&self, tenant: TenantId, sku: &str, stock: i64) -> ObjectKey {
        let draft = ProductDraft::parse(RawDraft {
            title: format!("Product {sku}"),
            price_amount: 1250,
            currency: "EUR".into(),
            variants: vec![RawVariant {
                sku: sku.into(),
                initial_stock: Some(stock),
                ..RawVariant::default()
            }],
            ..RawDraft::default()
        })
        .expect("draft");
        let scope = Scope {
            tenant,
            actor: "test".into(),
        };
        let product = self
            .catalog
            .create_product(&scope, draft)
            .await
            .expect("create product");
        self.catalog
            .publish(tenant, product.id)
            .await
            .expect("publish")
            .id
    }

    pub async fn available(&self, tenant: TenantId, sku: &str) -> i64 {
        self.inventory
            .item(tenant, &Sku::parse(sku).expect("sku"))
            .await
            .expect("read stock")
            .expect("a stock item")
            .available()
    }
}

pub fn line(product: ObjectKey, sku: &str, quantity: i64) -> CartLine {
    CartLine {
        product,
        sku: Sku::parse(sku).expect("sku"),
        quantity: Quantity::parse(quantity).expect("quantity"),
    }
}

pub fn request(customer: &str, key: &str, lines: Vec<CartLine>) -> CheckoutRequest {
    CheckoutRequest {
        customer: customer.into(),
        lines,
        shipping: ShippingAddress {
            recipient: "Ada Lovelace".into(),
            line1: "1 Analytical Row".into(),
            line2: None,
            city: "London".into(),
            region: None,
            postal_code: "NW1 6XE".into(),
            country: "GB".into(),
        },
        idempotency_key: key.into(),
        payment_method: souk_orders::domain::PaymentMethod::Card,
        manual_vendors: Vec::new(),
    }
}
