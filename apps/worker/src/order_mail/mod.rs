//! Emails about orders: customers hear when their checkout is placed and when
//! each order is paid, shipped, delivered, cancelled, expires or is refunded;
//! vendors' owners and managers who asked for it hear of each new order.
//!
//! The order events leave MongoDB through the order relay to RabbitMQ. A durable
//! queue ([`queue::QUEUE`], declared by the worker's publishers before they
//! publish, so no event can miss it) takes them; [`queue::consume`] turns each event into the
//! emails it owes, rows of `souk.order_emails` keyed by what the email is (the
//! checkout for "placed", the event for the rest), and acknowledges the message
//! only once they are written: an event delivered twice, to one worker or two,
//! or again after a restart, owes its emails once. [`send::run`] claims a due
//! row for two minutes (`FOR UPDATE SKIP LOCKED`, so replicas share the work),
//! renders it from the orders as they are and what their history says, sends it
//! to each recipient on their own, and records the outcome; a failed send is
//! retried with growing delays and never holds up the relay or the queue.
//! Only a worker that stops between the SMTP server's acceptance and that record
//! sends an email twice, with the same `Message-ID`.

pub mod compose;
pub mod queue;
pub mod send;

use async_trait::async_trait;
use souk_identity::domain::NotificationPreferences;
use souk_orders::domain::Order;
use souk_orders::mail::Checkout;
use uuid::Uuid;

/// A person as their emails see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    /// How to greet them.
    pub name: String,
    pub preferences: NotificationPreferences,
}

/// What the order emails read from the services.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// `None` when there is no such account.
    async fn person(&self, user: Uuid) -> Result<Option<Person>, String>;
    async fn vendor_name(&self, tenant: Uuid) -> Result<String, String>;
    /// The addresses of the vendor's owners and managers who asked for
    /// new-order emails.
    async fn new_order_recipients(&self, tenant: Uuid) -> Result<Vec<String>, String>;
    /// The customer's checkout with every order of it.
    async fn checkout(&self, customer: &str, checkout: &str) -> Result<Checkout, String>;
    async fn order(&self, tenant: Uuid, id: &str) -> Result<Option<Order>, String>;
}
