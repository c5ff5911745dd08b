//! Checkouts: one document per (customer, idempotency key), so that a retried
//! checkout returns what the first one did.

use mongodb::bson::{doc, Bson, Document};
use mongodb::Collection;

use super::to_bson;
use crate::domain::InternalError;

pub const COLLECTION: &str = "checkouts";

/// What happened to an earlier checkout with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// Still running, or stopped half-way (the reconciler repairs its orders):
    /// `since` tells which.
    Started {
        payload: String,
        checkout_id: String,
        since: chrono::DateTime<chrono::Utc>,
    },
    Completed {
        payload: String,
        orders: Vec<String>,
    },
    /// Refused for short stock; `failure` is the JSON of the shortages.
    Failed { payload: String, failure: String },
}

fn key(customer: &str, idempotency_key: &str) -> String {
    format!("{customer}:{idempotency_key}")
}

/// Claims the key; `Some(earlier)` when it was claimed before.
pub async fn claim(
    checkouts: &Collection<Document>,
    customer: &str,
    idempotency_key: &str,
    payload: &str,
    checkout_id: &str,
) -> Result<Option<Earlier>, InternalError> {
    let inserted = checkouts
        .insert_one(doc! {
            "_id": key(customer, idempotency_key),
            "checkout_id": checkout_id,
            "payload": payload,
            "status": "started",
            "created_at": to_bson(chrono::Utc::now()),
        })
        .await;
    match inserted {
        Ok(_) => Ok(None),
        Err(err) if souk_tenants::mongo::is_duplicate_key(&err) => {
            let earlier = checkouts
                .find_one(doc! { "_id": key(customer, idempotency_key) })
                .await?
                .ok_or_else(|| InternalError::msg("a claimed checkout vanished"))?;
            let payload = earlier.get_str("payload").unwrap_or_default().to_string();
            Ok(Some(match earlier.get_str("status").unwrap_or_default() {
                "completed" => Earlier::Completed {
                    payload,
                    orders: earlier
                        .get_array("orders")
                        .map(|a| {
                            a.iter()
                                .filter_map(Bson::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                },
                "failed" => Earlier::Failed {
                    payload,
                    failure: earlier.get_str("failure").unwrap_or_default().to_string(),
                },
                _ => Earlier::Started {
                    payload,
                    checkout_id: earlier
                        .get_str("checkout_id")
                        .unwrap_or_default()
                        .to_string(),
                    since: earlier
                        .get_datetime("created_at")
                        .map(super::to_chrono)
                        .unwrap_or_else(|_| chrono::Utc::now()),
                },
            }))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn complete(
    checkouts: &Collection<Document>,
    customer: &str,
    idempotency_key: &str,
    orders: &[String],
) -> Result<(), InternalError> {
    checkouts
        .update_one(
            doc! { "_id": key(customer, idempotency_key) },
            doc! { "$set": { "status": "completed", "orders": orders } },
        )
        .await?;
    Ok(())
}

pub async fn fail(
    checkouts: &Collection<Document>,
    customer: &str,
    idempotency_key: &str,
    failure: &str,
) -> Result<(), InternalError> {
    checkouts
        .update_one(
            doc! { "_id": key(customer, idempotency_key) },
            doc! { "$set": { "status": "failed", "failure": failure } },
        )
        .await?;
    Ok(())
}

/// The ids of a checkout's orders (across vendors), for a stale claim's repair.
pub async fn orders_of(
    orders: &Collection<Document>,
    customer: &str,
    checkout_id: &str,
) -> Result<Vec<(String, String, bool)>, InternalError> {
    use futures::TryStreamExt;
    let found: Vec<Document> = orders
        .find(doc! { "customer_id": customer, "checkout_id": checkout_id })
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|o| {
            Some((
                o.get_object_id("_id").ok()?.to_hex(),
                o.get_str("status").ok()?.to_string(),
                o.get_bool("reserved").unwrap_or(false),
            ))
        })
        .collect())
}

/// Gives a key back (a checkout refused before anything was written).
pub async fn forget(
    checkouts: &Collection<Document>,
    customer: &str,
    idempotency_key: &str,
) -> Result<(), InternalError> {
    checkouts
        .delete_one(doc! { "_id": key(customer, idempotency_key), "status": "started" })
        .await?;
    Ok(())
}
