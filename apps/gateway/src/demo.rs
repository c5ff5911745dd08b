//! Demo data: three vendors with stock, and tokens to try them with. Seeding twice
//! changes nothing.

use std::time::Duration;

use souk_inventory::domain::{CreateError, NewStockItem, Scope, Sku, Threshold};
use souk_inventory::{Inventory, PgInventory};
use souk_tenants::{Role, TenantId};
use uuid::Uuid;

use souk_tenants::token::TokenIssuer;

/// A demo vendor: a fixed tenant id, a name and its stock (SKU, on hand, reorder
/// threshold).
struct DemoVendor {
    id: Uuid,
    name: &'static str,
    stock: &'static [(&'static str, i64, i64)],
}

const VENDORS: &[DemoVendor] = &[
    DemoVendor {
        id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
        name: "Atlas Apparel",
        stock: &[
            ("TEE-BLK-S", 40, 5),
            ("TEE-BLK-M", 55, 5),
            ("TEE-BLK-L", 3, 5),
            ("HOODIE-GRY-M", 12, 4),
        ],
    },
    DemoVendor {
        id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0002),
        name: "Bazaar Books",
        stock: &[
            ("BOOK-ATLAS-01", 8, 2),
            ("BOOK-SPICE-02", 20, 3),
            ("BOOKMARK-07", 300, 50),
        ],
    },
    DemoVendor {
        id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0003),
        name: "Cedar Kitchen",
        stock: &[
            ("MUG-CEDAR", 25, 5),
            ("TEAPOT-CLAY", 2, 3),
            ("SPICE-SAFFRON-1G", 60, 10),
        ],
    },
];

/// Creates the demo stock that is missing.
pub async fn seed(inventory: &PgInventory) -> anyhow::Result<usize> {
    let mut created = 0;
    for vendor in VENDORS {
        let scope = Scope {
            tenant: TenantId::from_uuid(vendor.id),
            actor: "system:demo-seed".into(),
        };
        for (sku, on_hand, threshold) in vendor.stock {
            let item = NewStockItem {
                sku: Sku::parse(sku)?,
                on_hand: Threshold::parse(*on_hand)?,
                reorder_threshold: Threshold::parse(*threshold)?,
            };
            match inventory.create_item(&scope, item).await {
                Ok(_) => created += 1,
                Err(CreateError::DuplicateSku(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(created)
}

/// Owner tokens for each demo vendor, valid for `ttl`.
pub fn tokens(issuer: &TokenIssuer, ttl: Duration) -> anyhow::Result<Vec<(String, String)>> {
    VENDORS
        .iter()
        .map(|vendor| {
            let token = issuer.issue(
                &format!(
                    "demo-owner-{}",
                    vendor.name.to_lowercase().replace(' ', "-")
                ),
                Some(TenantId::from_uuid(vendor.id)),
                Role::Owner,
                ttl,
            )?;
            Ok((format!("{} (owner)", vendor.name), token))
        })
        .collect()
}
