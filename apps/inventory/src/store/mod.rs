//! Inventory's SQL. Every function runs on a [`TenantTx`](souk_tenants::TenantTx),
//! so row-level security scopes every statement to the transaction's tenant; the
//! statements also name the tenant themselves, so they use the primary keys.

pub mod audit;
pub mod ledger;
pub mod locations;
pub mod placement;
pub mod reservations;
pub mod stock;
