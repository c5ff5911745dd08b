//! Demo data: a platform admin, a customer, three vendors with their owners and
//! stock. Seeding twice changes nothing.

use std::time::Duration;

mod orders;

use souk_catalog::domain::{ObjectKey, ProductDraft, RawDraft, RawVariant};
use souk_catalog::{Catalog, MongoCatalog};
use souk_identity::domain::{Email, Password, PersonName, RegisterError, Registration};
use souk_identity::{Identity, PgIdentity};
use souk_inventory::domain::{
    CreateError, LocationChange, LocationCode, LocationName, NewLocation, NewStockItem, Quantity,
    Reason, Sku, Threshold, Transfer,
};
use souk_inventory::{Inventory, PgInventory, StockLocations};
use souk_orders::MongoOrders;
use souk_tenants::token::TokenIssuer;
use souk_tenants::Scope;
use souk_tenants::{Role, TenantId};
use souk_vendors::service::{PgTenancy, Tenancy};
use souk_vendors::{Slug, VendorName};

/// A demo vendor: name, slug, owner email, stock (SKU, on hand, threshold) and
/// products (title, category, price in cents, the SKUs of its variants).
struct DemoVendor {
    name: &'static str,
    slug: &'static str,
    owner: &'static str,
    stock: &'static [(&'static str, i64, i64)],
    products: &'static [(&'static str, &'static str, i64, &'static [&'static str])],
    /// A second warehouse: its code, its name and the stock moved there (SKU,
    /// units) from the default location, which the demo renames.
    warehouse: Option<Warehouse>,
}

struct Warehouse {
    main: &'static str,
    code: &'static str,
    name: &'static str,
    stock: &'static [(&'static str, i64)],
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
        products: &[
            (
                "Black organic tee",
                "Apparel",
                2400,
                &["TEE-BLK-S", "TEE-BLK-M", "TEE-BLK-L"],
            ),
            ("Grey hoodie", "Apparel", 5900, &["HOODIE-GRY-M"]),
        ],
        warehouse: Some(Warehouse {
            main: "Casablanca warehouse",
            code: "rabat",
            name: "Rabat warehouse",
            stock: &[("TEE-BLK-M", 25), ("HOODIE-GRY-M", 10)],
        }),
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
        products: &[
            ("An atlas of markets", "Books", 3200, &["BOOK-ATLAS-01"]),
            ("The spice road cookbook", "Books", 2800, &["BOOK-SPICE-02"]),
            ("Brass bookmark", "Books", 600, &["BOOKMARK-07"]),
        ],
        warehouse: None,
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
        products: &[
            ("Cedar mug", "Kitchen", 1500, &["MUG-CEDAR"]),
            ("Clay teapot", "Kitchen", 4500, &["TEAPOT-CLAY"]),
            ("Saffron, 1 g", "Kitchen", 900, &["SPICE-SAFFRON-1G"]),
        ],
        warehouse: None,
    },
];

