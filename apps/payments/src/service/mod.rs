//! Payments' operations, one file per use case: `start` (a checkout's payment),
//! `settle` (what a payment's success or failure does to its orders), `refund`,
//! `payouts` (transfers, connected accounts, balances, revenue) and `webhooks`
//! (Stripe's events).

use std::sync::Arc;

use souk_billing::Billing;
use souk_catalog::domain::ObjectKey;
use souk_orders::domain::{Order, OrderError};
use souk_orders::service::Actor;
use souk_orders::Orders;
use souk_tenants::{InternalError, PlatformPool, PlatformTx, TenantId};
use sqlx::PgPool;

use crate::domain::ProviderKind;
use crate::provider::{PaymentProvider, ProviderError};
use crate::store;

mod payouts;
mod refund;
mod repair;
mod settle;
mod start;
mod webhooks;

pub use crate::store::{Account, Entry, EntryFilter, Refund};
pub use payouts::{Onboarding, Payouts, Revenue};
pub use refund::RefundInput;
pub use repair::{Cursor, Repairs};
pub use start::CheckoutPayment;
pub use webhooks::{reads as webhooks_read, reads_from_accounts as connect_webhooks_read, Applied};

/// The payments service acts on orders as this.
pub(crate) const SYSTEM: Actor = Actor::System("payments");

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("no such payment")]
    NotFound,
    #[error("no such vendor")]
    UnknownVendor,
    #[error("your role may not do this")]
    Forbidden,
    #[error("{field}: {message}")]
    Invalid {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    /// The test provider is not this deployment's provider.
    #[error("the test payment provider is not enabled here")]
    TestProviderDisabled,
    /// The checkout's payment is not open any more.
    #[error("this checkout's payment is {0}")]
    Closed(&'static str),
    /// The order's money is not where a refund could take it from.
    #[error("this order is {0}; only paid orders are refunded")]
    NotRefundable(&'static str),
    /// What an event is about is not written down here yet (its creation's
    /// answer is on its way): the event is refused, to be delivered again.
    #[error("{0} is not recorded yet; deliver it again later")]
    NotRecordedYet(&'static str),
    /// The order kept changing while this ran; the step is finished later.
    #[error("the order changed meanwhile; try again")]
    Conflict,
    #[error("at most {refundable} can be refunded")]
    TooMuch { refundable: i64 },
    /// The provider did not answer; the step is retried under its key.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for PaymentError {
    fn from(err: sqlx::Error) -> Self {
        PaymentError::Internal(err.into())
    }
}

impl From<OrderError> for PaymentError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::Internal(inner) => PaymentError::Internal(inner),
            OrderError::NotFound => PaymentError::NotFound,
            OrderError::Conflict => PaymentError::Conflict,
            other => PaymentError::Internal(InternalError::new(other)),
        }
    }
}

/// Where the platform sends vendors back to from the provider's onboarding.
#[derive(Debug, Clone)]
pub struct Links {
    /// The public address of the web apps, e.g. `https://souk.example`.
    pub public_url: String,
    /// Stripe's publishable key, for the storefront's Payment Element.
    pub publishable_key: Option<String>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Payments {
    pool: PgPool,
    platform: PlatformPool,
    orders: Arc<dyn Orders>,
    billing: Arc<Billing>,
    provider: Arc<dyn PaymentProvider>,
    links: Links,
}

impl Payments {
    pub fn new(
        pool: PgPool,
        platform: PlatformPool,
        orders: Arc<dyn Orders>,
        billing: Arc<Billing>,
        provider: Arc<dyn PaymentProvider>,
        links: Links,
    ) -> Self {
        Self {
            pool,
            platform,
            orders,
            billing,
            provider,
            links,
        }
    }

    pub fn publishable_key(&self) -> Option<&str> {
        self.links.publishable_key.as_deref()
    }

    /// Who moves this deployment's money.
    pub fn provider(&self) -> ProviderKind {
        self.provider.kind()
    }

    /// The vendors a platform admin allows to take offline payments.
    pub async fn manual_vendors(&self) -> Result<Vec<TenantId>, PaymentError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let vendors = store::checkouts::manual_vendors(&mut tx).await?;
        tx.commit().await?;
        Ok(vendors)
    }

    /// Platform admins: allows or stops offline payments for a vendor.
    pub async fn set_manual(
        &self,
        tenant: TenantId,
        enabled: bool,
        by: &str,
    ) -> Result<(), PaymentError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        match store::checkouts::set_manual(&mut tx, tenant, enabled, by).await {
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                return Err(PaymentError::UnknownVendor)
            }
            other => other?,
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Payments {
    /// The order `id` as `actor` may see it.
    pub(crate) async fn order_for(&self, actor: &Actor, id: &str) -> Result<Order, PaymentError> {
        self.orders
            .order(actor, order_key(id)?)
            .await?
            .ok_or(PaymentError::NotFound)
    }
}

/// An order id as orders names it.
pub(crate) fn order_key(raw: &str) -> Result<ObjectKey, PaymentError> {
    ObjectKey::parse("orderId", raw).map_err(|_| PaymentError::Invalid {
        code: "INVALID_ID",
        field: "orderId",
        message: "not an order id".into(),
    })
}
