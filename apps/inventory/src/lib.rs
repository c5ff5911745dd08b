//! Inventory: the one scarce resource, so the one place where correctness beats
//! throughput.
//!
//! Per tenant and SKU the service keeps `on_hand` and `reserved`; `available` is
//! their difference and never negative. Every change is one PostgreSQL transaction
//! that writes its ledger row, inside the tenant's row-level security scope.
//!
//! * [`domain`]: the types, rules and per-operation errors (no I/O).
//! * [`store`]: the SQL, one function per statement, on a [`souk_tenants::TenantTx`].
//! * [`service`]: the [`Inventory`] boundary trait and its PostgreSQL implementation;
//!   the GraphQL layer and the orders service call the trait.
//! * [`api`]: the GraphQL queries and mutations (mapping only).
//! * [`batcher`]: group commit for reservations (one call per batch of orders).
//! * [`expiry`]: the background task that expires overdue reservations.

pub mod api;
pub mod batcher;
pub mod domain;
pub mod expiry;
pub mod service;
pub(crate) mod store;

pub use service::{Inventory, PgInventory, StockLocations};
