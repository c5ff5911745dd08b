//! Identity: who people are and how they prove it.
//!
//! * [`domain`]: emails, passwords, names, addresses and the per-operation errors.
//! * [`hashing`]: argon2id on the blocking pool, bounded so that hashing cannot
//!   starve other requests, with a dummy hash for unknown accounts.
//! * [`store`]: the SQL (schema `identity`).
//! * [`service`]: the [`Identity`] boundary and its PostgreSQL implementation;
//!   `signin`, its sessions (sign-in, refresh-token rotation, sign-out).
//! * [`api`]: GraphQL queries and mutations.

pub mod api;
pub mod domain;
pub mod hashing;
pub mod service;
mod signin;
pub(crate) mod store;

pub use service::{Identity, PgIdentity};
