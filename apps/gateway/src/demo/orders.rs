//! The demo's checkouts: placed, paid with the test provider when it is the
//! one, and moved through a few states by their customer or vendor.

use souk_catalog::domain::{Product, ProductStatus};
use souk_catalog::Catalog;
use souk_inventory::domain::{Quantity, Sku};
use souk_orders::domain::{CartLine, Order, OrderStatus, PaymentMethod, ShippingAddress};
use souk_orders::service::{Actor, Change, CheckoutRequest};
use souk_orders::Orders;
use souk_tenants::TenantId;

use super::Seeder;

/// A demo checkout: its fixed idempotency key (a second run finds it), the SKUs
/// it buys, and the steps each of its orders takes the first time (the new state,
/// and whether the customer rather than the vendor takes it).
struct DemoCheckout {
    key: &'static str,
    skus: &'static [&'static str],
    steps: &'static [(OrderStatus, bool)],
}

const CHECKOUTS: &[DemoCheckout] = &[
    DemoCheckout {
        key: "demo-checkout-1",
        skus: &["TEE-BLK-M", "MUG-CEDAR"],
        steps: &[],
    },
    DemoCheckout {
        key: "demo-checkout-2",
        skus: &["BOOKMARK-07"],
        steps: &[
            (OrderStatus::Paid, false),
            (OrderStatus::Processing, false),
            (OrderStatus::Shipped, false),
        ],
    },
    DemoCheckout {
        key: "demo-checkout-3",
        skus: &["SPICE-SAFFRON-1G"],
        steps: &[(OrderStatus::Cancelled, true)],
    },
];

impl Seeder {
    /// Places the demo checkouts and moves their orders through a few states.
    pub(super) async fn orders(
        &self,
        customer: uuid::Uuid,
        vendors: &[(&str, TenantId)],
    ) -> anyhow::Result<()> {
        let mut products = Vec::new();
        for (_, tenant) in vendors {
            products.extend(
                self.catalog
                    .vendor_products(*tenant, Some(ProductStatus::Active), None, None, 100)
                    .await?,
            );
        }
        for DemoCheckout { key, skus, steps } in CHECKOUTS {
            let placed = self
                .orders
                .checkout(CheckoutRequest {
                    customer: customer.to_string(),
                    lines: cart(&products, skus)?,
                    shipping: ShippingAddress {
                        recipient: "Amira Haddad".into(),
                        line1: "12 Rue du Souk".into(),
                        line2: None,
                        city: "Tunis".into(),
                        region: None,
                        postal_code: "1000".into(),
                        country: "TN".into(),
                    },
                    idempotency_key: (*key).into(),
                    payment_method: PaymentMethod::Card,
                    manual_vendors: Vec::new(),
                })
                .await?;
            let pending: Vec<Order> = placed
                .into_iter()
                .filter(|o| o.status == OrderStatus::Pending)
                .collect();
            let steps = self.pay(customer, &pending, steps).await?;
            for order in &pending {
                self.walk(customer, order, steps).await?;
            }
        }
        Ok(())
    }

    /// Starts the payment of a new checkout's `pending` orders, and makes it
    /// when their first step is payment; the steps left for people.
    async fn pay<'a>(
        &self,
        customer: uuid::Uuid,
        pending: &[Order],
        steps: &'a [(OrderStatus, bool)],
    ) -> anyhow::Result<&'a [(OrderStatus, bool)]> {
        let first_paid = matches!(steps.first(), Some((OrderStatus::Paid, _)));
        let (Some(payments), Some(order)) = (&self.payments, pending.first()) else {
            return Ok(if first_paid { &[] } else { steps });
        };
        let buyer = customer.to_string();
        payments.start(&buyer, pending).await?;
        if !first_paid {
            return Ok(steps);
        }
        payments.pay_test(&buyer, &order.checkout, true).await?;
        Ok(&steps[1..])
    }

    /// Moves `order` through `steps`, each by its customer or its vendor.
    async fn walk(
        &self,
        customer: uuid::Uuid,
        order: &Order,
        steps: &[(OrderStatus, bool)],
    ) -> anyhow::Result<()> {
        for (to, by_customer) in steps {
            let actor = if *by_customer {
                Actor::Customer(customer.to_string())
            } else {
                Actor::Vendor {
                    tenant: order.tenant,
                    subject: "demo-owner".into(),
                }
            };
            let change = Change {
                to: *to,
                note: Some("demo data".into()),
                goods_returned: false,
                from: None,
            };
            let changed = self.orders.change(&actor, order.id, change).await?;
            if let Some(payments) = &self.payments {
                payments.order_changed(&changed).await?;
            }
        }
        Ok(())
    }
}

/// One unit of each of `skus`, from the demo products that sell them.
fn cart(products: &[Product], skus: &[&str]) -> anyhow::Result<Vec<CartLine>> {
    skus.iter()
        .map(|sku| {
            let product = products
                .iter()
                .find(|p| p.variants.iter().any(|v| v.sku.as_str() == *sku))
                .ok_or_else(|| anyhow::anyhow!("no demo product sells {sku}"))?;
            Ok(CartLine {
                product: product.id,
                sku: Sku::parse(sku)?,
                quantity: Quantity::parse(1)?,
            })
        })
        .collect()
}
