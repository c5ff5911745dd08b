//! What each order email says, from the orders as they are when it is sent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use souk_orders::domain::{Order, OrderStatus};
use souk_orders::mail::Checkout;
use uuid::Uuid;

use super::queue::{Kind, PLACED_DELAY_SECS};
use super::Directory;
use crate::mail::{money, Email};

/// How long an email waits for a checkout that is still placing its orders
/// before it tells of what was placed (or of nothing): longer than a hold
/// lives, so the reconciler has placed or cancelled what stopped half-way.
const SETTLE: chrono::TimeDelta = chrono::TimeDelta::minutes(20);

/// A row of `souk.order_emails` as the sender claimed it.
#[derive(Debug, Clone)]
pub struct Owed {
    pub id: i64,
    pub kind: Kind,
    pub tenant: Uuid,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// What to do with an owed email now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compose {
    Send {
        to: Vec<String>,
        email: Email,
    },
    /// Nothing to send, ever (the reason is recorded).
    Skip(String),
    /// Not yet: the orders are still being placed.
    Later(String),
}

#[derive(Debug, Serialize)]
struct Line {
    title: String,
    sku: String,
    quantity: i64,
    total: String,
}

#[derive(Debug, Serialize)]
struct VendorOrder {
    vendor: String,
    id: String,
    lines: Vec<Line>,
    total: String,
}

fn lines(order: &Order) -> Vec<Line> {
    order
        .lines
        .iter()
        .map(|line| Line {
            title: line.title.clone(),
            sku: line.sku.as_str().to_string(),
            quantity: line.quantity.get(),
            total: money(line.total.amount(), line.total.currency()),
        })
        .collect()
}

fn ship_to(order: &Order) -> String {
    let s = &order.shipping;
    format!(
        "{}, {}, {} {}, {}",
        s.recipient, s.line1, s.postal_code, s.city, s.country
    )
}

/// Whether the checkout may still place `order` (its stock is not held yet, the
/// checkout neither completed nor failed, and it is young).
fn still_placing(checkout: &Checkout, order: &Order, owed: &Owed) -> bool {
    checkout.status.as_deref() == Some("started")
        && order.status == OrderStatus::Pending
        && !order.reserved
        && Utc::now() - owed.created_at < SETTLE
}

/// The orders the checkout placed: those a completed checkout names; of one
/// that stopped half-way, those whose stock was held or that were paid.
fn placed_orders(checkout: &Checkout) -> Vec<&Order> {
    match checkout.status.as_deref() {
        Some("failed") => Vec::new(),
        Some("completed") => checkout
            .orders
            .iter()
            .filter(|o| checkout.placed.contains(&o.id.to_string()))
            .collect(),
        _ => checkout
            .orders
            .iter()
            .filter(|o| {
                o.reserved
                    || !matches!(
                        o.status,
                        OrderStatus::Pending | OrderStatus::Cancelled | OrderStatus::Expired
                    )
            })
            .collect(),
    }
}

/// Whether the order ended without going ahead (cancelled, expired).
fn ended(order: &Order) -> bool {
    matches!(order.status, OrderStatus::Cancelled | OrderStatus::Expired)
}

/// The email `owed` stands for, read from the services now.
pub async fn compose(directory: &dyn Directory, owed: &Owed) -> Result<Compose, String> {
    match owed.kind {
        Kind::Placed => placed(directory, owed).await,
        Kind::Status => status(directory, owed).await,
        Kind::NewOrder => new_order(directory, owed).await,
    }
}

