//! Demo data: a platform admin, a customer, three vendors with their owners and
//! stock. Seeding twice changes nothing.

use std::time::Duration;

use souk_identity::domain::{Email, Password, PersonName, RegisterError, Registration};
use souk_identity::{Identity, PgIdentity};
use souk_inventory::domain::{CreateError, NewStockItem, Scope, Sku, Threshold};
use souk_inventory::{Inventory, PgInventory};
use souk_tenants::token::TokenIssuer;
use souk_tenants::vendors::service::{PgTenancy, Tenancy};
use souk_tenants::vendors::{Slug, VendorName};
use souk_tenants::{Role, TenantId};

/// A demo vendor: name, slug, owner email and stock (SKU, on hand, threshold).
struct DemoVendor {
    name: &'static str,
    slug: &'static str,
    owner: &'static str,
    stock: &'static [(&'static str, i64, i64)],
}

const VENDORS: &[DemoVendor] = &[
    DemoVendor {
        name: "Atlas Apparel",
        slug: "atlas-apparel",
        owner: "owner@atlas-apparel.example",
        stock: &[
            ("TEE-BLK-S", 40, 5),
            ("TEE-BLK-M", 55, 5),
            ("TEE-BLK-L", 3, 5),
            ("HOODIE-GRY-M", 12, 4),
        ],
    },
    DemoVendor {
        name: "Bazaar Books",
        slug: "bazaar-books",
        owner: "owner@bazaar-books.example",
        stock: &[
            ("BOOK-ATLAS-01", 8, 2),
            ("BOOK-SPICE-02", 20, 3),
            ("BOOKMARK-07", 300, 50),
        ],
    },
    DemoVendor {
        name: "Cedar Kitchen",
        slug: "cedar-kitchen",
        owner: "owner@cedar-kitchen.example",
        stock: &[
            ("MUG-CEDAR", 25, 5),
            ("TEAPOT-CLAY", 2, 3),
            ("SPICE-SAFFRON-1G", 60, 10),
        ],
    },
];

pub const ADMIN_EMAIL: &str = "admin@souk.example";
pub const CUSTOMER_EMAIL: &str = "customer@souk.example";

/// The services seeding needs.
#[derive(Debug)]
pub struct Seeder {
    pub identity: PgIdentity,
    pub tenancy: PgTenancy,
    pub inventory: PgInventory,
}

/// What seeding left: every demo login, and each vendor's id.
#[derive(Debug)]
pub struct Seeded {
    pub logins: Vec<(&'static str, &'static str)>,
    pub vendors: Vec<(&'static str, TenantId)>,
}

impl Seeder {
    /// Creates whatever demo data is missing; every demo account gets `password`.
    pub async fn seed(&self, password: &str) -> anyhow::Result<Seeded> {
        let admin = self
            .account(ADMIN_EMAIL, "Platform", "Admin", password, true)
            .await?;
        let _ = admin;
        self.account(CUSTOMER_EMAIL, "Amira", "Haddad", password, false)
            .await?;
        let mut logins = vec![
            ("platform admin", ADMIN_EMAIL),
            ("customer", CUSTOMER_EMAIL),
        ];
        let mut vendors = Vec::new();
        for vendor in VENDORS {
            let owner = self
                .account(vendor.owner, "Demo", "Owner", password, false)
                .await?;
            let tenant = match self.tenancy.vendor_by_slug(vendor.slug).await? {
                Some(existing) => existing.id,
                None => {
                    self.tenancy
                        .register_vendor(
                            owner,
                            VendorName::parse(vendor.name)?,
                            Slug::parse(vendor.slug)?,
                        )
                        .await?
                        .id
                }
            };
            self.stock(tenant, vendor.stock).await?;
            logins.push((vendor.name, vendor.owner));
            vendors.push((vendor.name, tenant));
        }
        Ok(Seeded { logins, vendors })
    }

    async fn account(
        &self,
        email: &str,
        first: &str,
        last: &str,
        password: &str,
        platform_admin: bool,
    ) -> anyhow::Result<uuid::Uuid> {
        let email = Email::parse(email)?;
        let registration = Registration {
            password: Password::parse(password, &email)?,
            email: email.clone(),
            first_name: PersonName::parse(first)?,
            last_name: PersonName::parse(last)?,
            phone: None,
        };
        match self
            .identity
            .create_account(registration, platform_admin)
            .await
        {
            Ok(user) => Ok(user.id.0),
            Err(RegisterError::EmailTaken) => Ok(self
                .identity
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{email} vanished"))?
                .id
                .0),
            Err(err) => Err(err.into()),
        }
    }

    async fn stock(&self, tenant: TenantId, stock: &[(&str, i64, i64)]) -> anyhow::Result<()> {
        let scope = Scope {
            tenant,
            actor: "system:demo-seed".into(),
        };
        for (sku, on_hand, threshold) in stock {
            let item = NewStockItem {
                sku: Sku::parse(sku)?,
                on_hand: Threshold::parse(*on_hand)?,
                reorder_threshold: Threshold::parse(*threshold)?,
            };
            match self.inventory.create_item(&scope, item).await {
                Ok(_) | Err(CreateError::DuplicateSku(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }
}

/// An owner token for each demo vendor, valid for `ttl` (a shortcut past
/// signing in and selecting the vendor).
pub fn vendor_tokens(
    issuer: &TokenIssuer,
    seeded: &Seeded,
    ttl: Duration,
) -> anyhow::Result<Vec<(String, String)>> {
    seeded
        .vendors
        .iter()
        .map(|(name, tenant)| {
            let token = issuer.issue("demo-owner", Some(*tenant), Role::Owner, ttl)?;
            Ok((format!("{name} (owner)"), token))
        })
        .collect()
}
