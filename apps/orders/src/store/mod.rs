//! Order and checkout documents.

pub mod checkouts;
pub mod document;
pub mod events;
pub mod orders;
pub mod steps;

pub use souk_tenants::mongo::{to_bson, to_chrono};

/// Creates the orders' indexes (idempotent). Tenant indexes start with
/// `tenant_id`; the customer's own view has an index on customer and time.
pub async fn create_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    use mongodb::bson::{doc, Document};
    use mongodb::options::IndexOptions;
    use mongodb::IndexModel;
    let index = |keys: Document, name: &str| {
        IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_string()).build())
            .build()
    };
    db.collection::<Document>(orders::COLLECTION)
        .create_indexes([
            index(
                doc! { "tenant_id": 1, "created_at": -1, "_id": -1 },
                "tenant_created",
            ),
            index(
                doc! { "tenant_id": 1, "status": 1, "created_at": -1 },
                "tenant_status_created",
            ),
            index(
                doc! { "customer_id": 1, "created_at": -1, "_id": -1 },
                "customer_created",
            ),
            index(
                doc! { "status": 1, "reserved": 1, "created_at": 1 },
                "saga_repair",
            ),
            index(doc! { "step_at": 1 }, "stock_steps"),
            // A checkout's orders, for its emails.
            index(
                doc! { "customer_id": 1, "checkout_id": 1 },
                "customer_checkout",
            ),
        ])
        .await?;
    // A checkout by its id, for its emails.
    db.collection::<Document>(checkouts::COLLECTION)
        .create_index(index(doc! { "checkout_id": 1 }, "checkout_id"))
        .await?;
    db.collection::<Document>(events::COLLECTION)
        .create_indexes([
            IndexModel::builder()
                .keys(doc! { "tenant_id": 1, "order_id": 1, "seq": 1 })
                .options(
                    IndexOptions::builder()
                        .name("tenant_order_seq".to_string())
                        .unique(true)
                        .build(),
                )
                .build(),
            index(
                doc! { "sent_at": 1, "lease_until": 1, "created_at": 1 },
                "relay_unsent",
            ),
        ])
        .await?;
    Ok(())
}
