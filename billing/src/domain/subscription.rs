//! A tenant's subscription and its status.

use chrono::{DateTime, Utc};

/// A subscription's status, as Stripe names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
        }
    }

    /// Stripe's statuses mapped onto ours (`unpaid` and `incomplete*` count as
    /// past due; `paused` as canceled).
    pub fn from_stripe(raw: &str) -> Option<Self> {
        match raw {
            "trialing" => Some(Self::Trialing),
            "active" => Some(Self::Active),
            "past_due" | "unpaid" | "incomplete" => Some(Self::PastDue),
            "canceled" | "incomplete_expired" | "paused" => Some(Self::Canceled),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "trialing" => Some(Self::Trialing),
            "active" => Some(Self::Active),
            "past_due" => Some(Self::PastDue),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// A tenant's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub tenant: souk_tenants::TenantId,
    pub plan_code: String,
    pub status: SubscriptionStatus,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// The Stripe subscription item carrying the plan's price.
    pub stripe_item_id: Option<String>,
    pub version: i64,
}
