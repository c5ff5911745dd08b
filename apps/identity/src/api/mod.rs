//! Identity's GraphQL: accounts, sessions, profile, addresses, and the platform
//! admins' user directory.

mod errors;
mod objects;
mod resolvers;

pub use resolvers::{IdentityMutation, IdentityQuery};
