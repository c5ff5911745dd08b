//! Payments' GraphQL objects.

use async_graphql::{Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use souk_edge::MoneyView;
use souk_orders::api::OrderView;
use souk_tenants::TenantId;

use crate::domain::ShareStatus;
use crate::domain::{Balance, CheckoutPayment, CheckoutStatus, EntryKind, ProviderKind, Share};
use crate::service::{Onboarding, Revenue};
use crate::store::{Account, Entry, Refund};

/// Who moves a payment's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PaymentProvider")]
pub enum ProviderView {
    /// Stripe Connect.
    Stripe,
    /// The built-in test provider: no money moves (demos and tests).
    Test,
    /// Paid offline: cash on delivery or bank transfer.
    Manual,
}

impl From<ProviderKind> for ProviderView {
    fn from(kind: ProviderKind) -> Self {
        match kind {
            ProviderKind::Stripe => Self::Stripe,
            ProviderKind::Test => Self::Test,
            ProviderKind::Manual => Self::Manual,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "PaymentStatus")]
pub enum PaymentStatusView {
    Open,
    Succeeded,
    Failed,
    Canceled,
}

impl From<CheckoutStatus> for PaymentStatusView {
    fn from(status: CheckoutStatus) -> Self {
        match status {
            CheckoutStatus::Open => Self::Open,
            CheckoutStatus::Succeeded => Self::Succeeded,
            CheckoutStatus::Failed => Self::Failed,
            CheckoutStatus::Canceled => Self::Canceled,
        }
    }
}

/// The payment that completes a checkout.
#[derive(Debug)]
pub struct CheckoutPaymentView(pub CheckoutPayment);

#[Object(name = "CheckoutPayment")]
impl CheckoutPaymentView {
    async fn checkout_id(&self) -> ID {
        ID(self.0.checkout_id.clone())
    }
    async fn provider(&self) -> ProviderView {
        self.0.provider.into()
    }
    async fn status(&self) -> PaymentStatusView {
        self.0.status.into()
    }
    /// The sum of the checkout's vendor orders.
    async fn amount(&self) -> MoneyView {
        MoneyView::new(self.0.amount, &self.0.currency)
    }
    /// For Stripe's Payment Element.
    async fn client_secret(&self) -> Option<&str> {
        match self.0.provider {
            ProviderKind::Stripe => self.0.client_secret.as_deref(),
            _ => None,
        }
    }
    /// The test provider's handle of this payment (`payTestCheckout` completes it).
    async fn test_handle(&self) -> Option<&str> {
        match self.0.provider {
            ProviderKind::Test => self.0.intent_id.as_deref(),
            _ => None,
        }
    }
    /// Why the payment failed, when it did.
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }
}

/// A checkout: one order per vendor and the one payment that pays them.
#[derive(Debug, SimpleObject)]
pub struct CheckoutResult {
    pub checkout_id: String,
    /// One order per vendor.
    pub orders: Vec<OrderView>,
    pub payment: CheckoutPaymentView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "OrderPaymentStatus")]
pub enum ShareStatusView {
    /// The checkout is not paid yet.
    Awaiting,
    Paid,
    /// All of it went back to the customer.
    Refunded,
    /// The payment failed or was cancelled: no money moved.
    Voided,
}

impl From<ShareStatus> for ShareStatusView {
    fn from(status: ShareStatus) -> Self {
        match status {
            ShareStatus::Awaiting => Self::Awaiting,
            ShareStatus::Paid => Self::Paid,
            ShareStatus::Refunded => Self::Refunded,
            ShareStatus::Voided => Self::Voided,
        }
    }
}

/// One vendor order's money.
#[derive(Debug)]
pub struct OrderPaymentView {
    pub share: Share,
    pub refunds: Vec<Refund>,
    /// Customers see what they paid and got back, not the vendor's terms.
    pub vendor_side: bool,
}

#[Object(name = "OrderPayment")]
impl OrderPaymentView {
    async fn order_id(&self) -> ID {
        ID(self.share.order_id.clone())
    }
    async fn status(&self) -> ShareStatusView {
        self.share.status.into()
    }
    async fn amount(&self) -> MoneyView {
        MoneyView::new(self.share.amount, &self.share.currency)
    }
    /// What the customer paid for this order.
    async fn paid(&self) -> MoneyView {
        let paid = match self.share.status {
            ShareStatus::Paid | ShareStatus::Refunded => self.share.amount,
            _ => 0,
        };
        MoneyView::new(paid, &self.share.currency)
    }
    async fn refunded(&self) -> MoneyView {
        MoneyView::new(self.share.refunded, &self.share.currency)
    }
    /// Why the platform refunded it by itself, when it did.
    async fn note(&self) -> Option<&str> {
        self.share.note.as_deref()
    }
    /// Vendors and admins: the platform's commission, net of what refunds returned.
    async fn commission(&self) -> Option<MoneyView> {
        self.vendor_side.then(|| {
            MoneyView::new(
                self.share.commission - self.share.commission_returned,
                &self.share.currency,
            )
        })
    }
    /// Vendors and admins: what moved to the vendor's account, net of reversals.
    async fn transferred(&self) -> Option<MoneyView> {
        self.vendor_side.then(|| {
            MoneyView::new(
                self.share.transferred - self.share.reversed,
                &self.share.currency,
            )
        })
    }
    async fn refunds(&self) -> Vec<RefundView> {
        self.refunds
            .iter()
            .map(|r| RefundView {
                id: ID(r.id.to_string()),
                amount: MoneyView::new(r.amount, &self.share.currency),
                reason: r.reason.clone(),
                automatic: r.automatic,
                goods_returned: r.goods_returned,
                done: r.done,
                created_at: r.created_at,
            })
            .collect()
    }
}

