//! Products and categories through the `Catalog` boundary, against a real
//! MongoDB-wire server and PostgreSQL (stock and the storefront's listings): one
//! fresh database of each per test.

mod categories;
mod products;
mod support;
