//! Orders' GraphQL: checkout for customers, order queues for vendors, every
//! order for platform admins.

mod objects;
mod resolvers;

pub use resolvers::{OrdersMutation, OrdersQuery};
