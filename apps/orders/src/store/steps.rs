//! Stock steps in flight on an order (see [`crate::domain::StockStep`]). While an
//! order holds a step, no other transition can be written; the transition the
//! step leads to ends it ([`super::orders::finish_step`]), a refused step is
//! dropped ([`abandon`]), and the reconciler finishes steps left behind.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Collection;
use souk_tenants::mongo::TenantCollection;

use super::orders::from_document;
use super::to_bson;
use crate::domain::{InternalError, Order, OrderStatus, StockStep};

/// Records that `step` is under way on the order at `from` and `version`;
/// `false` when the order moved on or another step is in flight.
pub async fn begin(
    orders: &TenantCollection,
    id: ObjectId,
    from: OrderStatus,
    version: i64,
    step: StockStep,
) -> Result<bool, InternalError> {
    let done = orders
        .update_one(
            doc! { "_id": id, "status": from.as_str(), "version": version, "step": { "$exists": false } },
            doc! { "$set": { "step": step.as_str(), "step_at": to_bson(Utc::now()) } },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Drops a refused step; the order stays as it was.
pub async fn abandon(
    orders: &TenantCollection,
    id: ObjectId,
    step: StockStep,
) -> Result<(), InternalError> {
    orders
        .update_one(
            doc! { "_id": id, "step": step.as_str() },
            doc! { "$unset": { "step": "", "step_at": "" } },
        )
        .await?;
    Ok(())
}

/// Orders of every tenant whose step began before `before`: a crash stopped them.
pub async fn stalled(
    orders: &Collection<Document>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Order, StockStep)>, InternalError> {
    let cursor = orders
        .find(doc! { "step_at": { "$lt": to_bson(before) } })
        .sort(doc! { "step_at": 1 })
        .limit(limit)
        .await?;
    let docs: Vec<Document> = cursor.try_collect().await?;
    docs.iter()
        .map(|doc| {
            let step = doc
                .get_str("step")
                .ok()
                .and_then(StockStep::parse)
                .ok_or_else(|| InternalError::msg("a stored order has no valid step"))?;
            Ok((from_document(doc)?, step))
        })
        .collect()
}
