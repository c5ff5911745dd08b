use souk_migrations::testing::TestDatabase;
use souk_tenants::{PlatformPool, Role, TenantId, VendorActor};
use souk_vendors::service::{PgTenancy, Tenancy};
use souk_vendors::{Slug, Vendor, VendorName};
use uuid::Uuid;

pub struct Fixture {
    pub _db: TestDatabase,
    pub tenancy: PgTenancy,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_approval(false).await
    }

    pub async fn with_approval(approval_required: bool) -> Self {
        let db = TestDatabase::create().await;
        let tenancy = PgTenancy::new(
            db.app.clone(),
            PlatformPool::new(db.platform.clone()),
            approval_required,
        );
        Self { _db: db, tenancy }
    }

    /// A new vendor and its founding owner.
    pub async fn vendor(&self, slug: &str) -> (Vendor, VendorActor) {
        let founder = Uuid::new_v4();
        let vendor = self
            .tenancy
            .register_vendor(
                founder,
                VendorName::parse(slug).expect("name"),
                Slug::parse(slug).expect("slug"),
            )
            .await
            .expect("register vendor");
        let owner = actor(vendor.id, founder, Role::Owner);
        (vendor, owner)
    }

    /// Adds a new person with `role` to the owner's vendor.
    pub async fn member(&self, owner: &VendorActor, role: Role) -> VendorActor {
        let user = Uuid::new_v4();
        self.tenancy
            .add_member(owner, user, role)
            .await
            .expect("add member");
        actor(owner.tenant, user, role)
    }
}

pub fn actor(tenant: TenantId, user: Uuid, role: Role) -> VendorActor {
    VendorActor {
        tenant,
        subject: user.to_string(),
        role,
    }
}

pub fn user_of(actor: &VendorActor) -> Uuid {
    Uuid::parse_str(&actor.subject).expect("a user id")
}
