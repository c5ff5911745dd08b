//! Payments' PostgreSQL tables (`payments.*`): checkouts, vendor shares,
//! refunds, the ledger, connected accounts, the vendors allowed offline
//! payments and the webhook events applied. Tenant data is read and written in
//! a [`souk_tenants::TenantTx`]; what spans tenants (a checkout's shares, work
//! left half-done, revenue) through the platform role.

pub mod accounts;
pub mod checkouts;
pub mod ledger;
pub mod refunds;
pub mod shares;

pub use accounts::Account;
pub use ledger::{Entry, EntryFilter};
pub use refunds::Refund;
