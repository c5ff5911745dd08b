//! Billing: what each tenant may do, what it used, what it owes, and Stripe kept
//! in step.
//!
//! * [`domain`]: plans, subscriptions, monthly periods and the invoice preview.
//! * [`meter`]: exact per-request counting, flushed to PostgreSQL every second.
//! * [`gate`]: the per-tenant plan rate limits and quotas, and per-visitor limits.
//! * [`service`]: plans, subscriptions, usage, invoice preview, webhooks.
//! * [`stripe`]: customers, subscriptions and meter events through async-stripe.
//! * [`webhook`]: Stripe signature verification.
//! * [`api`]: the GraphQL queries and mutations.

pub mod api;
pub mod domain;
pub mod gate;
pub mod meter;
pub mod service;
mod store;
pub mod stripe;
pub mod webhook;

pub use service::{Billing, BillingError};
