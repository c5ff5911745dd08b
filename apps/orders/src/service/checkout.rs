//! Checkout: one idempotency key per customer and cart. The first call claims the
//! key, prices the cart and runs the saga; a retry with the same key and cart gets
//! the same answer, a retry with another cart is refused, and a claim left
//! half-way long ago is settled from its orders.

use chrono::Utc;
use mongodb::bson::oid::ObjectId;
use sha2::{Digest, Sha256};
use souk_inventory::domain::Shortage;
use souk_tenants::IntErr;

use super::{CheckoutRequest, MongoOrders};
use crate::domain::{CheckoutError, Order, PaymentMethod};
use crate::store::checkouts::{self, Earlier};
use crate::store::orders;

/// How old a claimed, unfinished checkout must be before a retry with its key
/// settles it from its orders (the reconciler repairs stalled orders within a
/// minute by default).
const STALE_CLAIM: chrono::Duration = chrono::Duration::minutes(5);

/// The canonical text of a checkout's content, for idempotency.
fn fingerprint(request: &CheckoutRequest) -> String {
    let mut lines: Vec<String> = request
        .lines
        .iter()
        .map(|l| format!("{}/{}/{}", l.product, l.sku, l.quantity.get()))
        .collect();
    lines.sort();
    let s = &request.shipping;
    let text = format!(
        "{}|{}|{}|{:?}|{}|{:?}|{}|{}",
        lines.join(","),
        s.recipient,
        s.line1,
        s.line2,
        s.city,
        s.region,
        s.postal_code,
        s.country
    );
    // A card checkout's text is what it was before checkouts chose a method.
    let text = match request.payment_method {
        PaymentMethod::Card => text,
        PaymentMethod::Manual => format!("{text}|manual"),
    };
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn shortages_json(shortages: &[Shortage]) -> String {
    serde_json::Value::Array(
        shortages
            .iter()
            .map(|s| serde_json::json!({ "sku": s.sku.as_str(), "requested": s.requested, "available": s.available }))
            .collect(),
    )
    .to_string()
}

fn shortages_from_json(raw: &str) -> Vec<Shortage> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap_or_default();
    parsed
        .iter()
        .filter_map(|v| {
            Some(Shortage {
                sku: souk_inventory::domain::Sku::parse(v["sku"].as_str()?).ok()?,
                requested: v["requested"].as_i64()?,
                available: v["available"].as_i64()?,
            })
        })
        .collect()
}

impl MongoOrders {
    /// One order per vendor, each with its stock reserved, or nothing reserved.
    pub(super) async fn check_out(
        &self,
        request: CheckoutRequest,
    ) -> Result<Vec<Order>, CheckoutError> {
        Self::validate(&request)?;
        let payload = fingerprint(&request);
        let checkout = ObjectId::new().to_hex();
        let key = request.idempotency_key.trim();
        if let Some(earlier) = checkouts::claim(
            &self.checkouts(),
            &request.customer,
            key,
            &payload,
            &checkout,
        )
        .await?
        {
            return self.replay(earlier, &payload, request).await;
        }
        let placed = match self.price(&request, &checkout).await {
            Ok(placed) => placed,
            Err(err) => {
                // Nothing was written: the key may be used again.
                checkouts::forget(&self.checkouts(), &request.customer, key).await?;
                return Err(err);
            }
        };
        match self.place(&placed).await {
            Ok(()) => {}
            Err(CheckoutError::Insufficient(shortages)) => {
                let failure = shortages_json(&shortages);
                checkouts::fail(&self.checkouts(), &request.customer, key, &failure).await?;
                return Err(CheckoutError::Insufficient(shortages));
            }
            Err(err) => {
                self.give_back(&placed, &request.customer, key).await;
                return Err(err);
            }
        }
        let ids: Vec<String> = placed.iter().map(|o| o.id.to_string()).collect();
        checkouts::complete(&self.checkouts(), &request.customer, key, &ids).await?;
        Ok(placed
            .into_iter()
            .map(|mut order| {
                order.reserved = true;
                order
            })
            .collect())
    }

    /// The answer to a retry whose key was claimed before.
    async fn replay(
        &self,
        earlier: Earlier,
        payload: &str,
        request: CheckoutRequest,
    ) -> Result<Vec<Order>, CheckoutError> {
        let key = request.idempotency_key.trim();
        match earlier {
            Earlier::Started { payload: p, .. }
            | Earlier::Completed { payload: p, .. }
            | Earlier::Failed { payload: p, .. }
                if p != payload =>
            {
                Err(CheckoutError::IdempotencyConflict)
            }
            Earlier::Completed { orders: ids, .. } => self.orders_by_ids(&ids).await,
            Earlier::Failed { failure, .. } => {
                Err(CheckoutError::Insufficient(shortages_from_json(&failure)))
            }
            Earlier::Started {
                checkout_id, since, ..
            } if Utc::now() - since > STALE_CLAIM => {
                match self.recover(&request.customer, key, &checkout_id).await? {
                    Some(ids) => self.orders_by_ids(&ids).await,
                    // Nothing of it stands: the key is free again.
                    None => Box::pin(self.check_out(request)).await,
                }
            }
            Earlier::Started { .. } => Err(CheckoutError::InProgress),
        }
    }

    async fn orders_by_ids(&self, ids: &[String]) -> Result<Vec<Order>, CheckoutError> {
        let mut found = Vec::new();
        for id in ids {
            let id = ObjectId::parse_str(id).int_err()?;
            if let Some(order) = orders::get_any(&self.collection(), id).await? {
                found.push(order);
            }
        }
        Ok(found)
    }

    /// Settles a claim whose checkout stopped half-way long ago: once the
    /// reconciler has reserved its orders, the claim completes with them; when
    /// none stands (never written, or all cancelled), the key is given back.
    /// Orders still being repaired keep it in progress.
    async fn recover(
        &self,
        customer: &str,
        key: &str,
        checkout_id: &str,
    ) -> Result<Option<Vec<String>>, CheckoutError> {
        let placed = checkouts::orders_of(&self.collection(), customer, checkout_id).await?;
        let standing: Vec<_> = placed
            .iter()
            .filter(|(_, status, _)| status != "cancelled" && status != "expired")
            .collect();
        if standing.is_empty() {
            checkouts::forget(&self.checkouts(), customer, key).await?;
            return Ok(None);
        }
        if standing
            .iter()
            .any(|(_, status, reserved)| status == "pending" && !reserved)
        {
            return Err(CheckoutError::InProgress);
        }
        let ids: Vec<String> = standing.iter().map(|(id, _, _)| id.clone()).collect();
        checkouts::complete(&self.checkouts(), customer, key, &ids).await?;
        Ok(Some(ids))
    }

    /// After a checkout failed for a reason other than stock: cancels whatever
    /// of it was written, releases what it holds, and frees its idempotency key,
    /// so a retry with the key gets a real answer. When that fails too, the
    /// claim stays and a later retry settles it from the orders.
    async fn give_back(&self, placed: &[Order], customer: &str, key: &str) {
        for order in placed {
            if let Err(err) = self.undo(order, "checkout failed").await {
                tracing::warn!(order_id = %order.id, error = %err, "could not give back a failed checkout's order");
                return;
            }
        }
        if let Err(err) = checkouts::forget(&self.checkouts(), customer, key).await {
            tracing::warn!(error = %err, "could not free a failed checkout's key");
        }
    }
}
