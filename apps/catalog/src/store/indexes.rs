//! The catalog's indexes, created by `souk migrate` (idempotently: creating an
//! index that exists with the same keys and options is a no-op). Every index of
//! the tenant collection starts with `tenant_id`, the shard key.

use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use super::{categories, products};

fn index(keys: Document, name: &str, unique: bool) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_string())
                .unique(unique)
                .build(),
        )
        .build()
}

pub async fn create(db: &Database) -> Result<(), mongodb::error::Error> {
    let products = db.collection::<Document>(products::COLLECTION);
    products
        .create_indexes([
            index(
                doc! { "tenant_id": 1, "_id": 1 },
                "tenant_id_1__id_1",
                false,
            ),
            index(
                doc! { "tenant_id": 1, "variants.sku": 1 },
                "tenant_sku_unique",
                true,
            ),
            index(
                doc! { "tenant_id": 1, "status": 1, "created_at": -1 },
                "tenant_status_created",
                false,
            ),
            index(
                doc! { "tenant_id": 1, "category_id": 1 },
                "tenant_category",
                false,
            ),
            // The storefront projector reads the changes of every tenant in
            // order (on a sharded cluster, from every shard).
            index(doc! { "updated_at": 1, "_id": 1 }, "updated", false),
        ])
        .await?;
    let categories = db.collection::<Document>(categories::COLLECTION);
    categories
        .create_indexes([index(
            doc! { "parent_id": 1, "name": 1 },
            "sibling_names_unique",
            true,
        )])
        .await?;
    Ok(())
}
