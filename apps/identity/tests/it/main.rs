//! Accounts, sessions and addresses through the `Identity` boundary, against a
//! real PostgreSQL: one fresh database per test.

mod accounts;
mod addresses;
mod sessions;
mod support;
