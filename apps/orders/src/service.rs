//! The orders boundary and its MongoDB implementation.

use souk_tenants::IntErr;
use souk_tenants::Scope;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use mongodb::bson::{oid::ObjectId, Document};
use mongodb::{Collection, Database};
use sha2::{Digest, Sha256};
use souk_catalog::domain::ObjectKey;
use souk_catalog::Catalog;
use souk_inventory::domain::{
    OrderId, Quantity, ReservationLine, ReservationRequest, ReserveError, Shortage, Ttl,
};
use souk_inventory::Inventory;
use souk_tenants::mongo::TenantCollection;
use souk_tenants::TenantId;
use tracing::instrument;

use crate::domain::{
    CartLine, CheckoutError, InternalError, Order, OrderError, OrderLine, OrderStatus,
    ShippingAddress, Transition, MAX_LINES, MAX_QUANTITY,
};
use crate::store::checkouts::{self, Earlier};
use crate::store::orders::{self, ListFilter};

mod stock;

/// A customer's checkout.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub customer: String,
    pub lines: Vec<CartLine>,
    pub shipping: ShippingAddress,
    pub idempotency_key: String,
}

/// Who changes an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Customer(String),
    Vendor { tenant: TenantId, subject: String },
    Admin(String),
}

impl Actor {
    fn name(&self) -> String {
        match self {
            Actor::Customer(id) => format!("customer:{id}"),
            Actor::Vendor { subject, .. } => format!("user:{subject}"),
            Actor::Admin(id) => format!("admin:{id}"),
        }
    }
}

/// A requested state change.
#[derive(Debug, Clone)]
pub struct Change {
    pub to: OrderStatus,
    pub note: Option<String>,
    /// For refunds of shipped orders: the goods came back, so restock them.
    pub goods_returned: bool,
}

#[async_trait]
pub trait Orders: Send + Sync + 'static {
    /// One order per vendor, each with its stock reserved, or nothing reserved.
    async fn checkout(&self, request: CheckoutRequest) -> Result<Vec<Order>, CheckoutError>;
    async fn change(
        &self,
        actor: &Actor,
        id: ObjectKey,
        change: Change,
    ) -> Result<Order, OrderError>;
    async fn order(&self, actor: &Actor, id: ObjectKey) -> Result<Option<Order>, OrderError>;
    async fn list(
        &self,
        actor: &Actor,
        filter: ListFilter,
        limit: i64,
    ) -> Result<Vec<Order>, OrderError>;
}

impl std::fmt::Debug for dyn Orders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Orders")
    }
}

/// [`Orders`] on MongoDB, reserving through the inventory boundary.
#[derive(Debug, Clone)]
pub struct MongoOrders {
    db: Database,
    catalog: Arc<dyn Catalog>,
    inventory: Arc<dyn Inventory>,
    ttl: Ttl,
}

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> CheckoutError {
    CheckoutError::Invalid {
        code,
        field: field.to_string(),
        message: message.into(),
    }
}

fn order_id(order: &Order) -> Result<OrderId, InternalError> {
    OrderId::parse(&order.id.to_string()).map_err(|e| InternalError::msg(e.0))
}

/// The reservation request for an order's lines.
/// How old a claimed, unfinished checkout must be before a retry with its key
/// settles it from its orders (the reconciler repairs stalled orders within a
/// minute by default).
const STALE_CLAIM: chrono::Duration = chrono::Duration::minutes(5);

pub(crate) fn reservation(order: &Order, ttl: Ttl) -> Result<ReservationRequest, InternalError> {
    let lines = order
        .lines
        .iter()
        .map(|l| {
            Ok(ReservationLine {
                sku: l.sku.clone(),
                quantity: Quantity::parse(l.quantity).map_err(|e| InternalError::msg(e.0))?,
            })
        })
        .collect::<Result<Vec<_>, InternalError>>()?;
    ReservationRequest::new(order_id(order)?, lines, ttl).map_err(|e| InternalError::msg(e.0))
}

pub(crate) fn saga_scope(order: &Order) -> Scope {
    Scope {
        tenant: order.tenant,
        actor: format!("order:{}", order.checkout),
    }
}

