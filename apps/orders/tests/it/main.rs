//! Checkouts and order changes through the `Orders` boundary, against a real
//! MongoDB-wire server and PostgreSQL (catalog listings and inventory): one fresh
//! database of each per test.

mod changes;
mod checkout;
mod support;
