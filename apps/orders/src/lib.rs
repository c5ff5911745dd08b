//! Orders: a customer's checkout across vendors becomes one order per vendor.
//!
//! Orders live in MongoDB; stock is held by the inventory service. The two never
//! share a transaction: checkout writes the orders `pending`, reserves each one's
//! stock through the inventory boundary (idempotent by order id), then marks them
//! reserved; if any vendor is short, every reservation of the checkout is released.
//! The [`reconciler`] repairs a saga that stopped half-way.
//!
//! * [`domain`]: order states, the transition table and its stock effects.
//! * `store`: order and checkout documents (private to this crate).
//! * [`service`]: the [`Orders`] boundary; [`outbox`]: its events, for the relay.
//! * [`api`], the GraphQL queries and mutations.

pub mod api;
pub mod domain;
pub mod mail;
pub mod outbox;
pub mod reconciler;
pub mod service;
pub(crate) mod store;

pub use service::{MongoOrders, Orders};
pub use store::create_indexes;
