//! Inventory's GraphQL queries and mutations. Mapping only: arguments are parsed
//! into domain types, the [`Inventory`](crate::Inventory) boundary does the work,
//! and domain errors become [`ApiError`]s with stable codes.

mod errors;
mod location_views;
mod locations;
mod objects;
mod resolvers;
mod settle;

pub use locations::{LocationsMutation, LocationsQuery};
pub use resolvers::{InventoryMutation, InventoryQuery};
