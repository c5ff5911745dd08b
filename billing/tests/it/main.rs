//! Billing's integration tests: the Billing boundary, its gate and its meter
//! against PostgreSQL.

mod metering;
mod plans;
mod support;
mod webhooks;
