//! The orders boundary and its MongoDB implementation, one file per use case:
//! `checkout` (idempotent by key) with its `pricing` and the reservation saga in
//! `reserve`, `change` for state changes, and `stock` for what a change does to
//! stock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mongodb::bson::Document;
use mongodb::{Collection, Database};
use souk_catalog::domain::ObjectKey;
use souk_catalog::Catalog;
use souk_inventory::domain::{OrderId, ReservationLine, ReservationRequest, Ttl};
use souk_inventory::Inventory;
use souk_tenants::mongo::TenantCollection;
use souk_tenants::Scope;
use souk_tenants::TenantId;
use tracing::instrument;

use crate::domain::{
    CartLine, CheckoutError, InternalError, Order, OrderError, OrderStatus, PaymentMethod,
    ShippingAddress,
};
use crate::store::checkouts;
use crate::store::orders::{self, ListFilter};

mod change;
mod checkout;
mod pricing;
mod reserve;
mod stock;

/// A customer's checkout.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub customer: String,
    pub lines: Vec<CartLine>,
    pub shipping: ShippingAddress,
    pub idempotency_key: String,
    pub payment_method: PaymentMethod,
    /// The vendors allowed to take [`PaymentMethod::Manual`] orders.
    pub manual_vendors: Vec<TenantId>,
}

/// Who changes an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Customer(String),
    Vendor {
        tenant: TenantId,
        subject: String,
    },
    Admin(String),
    /// A part of the platform acting on its own (the payments service).
    System(&'static str),
}

impl Actor {
    /// How the actor is named in histories and records.
    pub fn name(&self) -> String {
        match self {
            Actor::System(part) => format!("system:{part}"),
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
    /// Only from this state: an order that has moved on meanwhile (paid by a
    /// payment racing its failure, say) answers `InvalidTransition` and is left
    /// as it is.
    pub from: Option<OrderStatus>,
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

fn order_id(order: &Order) -> Result<OrderId, InternalError> {
    OrderId::parse(&order.id.to_string()).map_err(|e| InternalError::msg(e.0))
}

/// The reservation request for an order's lines.
pub(crate) fn reservation(order: &Order, ttl: Ttl) -> Result<ReservationRequest, InternalError> {
    let lines = order
        .lines
        .iter()
        .map(|l| {
            Ok(ReservationLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
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
}

#[async_trait]
impl Orders for MongoOrders {
    #[instrument(skip_all)]
    async fn checkout(&self, request: CheckoutRequest) -> Result<Vec<Order>, CheckoutError> {
        self.check_out(request).await
    }

    #[instrument(skip_all, fields(order_id = %id))]
    async fn change(
        &self,
        actor: &Actor,
        id: ObjectKey,
        change: Change,
    ) -> Result<Order, OrderError> {
        self.change_order(actor, id, change).await
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
            Actor::Admin(_) | Actor::System(_) => {
                orders::list_any(&self.collection(), &filter, limit).await?
            }
        })
    }
}

/// How long a checkout's reservations hold stock by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