fn text(payload: &Value, field: &str) -> Result<String, String> {
    payload[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no {field}"))
}

async fn placed(directory: &dyn Directory, owed: &Owed) -> Result<Compose, String> {
    let customer = text(&owed.payload, "customerId")?;
    let checkout = text(&owed.payload, "checkoutId")?;
    let checkout = directory.checkout(&customer, &checkout).await?;
    if checkout
        .orders
        .iter()
        .any(|o| still_placing(&checkout, o, owed))
    {
        return Ok(Compose::Later(
            "the checkout is still placing its orders".into(),
        ));
    }
    // An order cancelled or expired before this email goes (a declined
    // payment, say) has had its own email; "placed" names only those that
    // stand.
    let placed: Vec<&Order> = placed_orders(&checkout)
        .into_iter()
        .filter(|o| !ended(o))
        .collect();
    let Some(first) = placed.first() else {
        return Ok(Compose::Skip(
            "the checkout did not go through, or its orders ended since".into(),
        ));
    };
    let Some(person) = person(directory, &customer).await? else {
        return Ok(Compose::Skip("the customer has no account".into()));
    };
    let mut listed = Vec::with_capacity(placed.len());
    for order in &placed {
        listed.push(VendorOrder {
            vendor: directory.vendor_name(order.tenant.as_uuid()).await?,
            id: order.id.to_string(),
            lines: lines(order),
            total: money(order.total.amount(), order.total.currency()),
        });
    }
    let currency = first.total.currency();
    let together = placed.iter().try_fold(0_i64, |sum, o| {
        (o.total.currency() == currency)
            .then(|| sum.checked_add(o.total.amount()))
            .flatten()
    });
    let facts = serde_json::json!({
        "customer": person.name,
        "orders": listed,
        "total": together.filter(|_| placed.len() > 1).map(|t| money(t, currency)),
        "ship_to": ship_to(first),
    });
    let subject = match placed.len() {
        1 => format!("Your order from {} is placed", listed[0].vendor),
        n => format!("Your order is placed with {n} shops"),
    };
    let email = Email::render(subject, "order-placed", &facts)?;
    Ok(Compose::Send {
        to: vec![person.email],
        email,
    })
}

async fn person(
    directory: &dyn Directory,
    customer: &str,
) -> Result<Option<super::Person>, String> {
    match Uuid::parse_str(customer) {
        Ok(user) => directory.person(user).await,
        Err(_) => Ok(None),
    }
}

/// The subject's word and the headline for a status customers hear of.
fn headline(status: &str, vendor: &str) -> Option<(&'static str, String)> {
    Some(match status {
        "paid" => ("paid", format!("Your payment for your order from {vendor} was received.")),
        "shipped" => ("shipped", format!("Your order from {vendor} is on its way.")),
        "delivered" => ("delivered", format!("Your order from {vendor} was delivered.")),
        "cancelled" => ("cancelled", format!("Your order from {vendor} was cancelled; nothing is charged for it, and anything paid is refunded.")),
        "expired" => ("expired", format!("Your order from {vendor} expired: it was not paid in time, and its items were released.")),
        "refunded" => ("refunded", format!("Your order from {vendor} was refunded.")),
        _ => return None,
    })
}

async fn status(directory: &dyn Directory, owed: &Owed) -> Result<Compose, String> {
    let id = text(&owed.payload, "orderId")?;
    let to = text(&owed.payload, "to")?;
    let Some(order) = directory.order(owed.tenant, &id).await? else {
        return Ok(Compose::Skip("the order is gone".into()));
    };
    let checkout = directory.checkout(&order.customer, &order.checkout).await?;
    if !placed_orders(&checkout).iter().any(|o| o.id == order.id) {
        return Ok(Compose::Skip("the order was never placed".into()));
    }
    // The checkout's "placed" email goes PLACED_DELAY_SECS after its first
    // order: news of an order younger than that (paid at once) waits for it.
    let placed_goes = chrono::TimeDelta::seconds(i64::from(PLACED_DELAY_SECS) + 1);
    if Utc::now() - order.created_at < placed_goes {
        return Ok(Compose::Later(
            "the checkout's placed email goes first".into(),
        ));
    }
    let Some(person) = person(directory, &order.customer).await? else {
        return Ok(Compose::Skip("the customer has no account".into()));
    };
    // Refunds always go: they are about the customer's money.
    if to != "refunded" && !person.preferences.order_updates {
        return Ok(Compose::Skip(
            "the customer switched order updates off".into(),
        ));
    }
    // What the email tells is what the order's own history says, not what the
    // message claims.
    let Some(change) = order.history.iter().rev().find(|t| t.to.as_str() == to) else {
        return Ok(Compose::Skip(format!("the order never became {to}")));
    };
    let vendor = directory.vendor_name(owed.tenant).await?;
    let Some((word, headline)) = headline(&to, &vendor) else {
        return Ok(Compose::Skip(format!("customers are not told of {to}")));
    };
    let facts = serde_json::json!({
        "customer": person.name,
        "headline": headline,
        "vendor": vendor,
        "order_id": order.id.to_string(),
        "total": money(order.total.amount(), order.total.currency()),
        "note": change.note.as_deref().filter(|n| !n.trim().is_empty()),
    });
    let email = Email::render(
        format!("Your order from {vendor} is {word}"),
        "order-update",
        &facts,
    )?;
    Ok(Compose::Send {
        to: vec![person.email],
        email,
    })
}

async fn new_order(directory: &dyn Directory, owed: &Owed) -> Result<Compose, String> {
    let id = text(&owed.payload, "orderId")?;
    let Some(order) = directory.order(owed.tenant, &id).await? else {
        return Ok(Compose::Skip("the order is gone".into()));
    };
    let checkout = directory.checkout(&order.customer, &order.checkout).await?;
    if still_placing(&checkout, &order, owed) {
        return Ok(Compose::Later("the order is still being placed".into()));
    }
    if !placed_orders(&checkout).iter().any(|o| o.id == order.id) {
        return Ok(Compose::Skip("the order was never placed".into()));
    }
    if ended(&order) {
        return Ok(Compose::Skip(
            "the order was cancelled or expired since".into(),
        ));
    }
    let to = directory.new_order_recipients(owed.tenant).await?;
    if to.is_empty() {
        return Ok(Compose::Skip("nobody asked for new-order emails".into()));
    }
    let total = money(order.total.amount(), order.total.currency());
    let facts = serde_json::json!({
        "vendor": directory.vendor_name(owed.tenant).await?,
        "order_id": order.id.to_string(),
        "lines": lines(&order),
        "total": total,
        "ship_to": ship_to(&order),
    });
    let email = Email::render(
        format!("New order {} — {total}", order.id),
        "new-order",
        &facts,
    )?;
    Ok(Compose::Send { to, email })
}