/// A 960 × 720 PNG for a demo product: a diagonal wash in a colour of its own,
/// with a lighter disc, so that every product looks different.
pub fn picture(title: &str) -> Vec<u8> {
    let seed = title.bytes().fold(2_166_136_261_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    });
    let [r, g, b, _] = seed.to_le_bytes();
    let (w, h) = (960_u32, 720_u32);
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        let shade = (x + y) * 96 / (w + h);
        let (dx, dy) = (i64::from(x) - 480, i64::from(y) - 360);
        let disc = dx * dx + dy * dy < 200 * 200;
        let lift = |c: u8| {
            let base = u32::from(c / 2 + 64) + shade;
            let lifted = if disc { base + 60 } else { base };
            u8::try_from(lifted.min(255)).unwrap_or(255)
        };
        image::Rgb([lift(r), lift(g), lift(b)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    // Encoding an in-memory RGB image as PNG cannot fail but for memory.
    let _ = image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

pub const ADMIN_EMAIL: &str = "admin@souk.example";
pub const CUSTOMER_EMAIL: &str = "customer@souk.example";

/// The services seeding needs.
#[derive(Debug)]
pub struct Seeder {
    pub identity: PgIdentity,
    pub tenancy: PgTenancy,
    pub inventory: PgInventory,
    pub catalog: MongoCatalog,
    pub orders: MongoOrders,
    /// Pays the demo's orders (the test provider); without it they stay pending.
    pub payments: Option<souk_payments::Payments>,
    /// Gives each demo product a picture (drawn here, at seed time).
    pub media: Option<souk_media::PgMedia>,
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
        let customer = self
            .account(CUSTOMER_EMAIL, "Amira", "Haddad", password, false)
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
            if let Some(warehouse) = &vendor.warehouse {
                self.warehouse(tenant, warehouse).await?;
            }
            self.products(tenant, vendor.products).await?;
            logins.push((vendor.name, vendor.owner));
            vendors.push((vendor.name, tenant));
        }
        self.orders(customer, &vendors).await?;
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
        ensure_account(
            &self.identity,
            email,
            (first, last),
            password,
            platform_admin,
        )
        .await
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

impl Seeder {
    /// The vendor's second warehouse and the stock moved there, unless it has it.
    async fn warehouse(&self, tenant: TenantId, warehouse: &Warehouse) -> anyhow::Result<()> {
        let scope = Scope {
            tenant,
            actor: "system:demo-seed".into(),
        };
        let locations = self.inventory.locations(tenant, true).await?;
        if locations.iter().any(|l| l.code == warehouse.code) {
            return Ok(());
        }
        let Some(main) = locations.iter().find(|l| l.is_default) else {
            anyhow::bail!("the vendor has no default location");
        };
        let change = LocationChange {
            name: Some(LocationName::parse(warehouse.main)?),
            ..LocationChange::default()
        };
        self.inventory
            .update_location(&scope, main.id, change)
            .await?;
        let second = NewLocation {
            code: LocationCode::parse(warehouse.code)?,
            name: LocationName::parse(warehouse.name)?,
            address: None,
            ships: true,
        };
        let second = self.inventory.create_location(&scope, second).await?;
        for (sku, units) in warehouse.stock {
            let transfer = Transfer {
                sku: Sku::parse(sku)?,
                from: main.id,
                to: second.id,
                quantity: Quantity::parse(*units)?,
                reason: Reason::parse("opening stock of the second warehouse")?,
            };
            self.inventory.transfer(&scope, transfer).await?;
        }
        Ok(())
    }

    /// The vendor's demo products, published, unless it has products already.
    async fn products(
        &self,
        tenant: TenantId,
        products: &[(&str, &str, i64, &[&str])],
    ) -> anyhow::Result<()> {
        if !self
            .catalog
            .vendor_products(tenant, None, None, None, 1)
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let scope = Scope {
            tenant,
            actor: "system:demo-seed".into(),
        };
        for (title, category, price, skus) in products {
            let category = self.category(category).await?;
            let draft = ProductDraft::parse(RawDraft {
                title: (*title).into(),
                description: format!("{title}, from the Souk demo."),
                category: Some(category.to_string()),
                price_amount: *price,
                currency: "EUR".into(),
                variants: skus
                    .iter()
                    .map(|sku| RawVariant {
                        sku: (*sku).into(),
                        ..RawVariant::default()
                    })
                    .collect(),
                ..RawDraft::default()
            })?;
            let product = self.catalog.create_product(&scope, draft).await?;
            self.catalog.publish(tenant, product.id).await?;
            if let Some(media) = &self.media {
                use souk_media::Media as _;
                media
                    .upload(
                        tenant,
                        souk_media::service::Upload {
                            product: &product.id.to_string(),
                            variant_sku: None,
                            alt: title,
                            bytes: picture(title),
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// The top-level category called `name`, created when missing.
    async fn category(&self, name: &str) -> anyhow::Result<ObjectKey> {
        let existing = self.catalog.categories().await?;
        if let Some((category, _)) = existing
            .iter()
            .find(|(c, _)| c.name == name && c.parent.is_none())
        {
            return Ok(category.id);
        }
        Ok(self.catalog.create_category(name, None).await?.id)
    }
}

/// The id of the account with `email`, created (with `password`) when missing.
pub(crate) async fn ensure_account(
    identity: &PgIdentity,
    email: &str,
    (first, last): (&str, &str),
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
    match identity.create_account(registration, platform_admin).await {
        Ok(user) => Ok(user.id.0),
        Err(RegisterError::EmailTaken) => Ok(identity
            .user_by_email(&email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{email} vanished"))?
            .id
            .0),
        Err(err) => Err(err.into()),
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
