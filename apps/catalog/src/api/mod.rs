//! The catalog's GraphQL: the vendor's products, the public storefront, and the
//! platform admins' category tree. Stock availability is loaded through one
//! batched inventory call per tenant per request ([`AvailabilityLoader`]).

mod cursor;
mod errors;
mod loader;
mod objects;
mod resolvers;
mod storefront;

pub use loader::{AvailabilityLoader, VendorNameLoader};
pub use resolvers::{CatalogMutation, CatalogQuery, MediaMutation};
