//! Marketplace payments: a customer pays once for a checkout that spans
//! vendors; each vendor's order is paid through the order state machine, the
//! platform keeps its plan's commission, and each vendor is paid out when its
//! order ships.
//!
//! * [`domain`]: providers, payment and share states, the ledger's kinds and
//!   the integer arithmetic of commissions, refunds and reversals.
//! * [`provider`]: the [`provider::PaymentProvider`] boundary, with Stripe
//!   Connect and the test provider.
//! * `store`: the `payments` schema in PostgreSQL (tenant-scoped by RLS; the
//!   ledger append-only for the app role).
//! * [`service`]: [`Payments`], one file per use case; [`reconciler`]: the
//!   repair of every half-done step.
//! * [`api`]: the GraphQL queries and mutations (checkout's payment, refunds,
//!   payouts, revenue).

pub mod api;
pub mod domain;
pub mod provider;
pub mod reconciler;
pub mod service;
pub(crate) mod store;

pub use service::{PaymentError, Payments};
