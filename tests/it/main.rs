//! End-to-end: the platform built from settings, served on a free port, driven
//! over HTTP as its clients drive it.

mod audit;
mod auth;
mod billing;
mod cancellation;
mod catalog;
mod emails;
mod events;
mod faults;
mod hardening;
mod holds;
mod hostile_input;
mod identity;
mod in_stock;
mod inventory;
mod locations;
mod marketplace;
mod media;
mod multipart;
mod operations;
mod order_emails;
mod orders;
mod payments;
mod roles;
mod sessions;
mod shared_limits;
mod state_machine;
mod storefront;
mod support;
mod vendors;
