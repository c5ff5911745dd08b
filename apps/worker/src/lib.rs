//! `souk worker`: relays outbox events to RabbitMQ.
//!
//! Every change that causes an event writes it to `souk.outbox` in the same
//! PostgreSQL transaction. The relay claims batches (`FOR UPDATE SKIP LOCKED`, only
//! the oldest unsent event of each partition, so events of one SKU or one
//! reservation keep their order), publishes them to the topic exchange
//! `souk.events` with the event type as routing key and waits for the broker's
//! confirms, and only then marks them sent, in the same transaction as the claim.
//! Delivery is at least once: a relay that dies after publishing and before
//! committing publishes those events again, and consumers dedupe by the message
//! id (the event id). While the broker is away, events wait in the outbox.
//! The worker claims events as the platform role (`souk_platform_job`), the one
//! role allowed to work across tenants; the app role cannot.
//!
//! Order events live in MongoDB with the orders: each order change writes its
//! event to `order_events` in the same MongoDB transaction, and [`order_relay`]
//! sends them the same way (leases instead of row locks).
//!
//! Emails: [`notify`] tells vendors' owners of low stock; [`order_mail`] tells
//! customers of their orders and vendors of new ones.

pub mod mail;
pub mod notify;
pub mod order_mail;
pub mod order_relay;
mod recipients;
pub mod relay;

pub use recipients::ServiceRecipients;
pub use relay::{Publisher, RelayError};
