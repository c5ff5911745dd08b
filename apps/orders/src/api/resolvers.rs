use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, Value, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use souk_catalog::domain::ObjectKey;
use souk_edge::{page_size, person, principal, service, trim_page, ApiError};
use souk_identity::domain::{AddressId, AddressInput, RawAddress, UserId};
use souk_identity::Identity;
use souk_inventory::domain::Sku;
use souk_tenants::audit::Entry;
use souk_tenants::Role;

use super::objects::{CheckoutInput, OrderView, ShippingAddressInput, StatusView};
use super::ship_from::ship_from_location;
use crate::domain::{
    line_quantity, CartLine, CheckoutError, Order, OrderError, OrderStatus, ShippingAddress,
};
use crate::service::{Actor, Change, CheckoutRequest};
use crate::store::orders::ListFilter;
use crate::Orders;

fn orders<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Orders>, ApiError> {
    service::<dyn Orders>(ctx)
}

/// A checkout error as the API answers it.
pub fn checkout_error(err: CheckoutError) -> ApiError {
    match err {
        CheckoutError::Invalid {
            code, ref field, ..
        } => {
            let field = field.clone();
            ApiError::new(code, err.to_string()).with("argument", field)
        }
        CheckoutError::UnknownProduct(ref id) => {
            let id = id.clone();
            ApiError::new("UNKNOWN_PRODUCT", err.to_string()).with("product", id)
        }
        CheckoutError::Insufficient(ref shortages) => {
            ApiError::new("INSUFFICIENT_STOCK", err.to_string()).with(
                "shortages",
                Value::List(
                    shortages
                        .iter()
                        .map(|s| {
                            souk_edge::shortage_value(s.sku.as_str(), s.requested, s.available)
                        })
                        .collect(),
                ),
            )
        }
        CheckoutError::IdempotencyConflict => {
            ApiError::new("IDEMPOTENCY_CONFLICT", err.to_string())
        }
        CheckoutError::InProgress => ApiError::new("CHECKOUT_IN_PROGRESS", err.to_string()),
        CheckoutError::Internal(inner) => ApiError::failure(&inner),
    }
}

/// An order error as the API answers it.
pub fn order_error(err: OrderError) -> ApiError {
    match err {
        OrderError::NotFound => ApiError::new("NOT_FOUND", err.to_string()),
        OrderError::InvalidTransition { ref allowed, .. } => {
            let allowed = Value::List(
                allowed
                    .iter()
                    .map(|s| Value::from(s.as_str().to_uppercase()))
                    .collect(),
            );
            ApiError::new("INVALID_TRANSITION", err.to_string()).with("allowed", allowed)
        }
        OrderError::Conflict => ApiError::new("CONFLICT", err.to_string()),
        OrderError::Forbidden => ApiError::new("FORBIDDEN", err.to_string()),
        OrderError::PaymentManaged(_) => ApiError::new("PAYMENT_MANAGED", err.to_string()),
        OrderError::ReservationExpired => ApiError::new("RESERVATION_EXPIRED", err.to_string())
            .with("status", OrderStatus::Expired.as_str().to_uppercase()),
        OrderError::StockNotHeld { status } => {
            ApiError::new("RESERVATION_NOT_HELD", err.to_string())
                .with("reservation", status.to_uppercase())
        }
        OrderError::Internal(inner) => ApiError::failure(&inner),
    }
}

/// The caller as an order actor: a customer (a person), vendor staff, or an admin.
pub fn actor(ctx: &Context<'_>) -> Result<Actor, ApiError> {
    let principal =
        principal(ctx).ok_or_else(|| ApiError::new("UNAUTHENTICATED", "sign in to do this"))?;
    Ok(match principal.role {
        Role::PlatformAdmin => Actor::Admin(principal.subject.clone()),
        Role::Owner | Role::Manager | Role::Staff => match principal.tenant {
            Some(tenant) => Actor::Vendor {
                tenant,
                subject: principal.subject.clone(),
            },
            None => return Err(ApiError::new("FORBIDDEN", "select a vendor first")),
        },
        Role::Customer => Actor::Customer(person(ctx)?.0.to_string()),
    })
}

