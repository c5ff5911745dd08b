//! Who is calling and for which tenant.
//!
//! This crate owns [`TenantId`], the caller's [`Principal`] (built only from verified
//! credentials by the gateway), and [`TenantTx`]: the one way to open a PostgreSQL
//! transaction in a tenant's scope, so that row-level security sees the tenant.
//! It also holds what every service needs below its API: the one [`InternalError`],
//! database fault classification ([`fault`]), the MongoDB tenant scope ([`mongo`]),
//! token signing ([`token`]), short-lived authority answers ([`recent`]), audit
//! recording ([`audit`]) and background jobs' clocks ([`ticks`]). It has no GraphQL: the shared edge is `souk-edge`.

pub mod audit;
mod error;
pub mod fault;
mod id;
pub mod mongo;
mod principal;
pub mod recent;
mod scope;
pub mod ticks;
pub mod token;

pub use error::{IntErr, InternalError};
pub use id::{ParseTenantIdError, TenantId};
pub use principal::{require_vendor, AccessError, Principal, Role, Scope, VendorActor};
pub use scope::{escape_like, PlatformPool, PlatformTx, TenantTx, UserTx};
