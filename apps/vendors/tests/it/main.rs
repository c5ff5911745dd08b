//! Vendors, members and API keys through the `Tenancy` boundary, against a real
//! PostgreSQL: one fresh database per test.

mod keys;
mod members;
mod status;
mod support;
