//! An order as MongoDB stores it, field for field: what [`Order`] is written as
//! and read back from. Fields an older document may lack read as empty.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::DateTime as BsonDateTime;
use serde::{Deserialize, Serialize};
use souk_catalog::domain::{Money, ObjectKey};
use souk_inventory::domain::{Quantity, Sku};
use souk_tenants::TenantId;

use super::{to_bson, to_chrono};
use crate::domain::{
    total_of, InternalError, Order, OrderLine, OrderStatus, PaymentMethod, ShippingAddress,
    Transition,
};

fn corrupt(what: &str) -> InternalError {
    InternalError::msg(format!("a stored order has no valid {what}"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderDocument {
    #[serde(rename = "_id")]
    id: ObjectId,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    checkout_id: String,
    #[serde(default)]
    customer_id: String,
    lines: Vec<LineDocument>,
    #[serde(default)]
    currency: String,
    total: i64,
    shipping: ShippingDocument,
    status: String,
    /// Orders placed before online payments were paid by hand.
    #[serde(default = "manual")]
    payment_method: String,
    #[serde(default)]
    reserved: bool,
    history: Vec<TransitionDocument>,
    version: i64,
    created_at: BsonDateTime,
    updated_at: BsonDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LineDocument {
    product_id: ObjectId,
    sku: String,
    #[serde(default)]
    title: String,
    quantity: i64,
    unit_price: i64,
    #[serde(default)]
    currency: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct ShippingDocument {
    recipient: String,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country: String,
}

fn manual() -> String {
    PaymentMethod::Manual.as_str().to_string()
}

/// One entry of an order's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransitionDocument {
    at: BsonDateTime,
    #[serde(default)]
    by: String,
    #[serde(default)]
    from: Option<String>,
    to: String,
    #[serde(default)]
    note: Option<String>,
}

impl From<&Transition> for TransitionDocument {
    fn from(t: &Transition) -> Self {
        Self {
            at: to_bson(t.at),
            by: t.by.clone(),
            from: t.from.map(|s| s.as_str().to_string()),
            to: t.to.as_str().to_string(),
            note: t.note.clone(),
        }
    }
}

impl TryFrom<TransitionDocument> for Transition {
    type Error = InternalError;

    fn try_from(t: TransitionDocument) -> Result<Self, InternalError> {
        Ok(Transition {
            at: to_chrono(&t.at),
            by: t.by,
            from: t.from.as_deref().and_then(OrderStatus::parse),
            to: OrderStatus::parse(&t.to).ok_or_else(|| corrupt("history"))?,
            note: t.note,
        })
    }
}

impl From<&Order> for OrderDocument {
    fn from(order: &Order) -> Self {
        let s = &order.shipping;
        Self {
            id: order.id.0,
            tenant_id: order.tenant.to_string(),
            checkout_id: order.checkout.clone(),
            customer_id: order.customer.clone(),
            lines: order
                .lines
                .iter()
                .map(|l| LineDocument {
                    product_id: l.product.0,
                    sku: l.sku.as_str().to_string(),
                    title: l.title.clone(),
                    quantity: l.quantity.get(),
                    unit_price: l.unit_price.amount(),
                    currency: l.unit_price.currency().to_string(),
                })
                .collect(),
            currency: order.total.currency().to_string(),
            total: order.total.amount(),
            shipping: ShippingDocument {
                recipient: s.recipient.clone(),
                line1: s.line1.clone(),
                line2: s.line2.clone(),
                city: s.city.clone(),
                region: s.region.clone(),
                postal_code: s.postal_code.clone(),
                country: s.country.clone(),
            },
            status: order.status.as_str().to_string(),
            payment_method: order.payment_method.as_str().to_string(),
            reserved: order.reserved,
            history: order.history.iter().map(TransitionDocument::from).collect(),
            version: order.version,
            created_at: to_bson(order.created_at),
            updated_at: to_bson(order.updated_at),
        }
    }
}

impl TryFrom<OrderDocument> for Order {
    type Error = InternalError;

    fn try_from(doc: OrderDocument) -> Result<Self, InternalError> {
        let lines = doc
            .lines
            .into_iter()
            .map(|l| {
                // A line written before lines kept their currency has the order's.
                let currency = if l.currency.is_empty() {
                    &doc.currency
                } else {
                    &l.currency
                };
                OrderLine::priced(
                    ObjectKey(l.product_id),
                    Sku::parse(&l.sku).map_err(|_| corrupt("sku"))?,
                    l.title,
                    Quantity::parse(l.quantity).map_err(|_| corrupt("quantity"))?,
                    Money::parse("unit_price", l.unit_price, currency)
                        .map_err(|_| corrupt("unit price"))?,
                )
                .ok_or_else(|| corrupt("line total"))
            })
            .collect::<Result<Vec<_>, InternalError>>()?;
        let total = total_of(&lines).map_err(|_| corrupt("total"))?;
        let s = doc.shipping;
        Ok(Order {
            id: ObjectKey(doc.id),
            tenant: TenantId::parse(&doc.tenant_id).map_err(|_| corrupt("tenant"))?,
            checkout: doc.checkout_id,
            customer: doc.customer_id,
            lines,
            total,
            shipping: ShippingAddress {
                recipient: s.recipient,
                line1: s.line1,
                line2: s.line2,
                city: s.city,
                region: s.region,
                postal_code: s.postal_code,
                country: s.country,
            },
            status: OrderStatus::parse(&doc.status).ok_or_else(|| corrupt("status"))?,
            payment_method: PaymentMethod::parse(&doc.payment_method)
                .ok_or_else(|| corrupt("payment method"))?,
            reserved: doc.reserved,
            history: doc
                .history
                .into_iter()
                .map(Transition::try_from)
                .collect::<Result<_, _>>()?,
            version: doc.version,
            created_at: to_chrono(&doc.created_at),
            updated_at: to_chrono(&doc.updated_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn order() -> Order {
        let at = Utc
            .timestamp_millis_opt(1_764_000_000_123)
            .single()
            .unwrap_or_default();
        let line = OrderLine::priced(
            ObjectKey(ObjectId::new()),
            Sku::parse("MUG-1").unwrap_or_else(|_| panic!("a valid SKU")),
            "Mug".into(),
            Quantity::parse(2).unwrap_or_else(|_| panic!("a quantity")),
            Money::parse("price", 1_250, "EUR").unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|| panic!("a line"));
        let total = line.total.clone();
        Order {
            id: ObjectKey(ObjectId::new()),
            tenant: TenantId::from_uuid(uuid::Uuid::now_v7()),
            checkout: "checkout-1".into(),
            customer: "customer-1".into(),
            lines: vec![line],
            total,
            shipping: ShippingAddress {
                recipient: "Ada".into(),
                line1: "1 Main St".into(),
                line2: None,
                city: "Lyon".into(),
                region: Some("ARA".into()),
                postal_code: "69001".into(),
                country: "FR".into(),
            },
            status: OrderStatus::Pending,
            payment_method: PaymentMethod::Card,
            reserved: true,
            history: vec![Transition {
                at,
                by: "customer-1".into(),
                from: None,
                to: OrderStatus::Pending,
                note: None,
            }],
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn an_order_reads_back_as_written() {
        let order = order();
        let stored = mongodb::bson::to_document(&OrderDocument::from(&order))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stored.get_i64("total").ok(),
            Some(2_500),
            "money stays Int64"
        );
        assert!(stored
            .get("shipping")
            .and_then(|s| s.as_document())
            .is_some());
        let read: OrderDocument =
            mongodb::bson::from_document(stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Order::try_from(read).ok(), Some(order));
    }

    #[test]
    fn a_document_with_an_unknown_status_is_refused() {
        let mut stored = mongodb::bson::to_document(&OrderDocument::from(&order()))
            .unwrap_or_else(|e| panic!("{e}"));
        stored.insert("status", "teleported");
        let read: OrderDocument =
            mongodb::bson::from_document(stored).unwrap_or_else(|e| panic!("{e}"));
        assert!(Order::try_from(read).is_err());
    }

    fn line_field(stored: &mut mongodb::bson::Document, key: &str, value: mongodb::bson::Bson) {
        let lines = stored
            .get_array_mut("lines")
            .unwrap_or_else(|e| panic!("{e}"));
        if let Some(mongodb::bson::Bson::Document(line)) = lines.first_mut() {
            line.insert(key, value);
        }
    }

    #[test]
    fn a_line_without_its_currency_takes_the_orders_and_a_bad_line_is_refused() {
        let order = order();
        let mut stored = mongodb::bson::to_document(&OrderDocument::from(&order))
            .unwrap_or_else(|e| panic!("{e}"));
        line_field(&mut stored, "currency", "".into());
        let read: OrderDocument =
            mongodb::bson::from_document(stored.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Order::try_from(read).ok(), Some(order));

        for (key, value) in [("quantity", 0_i64), ("unit_price", -5)] {
            let mut bad = stored.clone();
            line_field(&mut bad, key, value.into());
            let read: OrderDocument =
                mongodb::bson::from_document(bad).unwrap_or_else(|e| panic!("{e}"));
            assert!(Order::try_from(read).is_err(), "{key} = {value}");
        }
    }
}
