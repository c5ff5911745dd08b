//! The orders as the worker's emails read them: a platform job that reads across
//! tenants, as the relay and the reconciler do, and never writes.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Database;
use uuid::Uuid;

use crate::domain::{InternalError, Order};
use crate::store::{checkouts, orders};

/// A checkout as its emails see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    /// `started` (placing its orders, or stopped half-way), `completed`, or
    /// `failed` (refused for short stock); `None` once a checkout that failed
    /// otherwise gave its key back.
    pub status: Option<String>,
    /// The orders a completed checkout placed.
    pub placed: Vec<String>,
    /// Every order of it (one per vendor), oldest first.
    pub orders: Vec<Order>,
}

/// The customer's checkout `checkout`.
pub async fn checkout(
    db: &Database,
    customer: &str,
    checkout: &str,
) -> Result<Checkout, InternalError> {
    let prefix = format!("{customer}:");
    let found = db
        .collection::<Document>(checkouts::COLLECTION)
        .find_one(doc! { "checkout_id": checkout })
        .await?
        .filter(|c| c.get_str("_id").is_ok_and(|id| id.starts_with(&prefix)));
    let placed = found
        .as_ref()
        .and_then(|c| c.get_array("orders").ok())
        .map(|ids| {
            ids.iter()
                .filter_map(mongodb::bson::Bson::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Checkout {
        status: found.and_then(|c| c.get_str("status").ok().map(str::to_string)),
        placed,
        orders: checkout_orders(db, customer, checkout).await?,
    })
}

async fn checkout_orders(
    db: &Database,
    customer: &str,
    checkout: &str,
) -> Result<Vec<Order>, InternalError> {
    let found: Vec<Document> = db
        .collection::<Document>(orders::COLLECTION)
        .find(doc! { "customer_id": customer, "checkout_id": checkout })
        .sort(doc! { "created_at": 1, "_id": 1 })
        .await?
        .try_collect()
        .await?;
    found.iter().map(orders::from_document).collect()
}

/// One order of `tenant`; `None` when there is none with that id.
pub async fn order(db: &Database, tenant: Uuid, id: &str) -> Result<Option<Order>, InternalError> {
    let Ok(id) = ObjectId::parse_str(id) else {
        return Ok(None);
    };
    let found = db
        .collection::<Document>(orders::COLLECTION)
        .find_one(doc! { "_id": id, "tenant_id": tenant.to_string() })
        .await?;
    found.as_ref().map(orders::from_document).transpose()
}