pub fn order_key(raw: &str) -> Result<ObjectKey, ApiError> {
    ObjectKey::parse("id", raw).map_err(|e| ApiError::new("INVALID_ID", e.to_string()))
}

async fn shipping(
    ctx: &Context<'_>,
    customer: UserId,
    input: &CheckoutInput,
) -> Result<ShippingAddress, ApiError> {
    let fields = match (&input.shipping_address_id, &input.shipping_address) {
        (Some(id), None) => {
            let id =
                AddressId::parse(id).map_err(|_| ApiError::new("NOT_FOUND", "no such address"))?;
            service::<dyn Identity>(ctx)?
                .address(customer, id)
                .await
                .map_err(|_| ApiError::new("NOT_FOUND", "no such address"))?
                .fields
        }
        (None, Some(given)) => parse_address(given)?,
        _ => {
            return Err(ApiError::invalid_argument(
                "shippingAddress",
                "give either shippingAddressId or shippingAddress",
            ))
        }
    };
    Ok(ShippingAddress {
        recipient: fields.recipient,
        line1: fields.line1,
        line2: fields.line2,
        city: fields.city,
        region: fields.region,
        postal_code: fields.postal_code,
        country: fields.country,
    })
}

fn parse_address(given: &ShippingAddressInput) -> Result<AddressInput, ApiError> {
    AddressInput::parse(RawAddress {
        label: None,
        recipient: &given.recipient,
        line1: &given.line1,
        line2: given.line2.as_deref(),
        city: &given.city,
        region: given.region.as_deref(),
        postal_code: &given.postal_code,
        country: &given.country,
        phone: None,
    })
    .map_err(|e| ApiError::new("INVALID_ADDRESS", e.0))
}

/// An opaque position in an order list: the last order's time and id.
fn encode_cursor(order: &crate::domain::Order) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}|{}",
        order.created_at.timestamp_millis(),
        order.id
    ))
}

fn decode_cursor(raw: Option<String>) -> Result<Option<(DateTime<Utc>, ObjectId)>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let bad = || ApiError::invalid_argument("after", "not a cursor returned by this list");
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    let (millis, id) = text.split_once('|').ok_or_else(bad)?;
    let at = millis
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .filter(|at| souk_edge::input::storable_time(*at))
        .ok_or_else(bad)?;
    Ok(Some((at, ObjectId::parse_str(id).map_err(|_| bad())?)))
}

