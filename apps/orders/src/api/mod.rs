//! Orders' GraphQL: checkout for customers, order queues for vendors, every
//! order for platform admins.

mod objects;
mod resolvers;
mod ship_from;

pub use objects::{CheckoutInput, OrderView, PaymentMethodView};
pub use resolvers::{
    actor, checkout_error, order_error, order_key, place, AfterChange, OrdersMutation, OrdersQuery,
};
