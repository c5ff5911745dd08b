//! Checkout's first step: the cart checked and priced from the catalog, one
//! order per vendor.

use std::collections::BTreeMap;

use chrono::Utc;
use mongodb::bson::oid::ObjectId;
use souk_catalog::domain::ObjectKey;
use souk_tenants::IntErr;
use souk_tenants::TenantId;

use super::{CheckoutRequest, MongoOrders};
use crate::domain::{
    line_quantity, total_of, CheckoutError, Order, OrderLine, OrderStatus, PaymentMethod,
    TotalError, Transition, MAX_CHECKOUT_TOTAL, MAX_LINES,
};

fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> CheckoutError {
    CheckoutError::Invalid {
        code,
        field: field.to_string(),
        message: message.into(),
    }
}

fn too_large() -> CheckoutError {
    invalid("INVALID_QUANTITY", "lines", "the total is too large")
}

impl MongoOrders {
    pub(super) fn validate(request: &CheckoutRequest) -> Result<(), CheckoutError> {
        if request.lines.is_empty() || request.lines.len() > MAX_LINES {
            return Err(invalid(
                "INVALID_ARGUMENT",
                "lines",
                format!("a checkout has 1 to {MAX_LINES} lines"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for line in &request.lines {
            line_quantity(line.quantity.get())?;
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
    pub(super) async fn price(
        &self,
        request: &CheckoutRequest,
        checkout: &str,
    ) -> Result<Vec<Order>, CheckoutError> {
        let by_vendor = self.priced_lines(request).await?;
        if request.payment_method == PaymentMethod::Manual {
            if let Some(tenant) = by_vendor
                .keys()
                .find(|tenant| !request.manual_vendors.contains(tenant))
            {
                return Err(invalid(
                    "MANUAL_PAYMENT_UNAVAILABLE",
                    "paymentMethod",
                    format!("vendor {tenant} does not take offline payments"),
                ));
            }
        }
        let now = Utc::now();
        let placed: Vec<Order> = by_vendor
            .into_iter()
            .map(|(tenant, lines)| {
                let total = total_of(&lines).map_err(|err| match err {
                    TotalError::MixedCurrency => invalid(
                        "MIXED_CURRENCY",
                        "lines",
                        "one vendor's lines must share a currency",
                    ),
                    TotalError::NoLines | TotalError::TooLarge => too_large(),
                })?;
                Ok(Order {
                    id: ObjectKey(ObjectId::new()),
                    tenant,
                    checkout: checkout.to_string(),
                    customer: request.customer.clone(),
                    lines,
                    total,
                    shipping: request.shipping.clone(),
                    status: OrderStatus::Pending,
                    payment_method: request.payment_method,
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
            .collect::<Result<_, CheckoutError>>()?;
        // One payment pays the whole checkout: one currency.
        if let Some((first, rest)) = placed.split_first() {
            if rest
                .iter()
                .any(|o| o.total.currency() != first.total.currency())
            {
                return Err(invalid(
                    "MIXED_CURRENCY",
                    "lines",
                    "a checkout is paid in one currency; these vendors sell in several",
                ));
            }
        }
        let total = placed
            .iter()
            .try_fold(0i64, |sum, o| sum.checked_add(o.total.amount()));
        if total.is_none_or(|total| total > MAX_CHECKOUT_TOTAL) {
            return Err(invalid(
                "INVALID_QUANTITY",
                "lines",
                format!("a checkout's total is at most {MAX_CHECKOUT_TOTAL} minor units"),
            ));
        }
        Ok(placed)
    }

    /// The cart's lines priced from the catalog, grouped by vendor.
    async fn priced_lines(
        &self,
        request: &CheckoutRequest,
    ) -> Result<BTreeMap<TenantId, Vec<OrderLine>>, CheckoutError> {
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
            let priced = OrderLine::priced(
                line.product,
                line.sku.clone(),
                product.title.clone(),
                line.quantity,
                product.price_of(variant).clone(),
            )
            .ok_or_else(too_large)?;
            by_vendor.entry(product.tenant).or_default().push(priced);
        }
        Ok(by_vendor)
    }
}
