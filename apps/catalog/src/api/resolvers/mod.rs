//! The catalog's GraphQL root fields: the storefront's and the vendor's reads
//! ([`CatalogQuery`], in `query`) and the vendor's and platform admins' writes
//! ([`CatalogMutation`], in `mutation`), over the helpers they share.

use std::sync::Arc;

use async_graphql::{Context, Result};
use souk_edge::{service, ApiError};

use super::errors::invalid;
use crate::domain::ObjectKey;
use crate::Catalog;

mod media;
mod mutation;
mod query;

pub use media::MediaMutation;
pub use mutation::CatalogMutation;
pub use query::CatalogQuery;

fn catalog<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Catalog>, ApiError> {
    service::<dyn Catalog>(ctx)
}

fn object_key(field: &str, raw: &str) -> Result<ObjectKey, ApiError> {
    ObjectKey::parse(field, raw).map_err(invalid)
}