/// The canonical text of a checkout's content, for idempotency.
fn fingerprint(request: &CheckoutRequest) -> String {
    let mut lines: Vec<String> = request
        .lines
        .iter()
        .map(|l| format!("{}/{}/{}", l.product, l.sku, l.quantity))
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
    pub fn new(
        db: Database,
        catalog: Arc<dyn Catalog>,
        inventory: Arc<dyn Inventory>,
        ttl: Ttl,
    ) -> Self {
        Self {
            db,
            catalog,
            inventory,
            ttl,
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

    pub(crate) fn collection(&self) -> Collection<Document> {
        self.db.collection(orders::COLLECTION)
    }

    fn checkouts(&self) -> Collection<Document> {
        self.db.collection(checkouts::COLLECTION)
    }

    pub(crate) fn scoped(&self, tenant: TenantId) -> TenantCollection {
        TenantCollection::new(self.collection(), tenant)
    }

    pub(crate) fn inventory(&self) -> &Arc<dyn Inventory> {
        &self.inventory
    }

    pub(crate) fn ttl(&self) -> Ttl {
        self.ttl
    }

    fn validate(request: &CheckoutRequest) -> Result<(), CheckoutError> {
        if request.lines.is_empty() || request.lines.len() > MAX_LINES {
            return Err(invalid(
                "INVALID_ARGUMENT",
                "lines",
                format!("a checkout has 1 to {MAX_LINES} lines"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for line in &request.lines {
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(invalid(
                    "INVALID_QUANTITY",
                    "lines.quantity",
                    format!("a quantity is 1 to {MAX_QUANTITY}, got {}", line.quantity),
                ));
            }
            if !seen.insert((line.product, line.sku.clone())) {
                return Err(invalid(
                    "INVALID_ARGUMENT",
                    "lines",
                    format!("{} is listed twice", line.sku),
                ));
            }
        }
        let key = request.idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(invalid(
                "INVALID_ARGUMENT",
                "idempotencyKey",
                "1 to 100 characters",
            ));
        }
        Ok(())
    }

    /// The checkout's orders, one per vendor, priced from the catalog now.
    async fn price(
        &self,
        request: &CheckoutRequest,
        checkout: &str,
    ) -> Result<Vec<Order>, CheckoutError> {
        // Every product of the cart in one catalog read.
        let ids: Vec<ObjectKey> = request.lines.iter().map(|l| l.product).collect();
        let for_sale = self.catalog.public_products(&ids).await.int_err()?;
        let mut by_vendor: BTreeMap<TenantId, Vec<OrderLine>> = BTreeMap::new();
        for line in &request.lines {
            let product = for_sale
                .iter()
                .find(|p| p.id == line.product)
                .ok_or_else(|| CheckoutError::UnknownProduct(line.product.to_string()))?;
            let variant = product
                .variants
                .iter()
                .find(|v| v.sku == line.sku)
                .ok_or_else(|| {
                    CheckoutError::UnknownProduct(format!("{}/{}", line.product, line.sku))
                })?;
            let price = product.price_of(variant);
            by_vendor
                .entry(product.tenant)
                .or_default()
                .push(OrderLine {
                    product: line.product,
                    sku: line.sku.clone(),
                    title: product.title.clone(),
                    quantity: line.quantity,
                    unit_price: price.amount(),
                    currency: price.currency().to_string(),
                });
        }
        let now = Utc::now();
        by_vendor
            .into_iter()
            .map(|(tenant, lines)| {
                let currency = lines[0].currency.clone();
                if lines.iter().any(|l| l.currency != currency) {
                    return Err(invalid(
                        "MIXED_CURRENCY",
                        "lines",
                        "one vendor's lines must share a currency",
                    ));
                }
                let total = lines
                    .iter()
                    .try_fold(0_i64, |sum, l| {
                        sum.checked_add(l.unit_price.checked_mul(l.quantity)?)
                    })
                    .ok_or_else(|| {
                        invalid("INVALID_QUANTITY", "lines", "the total is too large")
                    })?;
                Ok(Order {
                    id: ObjectKey(ObjectId::new()),
                    tenant,
                    checkout: checkout.to_string(),
                    customer: request.customer.clone(),
                    lines,
                    currency,
                    total,
                    shipping: request.shipping.clone(),
                    status: OrderStatus::Pending,
                    reserved: false,
                    history: vec![Transition {
                        at: now,
                        by: format!("customer:{}", request.customer),
                        from: None,
                        to: OrderStatus::Pending,
                        note: None,
                    }],
                    version: 1,
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect()
    }

    /// Reserves every order's stock; on any shortage releases all of them and
    /// reports every short SKU.
    async fn reserve_all(&self, placed: &[Order]) -> Result<(), CheckoutError> {
        let attempts = futures::future::join_all(placed.iter().map(|order| async move {
            let request = reservation(order, self.ttl)?;
            Ok::<_, InternalError>(self.inventory.reserve(&saga_scope(order), request).await)
        }))
        .await;
        let mut shortages = Vec::new();
        let mut failure = None;
        for (order, attempt) in placed.iter().zip(attempts) {
            match attempt? {
                Ok(_) => {}
                Err(ReserveError::Insufficient(short)) => shortages.extend(short),
                Err(ReserveError::UnknownSku(sku)) => {
                    let requested = order
                        .lines
                        .iter()
                        .find(|l| l.sku == sku)
                        .map_or(0, |l| l.quantity);
                    shortages.push(Shortage {
                        sku,
                        requested,
                        available: 0,
                    });
                }
                Err(other) => failure = Some(InternalError::new(other)),
            }
        }
        if shortages.is_empty() && failure.is_none() {
            return Ok(());
        }
        for order in placed {
            self.undo(order, "stock unavailable").await?;
        }
        match failure {
            Some(err) => Err(err.into()),
            None => Err(CheckoutError::Insufficient(shortages)),
        }
    }

    /// The saga: orders first, then stock, then the orders are marked reserved.
    async fn place(&self, placed: &[Order]) -> Result<(), CheckoutError> {
        for order in placed {
            orders::insert(&self.scoped(order.tenant), order).await?;
        }
        self.reserve_all(placed).await?;
        for order in placed {
            orders::set_reserved(&self.scoped(order.tenant), order.id.0, true).await?;
        }
        Ok(())
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

    async fn load(&self, actor: &Actor, id: ObjectKey) -> Result<Option<Order>, InternalError> {
        match actor {
            Actor::Vendor { tenant, .. } => orders::get(&self.scoped(*tenant), id.0).await,
            Actor::Customer(customer) => Ok(orders::get_any(&self.collection(), id.0)
                .await?
                .filter(|o| &o.customer == customer)),
            Actor::Admin(_) => orders::get_any(&self.collection(), id.0).await,
        }
    }
}

#[async_trait]
impl Orders for MongoOrders {
    #[instrument(skip_all)]
    async fn checkout(&self, request: CheckoutRequest) -> Result<Vec<Order>, CheckoutError> {
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
            return match earlier {
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
                        None => Box::pin(self.checkout(request)).await,
                    }
                }
                Earlier::Started { .. } => Err(CheckoutError::InProgress),
            };
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

    #[instrument(skip_all, fields(order_id = %id))]
    async fn change(
        &self,
        actor: &Actor,
        id: ObjectKey,
        change: Change,
    ) -> Result<Order, OrderError> {
        let order = self.load(actor, id).await?.ok_or(OrderError::NotFound)?;
        if let Actor::Customer(_) = actor {
            // A customer may only cancel, and only before the vendor starts work; an
            // order past that (or already closed, e.g. expired) says so.
            if change.to != OrderStatus::Cancelled {
                return Err(OrderError::Forbidden);
            }
            if !matches!(order.status, OrderStatus::Pending | OrderStatus::Paid) {
                return Err(OrderError::InvalidTransition {
                    from: order.status.as_str(),
                    to: change.to.as_str(),
                    allowed: Vec::new(),
                });
            }
        }
        if !order.status.can_become(change.to) {
            return Err(OrderError::InvalidTransition {
                from: order.status.as_str(),
                to: change.to.as_str(),
                allowed: order.status.allowed(),
            });
        }
        let step = Transition {
            at: Utc::now(),
            by: actor.name(),
            from: Some(order.status),
            to: change.to,
            note: change.note.clone(),
        };
        if let Some(stock_step) = order.status.step(change.to) {
            return self.change_with_step(&order, stock_step, step).await;
        }
        if !orders::transition(
            &self.scoped(order.tenant),
            order.id.0,
            order.status,
            order.version,
            &step,
        )
        .await?
        {
            return Err(OrderError::Conflict);
        }
        let effect = order.status.effect(change.to, change.goods_returned);
        self.apply_effect(&order, effect).await?;
        orders::get(&self.scoped(order.tenant), order.id.0)
            .await?
            .ok_or(OrderError::NotFound)
    }

    async fn order(&self, actor: &Actor, id: ObjectKey) -> Result<Option<Order>, OrderError> {
        Ok(self.load(actor, id).await?)
    }

    async fn list(
        &self,
        actor: &Actor,
        mut filter: ListFilter,
        limit: i64,
    ) -> Result<Vec<Order>, OrderError> {
        Ok(match actor {
            Actor::Vendor { tenant, .. } => {
                orders::list_scoped(&self.scoped(*tenant), &filter, limit).await?
            }
            Actor::Customer(customer) => {
                filter.customer = Some(customer.clone());
                orders::list_any(&self.collection(), &filter, limit).await?
            }
            Actor::Admin(_) => orders::list_any(&self.collection(), &filter, limit).await?,
        })
    }
}

/// How long a checkout's reservations hold stock by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
