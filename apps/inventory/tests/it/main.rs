//! Inventory against a real PostgreSQL: one fresh database per test.

mod cancellation;
mod concurrency;
mod holds;
mod isolation;
mod locations;
mod operations;
mod support;