async fn page(
    ctx: &Context<'_>,
    mut filter: ListFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, OrderView>, ApiError> {
    let actor = actor(ctx)?;
    let limit = page_size(first, 20)?;
    let had_cursor = after.is_some();
    filter.after = decode_cursor(after)?;
    let found = orders(ctx)?
        .list(&actor, filter, limit + 1)
        .await
        .map_err(order_error)?;
    let (found, has_next) = trim_page(found, limit);
    let mut connection = Connection::new(had_cursor, has_next);
    connection.edges.extend(
        found
            .into_iter()
            .map(|order| Edge::new(encode_cursor(&order), OrderView(order))),
    );
    Ok(connection)
}

/// Places a customer's checkout (see the `checkout` mutation, which pays for
/// it): one order per vendor, prices from the catalog now, every vendor's stock
/// reserved, or nothing reserved and `INSUFFICIENT_STOCK` naming each short SKU.
/// `manual_vendors` may take orders paid offline.
pub async fn place(
    ctx: &Context<'_>,
    input: &CheckoutInput,
    manual_vendors: Vec<souk_tenants::TenantId>,
) -> Result<Vec<Order>, ApiError> {
    let (customer, principal) = person(ctx)?;
    if principal.role != Role::Customer {
        return Err(ApiError::new(
            "FORBIDDEN",
            "sign in as a customer to check out",
        ));
    }
    let lines = input
        .lines
        .iter()
        .map(|l| {
            Ok(CartLine {
                product: ObjectKey::parse("lines.productId", &l.product_id)
                    .map_err(|e| ApiError::new("INVALID_ID", e.to_string()))?,
                sku: Sku::parse(&l.sku).map_err(|e| ApiError::new("INVALID_SKU", e.0))?,
                quantity: line_quantity(l.quantity).map_err(checkout_error)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let shipping = shipping(ctx, UserId(customer), input).await?;
    orders(ctx)?
        .checkout(CheckoutRequest {
            customer: customer.to_string(),
            lines,
            shipping,
            idempotency_key: input.idempotency_key.clone(),
            payment_method: input.payment_method.unwrap_or_default().into(),
            manual_vendors,
        })
        .await
        .map_err(checkout_error)
}

/// What else happens when an order changed through the API (the payments
/// service learns that an order shipped).
#[async_trait::async_trait]
pub trait AfterChange: Send + Sync + 'static {
    async fn changed(&self, order: &Order);
}

#[derive(Debug, Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// The signed-in customer's orders, newest first.
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        status: Option<StatusView>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OrderView>> {
        if !matches!(actor(ctx)?, Actor::Customer(_)) {
            return Err(ApiError::new("FORBIDDEN", "myOrders is a customer's list").into());
        }
        let filter = ListFilter {
            status: status.map(Into::into),
            from,
            to,
            ..ListFilter::default()
        };
        Ok(page(ctx, filter, first, after).await?)
    }

    /// Vendor staff: their vendor's orders. Platform admins: every vendor's.
    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        status: Option<StatusView>,
        #[graphql(desc = "A customer's id.")] customer: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OrderView>> {
        if matches!(actor(ctx)?, Actor::Customer(_)) {
            return Err(
                ApiError::new("FORBIDDEN", "customers read their orders with myOrders").into(),
            );
        }
        let filter = ListFilter {
            status: status.map(Into::into),
            customer: customer.map(|c| c.0),
            from,
            to,
            after: None,
        };
        Ok(page(ctx, filter, first, after).await?)
    }

    /// One order the caller may see; null otherwise.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OrderView>> {
        let actor = actor(ctx)?;
        let id = order_key(&id)?;
        Ok(orders(ctx)?
            .order(&actor, id)
            .await
            .map_err(order_error)?
            .map(OrderView))
    }
}

#[derive(Debug, Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Moves an order to another state (see `allowedTransitions`). Customers may
    /// cancel their own pending orders, and paid ones paid offline (a card
    /// order's money goes back through its vendor's `refundOrder`); vendor staff
    /// move their vendor's orders; platform admins any. `goodsReturned` restocks
    /// a refunded shipment.
    async fn change_order_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: StatusView,
        note: Option<String>,
        #[graphql(desc = "Refunds of shipped orders: the goods came back (default false).")]
        goods_returned: Option<bool>,
        #[graphql(
            desc = "Shipping, by the vendor: the stock location the goods left from. Every line's hold moves there first; `INSUFFICIENT_STOCK` when it is short."
        )]
        ship_from: Option<ID>,
    ) -> Result<OrderView> {
        let actor = actor(ctx)?;
        let id = order_key(&id)?;
        if let Some(location) = ship_from {
            ship_from_location(ctx, &actor, id, status, &location).await?;
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            return Err(ApiError::invalid_argument("note", "at most 500 characters").into());
        }
        let to: OrderStatus = status.into();
        let order = orders(ctx)?
            .change(
                &actor,
                id,
                Change {
                    to,
                    note,
                    goods_returned: goods_returned.unwrap_or(false),
                    from: None,
                },
            )
            .await
            .map_err(order_error)?;
        let entry = Entry::new("order.change_status", "order", order.id.to_string())
            .details(serde_json::json!({ "to": order.status.as_str(), "version": order.version }));
        souk_edge::audit::after(ctx, Some(order.tenant), entry).await;
        if let Some(hook) = ctx.data_opt::<Arc<dyn AfterChange>>() {
            hook.changed(&order).await;
        }
        Ok(OrderView(order))
    }
}
