use souk_inventory::domain::{
    NewStockItem, OrderId, Quantity, ReservationLine, ReservationRequest, Sku, Threshold, Ttl,
};
use souk_inventory::{Inventory, PgInventory};
use souk_migrations::testing::TestDatabase;
use souk_tenants::Scope;
use souk_tenants::TenantId;

pub struct Fixture {
    pub db: TestDatabase,
    pub inventory: PgInventory,
    pub tenant: TenantId,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_pool(10).await
    }

    pub async fn with_pool(connections: u32) -> Self {
        let db = TestDatabase::with_app_pool_size(connections).await;
        let inventory = PgInventory::new(
            db.app.clone(),
            souk_tenants::PlatformPool::new(db.platform.clone()),
        );
        Self {
            db,
            inventory,
            tenant: TenantId::generate(),
        }
    }

    pub fn scope(&self) -> Scope {
        scope(self.tenant)
    }

    pub async fn stock(&self, sku_raw: &str, on_hand: i64) {
        self.stock_in(self.tenant, sku_raw, on_hand).await;
    }

    pub async fn stock_in(&self, tenant: TenantId, sku_raw: &str, on_hand: i64) {
        self.inventory
            .create_item(
                &scope(tenant),
                NewStockItem {
                    sku: sku(sku_raw),
                    on_hand: Threshold::parse(on_hand).expect("on hand"),
                    reorder_threshold: Threshold::parse(0).expect("threshold"),
                },
            )
            .await
            .expect("create stock item");
    }

    pub async fn available(&self, sku_raw: &str) -> i64 {
        self.inventory
            .item(self.tenant, &sku(sku_raw))
            .await
            .expect("read")
            .expect("exists")
            .available()
    }

    /// Every stock row agrees with its ledger and reservations.
    pub async fn assert_reconciled(&self) {
        let found = self.inventory.audit(self.tenant).await.expect("audit");
        assert!(found.is_empty(), "discrepancies: {found:#?}");
    }
}

pub fn scope(tenant: TenantId) -> Scope {
    Scope {
        tenant,
        actor: "test".into(),
    }
}

pub fn sku(raw: &str) -> Sku {
    Sku::parse(raw).expect("valid sku")
}

pub fn order(raw: &str) -> OrderId {
    OrderId::parse(raw).expect("valid order id")
}

pub fn request(order_id: &str, lines: &[(&str, i64)], ttl: Ttl) -> ReservationRequest {
    ReservationRequest::new(
        order(order_id),
        lines
            .iter()
            .map(|(s, q)| ReservationLine {
                sku: sku(s),
                quantity: Quantity::parse(*q).expect("quantity"),
            })
            .collect(),
        ttl,
    )
    .expect("valid request")
}
