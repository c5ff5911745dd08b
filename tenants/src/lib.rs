//! Who is calling and for which tenant.
//!
//! This crate owns [`TenantId`], the caller's [`Principal`] (built only from verified
//! credentials by the gateway), and [`TenantTx`]: the one way to open a PostgreSQL
//! transaction in a tenant's scope, so that row-level security sees the tenant.
//! The [`api`] module holds what every service's GraphQL layer shares: the stable
//! error codes and the request id that internal errors point to.

pub mod api;
pub mod audit;
pub mod fault;
mod id;
pub mod input;
pub mod mongo;
mod principal;
pub mod recent;
mod scope;
pub mod token;
pub mod vendors;

pub use id::{ParseTenantIdError, TenantId};
pub use principal::{require_vendor, AccessError, Principal, Role, VendorActor};
pub use scope::{PlatformPool, PlatformTx, TenantTx, UserTx};
