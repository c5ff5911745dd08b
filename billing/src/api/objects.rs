//! Billing's GraphQL objects.

use async_graphql::{Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{InvoicePreview, OverQuota, Plan, Subscription, SubscriptionStatus};
use crate::service::Usage;

/// An amount of money in minor units (cents) of `currency`.
#[derive(Debug, SimpleObject)]
pub struct BillingAmount {
    pub amount: i64,
    pub currency: String,
}

/// What happens to requests over a plan's included ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OverQuotaPolicy {
    /// Refused with `QUOTA_EXCEEDED` until the next period or an upgrade.
    Reject,
    /// Served and billed as overage.
    Bill,
}

impl From<OverQuotaPolicy> for OverQuota {
    fn from(policy: OverQuotaPolicy) -> Self {
        match policy {
            OverQuotaPolicy::Reject => OverQuota::Reject,
            OverQuotaPolicy::Bill => OverQuota::Bill,
        }
    }
}

pub struct PlanView(pub Plan);

impl std::fmt::Debug for PlanView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[Object(name = "Plan")]
impl PlanView {
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The monthly price.
    async fn price(&self) -> BillingAmount {
        BillingAmount {
            amount: self.0.price,
            currency: self.0.currency.clone(),
        }
    }
    /// Requests included each month.
    async fn included_requests(&self) -> i64 {
        self.0.included_requests
    }
    /// The price of 1,000 requests over the included ones.
    async fn overage_per_thousand(&self) -> BillingAmount {
        BillingAmount {
            amount: self.0.overage_per_thousand,
            currency: self.0.currency.clone(),
        }
    }
    async fn rate_per_second(&self) -> u32 {
        self.0.rate_per_second
    }
    async fn burst(&self) -> u32 {
        self.0.burst
    }
    async fn over_quota(&self) -> OverQuotaPolicy {
        match self.0.over_quota {
            OverQuota::Reject => OverQuotaPolicy::Reject,
            OverQuota::Bill => OverQuotaPolicy::Bill,
        }
    }
    async fn stripe_price_id(&self) -> Option<&str> {
        self.0.stripe_price_id.as_deref()
    }
    /// Basis points of each vendor order's total the platform keeps.
    async fn commission_bps(&self) -> u32 {
        self.0.commission.bps()
    }
    /// The fixed part of the commission on each vendor order.
    async fn commission_fixed(&self) -> BillingAmount {
        BillingAmount {
            amount: self.0.commission.fixed(),
            currency: self.0.currency.clone(),
        }
    }
    /// When the plan was taken off sale, if it was.
    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.0.retired_at
    }
}

/// A plan's terms, as a platform admin sets them.
#[derive(Debug, InputObject)]
pub struct PlanInput {
    pub name: String,
    /// Monthly price in minor units.
    pub price: i64,
    /// ISO 4217, e.g. EUR.
    pub currency: String,
    pub included_requests: i64,
    /// Minor units per 1,000 requests over the included ones.
    pub overage_per_thousand: i64,
    pub rate_per_second: i32,
    pub burst: i32,
    pub over_quota: OverQuotaPolicy,
    pub stripe_price_id: Option<String>,
    /// Basis points of each vendor order's total the platform keeps (0 to
    /// 10000); with `commissionFixed`, omitted keeps the plan's commission.
    pub commission_bps: Option<i64>,
    /// Minor units the platform keeps of each vendor order.
    pub commission_fixed: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SubscriptionStatus")]
pub enum StatusView {
    Trialing,
    Active,
    PastDue,
    Canceled,
}

impl From<SubscriptionStatus> for StatusView {
    fn from(status: SubscriptionStatus) -> Self {
        match status {
            SubscriptionStatus::Trialing => StatusView::Trialing,
            SubscriptionStatus::Active => StatusView::Active,
            SubscriptionStatus::PastDue => StatusView::PastDue,
            SubscriptionStatus::Canceled => StatusView::Canceled,
        }
    }
}

pub struct SubscriptionView {
    pub subscription: Subscription,
    pub plan: Plan,
}

impl std::fmt::Debug for SubscriptionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.subscription.fmt(f)
    }
}

/// A vendor's subscription.
#[Object(name = "PlanSubscription")]
impl SubscriptionView {
    async fn tenant_id(&self) -> ID {
        ID(self.subscription.tenant.to_string())
    }
    async fn plan(&self) -> PlanView {
        PlanView(self.plan.clone())
    }
    async fn status(&self) -> StatusView {
        self.subscription.status.into()
    }
    async fn period_start(&self) -> DateTime<Utc> {
        self.subscription.period_start
    }
    async fn period_end(&self) -> DateTime<Utc> {
        self.subscription.period_end
    }
    /// Whether the subscription ends at the end of this period.
    async fn cancel_at_period_end(&self) -> bool {
        self.subscription.cancel_at_period_end
    }
}

/// Requests on one UTC day.
#[derive(Debug, SimpleObject)]
pub struct DailyUsage {
    pub day: NaiveDate,
    pub requests: i64,
}

pub struct UsageView(pub Usage);

impl std::fmt::Debug for UsageView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A vendor's requests in one period.
#[Object(name = "Usage")]
impl UsageView {
    /// `YYYY-MM`.
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    async fn requests(&self) -> i64 {
        self.0.requests
    }
    /// Requests the current plan includes each month.
    async fn included_requests(&self) -> i64 {
        self.0.included
    }
    async fn remaining(&self) -> i64 {
        (self.0.included - self.0.requests).max(0)
    }
    /// Days with requests, oldest first.
    async fn days(&self) -> Vec<DailyUsage> {
        self.0
            .days
            .iter()
            .map(|(day, requests)| DailyUsage {
                day: *day,
                requests: *requests,
            })
            .collect()
    }
}

/// One line of an invoice.
#[derive(Debug, SimpleObject)]
pub struct InvoiceLineView {
    pub description: String,
    pub quantity: i64,
    pub amount: BillingAmount,
}

pub struct InvoicePreviewView(pub InvoicePreview);

impl std::fmt::Debug for InvoicePreviewView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a period costs so far.
#[Object(name = "InvoicePreview")]
impl InvoicePreviewView {
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    async fn requests(&self) -> i64 {
        self.0.requests
    }
    async fn lines(&self) -> Vec<InvoiceLineView> {
        self.0
            .lines
            .iter()
            .map(|line| InvoiceLineView {
                description: line.description.clone(),
                quantity: line.quantity,
                amount: BillingAmount {
                    amount: line.amount,
                    currency: self.0.currency.clone(),
                },
            })
            .collect()
    }
    async fn total(&self) -> BillingAmount {
        BillingAmount {
            amount: self.0.total,
            currency: self.0.currency.clone(),
        }
    }
}
