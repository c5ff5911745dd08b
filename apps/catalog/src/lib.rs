//! The catalog: what vendors sell, and the storefront where customers find it.
//!
//! Products live in MongoDB in one shared collection, each document carrying its
//! tenant; vendor-side code reaches it only through a tenant-scoped handle. Stock
//! is inventory's: creating a variant creates its stock item through the
//! inventory boundary, and the storefront reads availability through it, batched.
//!
//! * [`domain`]: money, products, variants, categories and their rules.
//! * [`store`]: the MongoDB documents, queries and indexes.
//! * [`listings`]: the storefront's read model in PostgreSQL, and its projector.
//! * [`service`]: the [`Catalog`] boundary.
//! * [`api`]: GraphQL, with the availability DataLoader.

pub mod api;
pub mod domain;
pub mod listings;
pub mod service;
pub(crate) mod store;

pub use service::{Catalog, MongoCatalog};
