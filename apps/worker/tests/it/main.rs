//! The worker's integration tests: the PostgreSQL outbox relayed to the
//! running RabbitMQ.

mod relay;
mod support;
