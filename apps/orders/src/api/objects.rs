use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use souk_edge::{principal, MoneyView};
use souk_tenants::Role;

use souk_catalog::domain::Money;

use crate::domain::{Order, OrderStatus, PaymentMethod, Transition};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "OrderStatus")]
pub enum StatusView {
    Pending,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Refunded,
    Cancelled,
    Expired,
}

impl From<OrderStatus> for StatusView {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => Self::Pending,
            OrderStatus::Paid => Self::Paid,
            OrderStatus::Processing => Self::Processing,
            OrderStatus::Shipped => Self::Shipped,
            OrderStatus::Delivered => Self::Delivered,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::Cancelled => Self::Cancelled,
            OrderStatus::Expired => Self::Expired,
        }
    }
}

impl From<StatusView> for OrderStatus {
    fn from(status: StatusView) -> Self {
        match status {
            StatusView::Pending => Self::Pending,
            StatusView::Paid => Self::Paid,
            StatusView::Processing => Self::Processing,
            StatusView::Shipped => Self::Shipped,
            StatusView::Delivered => Self::Delivered,
            StatusView::Refunded => Self::Refunded,
            StatusView::Cancelled => Self::Cancelled,
            StatusView::Expired => Self::Expired,
        }
    }
}

fn money(money: &Money) -> MoneyView {
    MoneyView::new(money.amount(), money.currency())
}

#[derive(Debug, SimpleObject)]
pub struct OrderLineView {
    pub product_id: ID,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit_price: MoneyView,
    pub total: MoneyView,
}

#[derive(Debug, SimpleObject)]
#[graphql(name = "OrderTransition")]
pub struct TransitionView {
    pub at: DateTime<Utc>,
    pub by: String,
    pub from: Option<StatusView>,
    pub to: StatusView,
    pub note: Option<String>,
}

impl From<&Transition> for TransitionView {
    fn from(t: &Transition) -> Self {
        Self {
            at: t.at,
            by: t.by.clone(),
            from: t.from.map(Into::into),
            to: t.to.into(),
            note: t.note.clone(),
        }
    }
}

#[derive(Debug, SimpleObject)]
#[graphql(name = "ShippingAddress")]
pub struct ShippingView {
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// One vendor's part of a checkout.
#[derive(Debug)]
pub struct OrderView(pub Order);

#[Object(name = "Order")]
impl OrderView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn vendor_id(&self) -> ID {
        ID(self.0.tenant.to_string())
    }
    /// The checkout this order came from (one per customer checkout, across vendors).
    async fn checkout_id(&self) -> &str {
        &self.0.checkout
    }
    async fn customer_id(&self) -> &str {
        &self.0.customer
    }
    async fn status(&self) -> StatusView {
        self.0.status.into()
    }
    async fn payment_method(&self) -> PaymentMethodView {
        self.0.payment_method.into()
    }
    /// The states the caller may move this order to next by
    /// `changeOrderStatus` (a card order's payment and refunds move it through
    /// the others; its customer may only cancel, before the vendor starts work).
    async fn allowed_transitions(&self, ctx: &Context<'_>) -> Vec<StatusView> {
        let next = match principal(ctx).map(|p| p.role) {
            Some(Role::Customer) => self.0.next_by_customer(),
            _ => self.0.next_by_hand(),
        };
        next.into_iter().map(Into::into).collect()
    }
    /// Whether inventory holds stock for this order.
    async fn stock_reserved(&self) -> bool {
        self.0.reserved
    }
    async fn lines(&self) -> Vec<OrderLineView> {
        self.0
            .lines
            .iter()
            .map(|l| OrderLineView {
                product_id: ID(l.product.to_string()),
                sku: l.sku.as_str().to_string(),
                title: l.title.clone(),
                quantity: l.quantity.get(),
                unit_price: money(&l.unit_price),
                total: money(&l.total),
            })
            .collect()
    }
    async fn total(&self) -> MoneyView {
        money(&self.0.total)
    }
    async fn shipping_address(&self) -> ShippingView {
        let s = &self.0.shipping;
        ShippingView {
            recipient: s.recipient.clone(),
            line1: s.line1.clone(),
            line2: s.line2.clone(),
            city: s.city.clone(),
            region: s.region.clone(),
            postal_code: s.postal_code.clone(),
            country: s.country.clone(),
        }
    }
    async fn history(&self) -> Vec<TransitionView> {
        self.0.history.iter().map(Into::into).collect()
    }
    /// Send it back when changing the order.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Debug, InputObject)]
pub struct CartLineInput {
    pub product_id: ID,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, InputObject)]
pub struct ShippingAddressInput {
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, InputObject)]
pub struct CheckoutInput {
    pub lines: Vec<CartLineInput>,
    /// One of the customer's saved addresses…
    pub shipping_address_id: Option<ID>,
    /// …or an address given here.
    pub shipping_address: Option<ShippingAddressInput>,
    /// The same key returns the same result; another cart under a used key is
    /// refused.
    pub idempotency_key: String,
    /// `CARD` (the default): paid online through the checkout's payment.
    /// `MANUAL`: paid offline, for vendors a platform admin allows it.
    pub payment_method: Option<PaymentMethodView>,
}

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
#[graphql(name = "PaymentMethod")]
pub enum PaymentMethodView {
    /// Online, through the checkout's payment.
    #[default]
    Card,
    /// Offline (cash on delivery, bank transfer): the vendor marks it paid.
    Manual,
}

impl From<PaymentMethodView> for PaymentMethod {
    fn from(method: PaymentMethodView) -> Self {
        match method {
            PaymentMethodView::Card => PaymentMethod::Card,
            PaymentMethodView::Manual => PaymentMethod::Manual,
        }
    }
}

impl From<PaymentMethod> for PaymentMethodView {
    fn from(method: PaymentMethod) -> Self {
        match method {
            PaymentMethod::Card => PaymentMethodView::Card,
            PaymentMethod::Manual => PaymentMethodView::Manual,
        }
    }
}
