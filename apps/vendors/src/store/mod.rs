//! Tenancy's SQL (schema `tenancy`). Memberships and keys are read and written in
//! a tenant's scope ([`souk_tenants::TenantTx`]) or, for a person's own memberships, a user's
//! scope ([`souk_tenants::UserTx`]); row-level security enforces both.

mod api_keys;
mod memberships;
mod tenants;

pub use api_keys::*;
pub use memberships::*;
pub use tenants::*;

/// A stored value this code cannot read (a row written by a newer version, or damaged).
pub(super) fn decode_error(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {raw:?}").into())
}
