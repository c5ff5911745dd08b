//! Souk's gateway: the one public API. It verifies credentials, scopes each request
//! to its tenant, serves the composed GraphQL schema of every service, and runs the
//! operator commands (`souk serve`, `souk migrate`, …).

pub mod admission;
pub mod app;
pub mod arguments;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod directory;
pub mod execution;
pub mod graphql;
pub mod intake;
pub mod marketplace;
pub mod media;
pub mod routes;
pub mod serve;
pub mod telemetry;
pub mod throttle;
pub mod webhooks;

pub use app::Application;
pub use config::Settings;
