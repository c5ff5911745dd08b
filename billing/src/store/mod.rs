//! The `billing` schema: plans, subscriptions and their plan history, usage,
//! Stripe's webhook events and usage reports.

mod plans;
mod subscriptions;
mod usage;
mod webhooks;

pub use plans::{insert_plan, plan, plans, retire_plan, subscription_revenue, update_plan};
pub use subscriptions::{
    link_stripe, outbox, plans_held, record_plan_change, subscription, tenant_of_stripe, unsynced,
    update_subscription, SubscriptionUpdate,
};
pub use usage::{daily_usage, mark_reported, pending_reports, record_usage, tenant_limits};
pub use webhooks::first_delivery;