#[derive(Debug, SimpleObject)]
#[graphql(name = "Refund")]
pub struct RefundView {
    pub id: ID,
    pub amount: MoneyView,
    pub reason: String,
    /// Made by the platform itself: the order could not stand when its payment came.
    pub automatic: bool,
    pub goods_returned: bool,
    /// Whether the money has moved (otherwise it is being retried).
    pub done: bool,
    pub created_at: DateTime<Utc>,
}

/// A vendor's connected account.
#[derive(Debug, SimpleObject)]
#[graphql(name = "PayoutAccount")]
pub struct AccountView {
    pub account_id: String,
    pub payouts_enabled: bool,
    pub charges_enabled: bool,
    /// What the provider still needs from the vendor.
    pub requirements_due: Vec<String>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            account_id: a.account_id,
            payouts_enabled: a.payouts_enabled,
            charges_enabled: a.charges_enabled,
            requirements_due: a.requirements,
        }
    }
}

#[derive(Debug, SimpleObject)]
#[graphql(name = "PayoutOnboarding")]
pub struct OnboardingView {
    /// Where the vendor completes onboarding (single use).
    pub url: String,
    pub account: AccountView,
}

impl From<Onboarding> for OnboardingView {
    fn from(o: Onboarding) -> Self {
        Self {
            url: o.url,
            account: o.account.into(),
        }
    }
}

/// A vendor's money in one currency.
#[derive(Debug, SimpleObject)]
#[graphql(name = "PayoutBalance")]
pub struct BalanceView {
    pub currency: String,
    /// Charges less commission and refunds.
    pub earned: i64,
    /// Earned on orders not shipped yet.
    pub pending: i64,
    /// Earned on shipped orders, not transferred yet.
    pub transferable: i64,
    /// Moved to the vendor's account, net of reversals.
    pub transferred: i64,
}

impl From<Balance> for BalanceView {
    fn from(b: Balance) -> Self {
        Self {
            transferable: b.transferable(),
            currency: b.currency,
            earned: b.earned,
            pending: b.pending,
            transferred: b.transferred,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "LedgerEntryKind")]
pub enum EntryKindView {
    Charge,
    Commission,
    Transfer,
    Refund,
    CommissionRefund,
    Reversal,
}

impl From<EntryKind> for EntryKindView {
    fn from(kind: EntryKind) -> Self {
        match kind {
            EntryKind::Charge => Self::Charge,
            EntryKind::Commission => Self::Commission,
            EntryKind::Transfer => Self::Transfer,
            EntryKind::Refund => Self::Refund,
            EntryKind::CommissionRefund => Self::CommissionRefund,
            EntryKind::Reversal => Self::Reversal,
        }
    }
}

impl From<EntryKindView> for EntryKind {
    fn from(kind: EntryKindView) -> Self {
        match kind {
            EntryKindView::Charge => Self::Charge,
            EntryKindView::Commission => Self::Commission,
            EntryKindView::Transfer => Self::Transfer,
            EntryKindView::Refund => Self::Refund,
            EntryKindView::CommissionRefund => Self::CommissionRefund,
            EntryKindView::Reversal => Self::Reversal,
        }
    }
}

/// One payments ledger entry; amounts are signed from the vendor's side.
#[derive(Debug, SimpleObject)]
#[graphql(name = "LedgerEntry")]
pub struct EntryView {
    pub order_id: ID,
    pub kind: EntryKindView,
    pub amount: MoneyView,
    /// The Stripe (or test provider) object behind it.
    pub provider_object: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        Self {
            order_id: ID(e.order_id),
            kind: e.kind.into(),
            amount: MoneyView::new(e.amount, e.currency),
            provider_object: e.stripe_object,
            at: e.at,
        }
    }
}

/// A vendor's balance, for platform admins.
#[derive(Debug, SimpleObject)]
pub struct VendorBalance {
    pub vendor_id: ID,
    pub balance: BalanceView,
}

impl From<(TenantId, Balance)> for VendorBalance {
    fn from((tenant, balance): (TenantId, Balance)) -> Self {
        Self {
            vendor_id: ID(tenant.to_string()),
            balance: balance.into(),
        }
    }
}

/// What the platform earned in a period.
#[derive(Debug, SimpleObject)]
pub struct PlatformRevenue {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Commission kept on vendor orders, net of refunds, per currency.
    pub commission: Vec<MoneyView>,
    /// Subscriptions (plan prices pro-rated over the period), per currency.
    pub subscriptions: Vec<MoneyView>,
}

impl PlatformRevenue {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, revenue: Revenue) -> Self {
        let money = |rows: Vec<(String, i64)>| {
            rows.into_iter()
                .map(|(currency, amount)| MoneyView::new(amount, currency))
                .collect()
        };
        Self {
            from,
            to,
            commission: money(revenue.commission),
            subscriptions: money(revenue.subscriptions),
        }
    }
}

/// How this deployment takes payments.
#[derive(Debug, SimpleObject)]
pub struct PaymentSettings {
    pub provider: ProviderView,
    /// Stripe's publishable key, for the Payment Element.
    pub publishable_key: Option<String>,
}
