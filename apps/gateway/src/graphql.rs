//! The one GraphQL schema, composed from every service's parts, and the hardening
//! that applies to all of it.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{
    EmptySubscription, ErrorExtensionValues, MergedObject, Schema, ServerError, ValidationResult,
};
use souk_billing::api::{BillingMutation, BillingQuery};
use souk_billing::Billing;
use souk_catalog::api::{
    AvailabilityLoader, CatalogMutation, CatalogQuery, MediaMutation, VendorNameLoader,
};
use souk_catalog::Catalog;
use souk_edge::audit::AuditQuery;
use souk_edge::Throttle;
use souk_identity::api::{IdentityMutation, IdentityQuery};
use souk_identity::Identity;
use souk_inventory::api::{InventoryMutation, InventoryQuery, LocationsMutation, LocationsQuery};
use souk_inventory::{Inventory, StockLocations};
use souk_orders::api::{AfterChange, OrdersMutation, OrdersQuery};
use souk_orders::Orders;
use souk_payments::api::{PaymentsMutation, PaymentsQuery};
use souk_payments::Payments;
use souk_tenants::audit::AuditLog;
use souk_vendors::api::{AccessTokens, Directory, TenancyMutation, TenancyQuery};
use souk_vendors::service::Tenancy;

/// Every query of every service.
#[derive(MergedObject, Default, Debug)]
pub struct Query(
    IdentityQuery,
    TenancyQuery,
    CatalogQuery,
    InventoryQuery,
    LocationsQuery,
    OrdersQuery,
    AuditQuery,
    BillingQuery,
    PaymentsQuery,
);

/// Every mutation of every service.
#[derive(MergedObject, Default, Debug)]
pub struct Mutation(
    IdentityMutation,
    TenancyMutation,
    CatalogMutation,
    MediaMutation,
    InventoryMutation,
    LocationsMutation,
    OrdersMutation,
    BillingMutation,
    PaymentsMutation,
);

/// The services the schema's resolvers call.
#[derive(Debug, Clone)]
pub struct Services {
    pub catalog: Arc<dyn Catalog>,
    pub orders: Arc<dyn Orders>,
    pub inventory: Arc<dyn Inventory>,
    pub locations: Arc<dyn StockLocations>,
    pub identity: Arc<dyn Identity>,
    pub tenancy: Arc<dyn Tenancy>,
    pub directory: Arc<dyn Directory>,
    pub throttle: Arc<dyn Throttle>,
    pub audit: Arc<AuditLog>,
    pub billing: Arc<Billing>,
    pub payments: Arc<Payments>,
    pub media: Arc<dyn souk_media::Media>,
    /// Absent when this process holds no signing key.
    pub tokens: Option<AccessTokens>,
}

pub type SoukSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits on what one GraphQL request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

/// The schema with the services it calls.
pub fn build_schema(limits: QueryLimits, services: Services) -> SoukSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(DataLoader::new(
            AvailabilityLoader::new(services.inventory.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            VendorNameLoader::new(services.tenancy.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            souk_media::api::ImagesLoader(services.media.clone()),
            tokio::spawn,
        ))
        .data(services.media)
        .data(services.catalog)
        .data(services.orders)
        .data(services.inventory)
        .data(services.locations)
        .data(services.identity)
        .data(services.tenancy)
        .data(services.directory)
        .data(services.throttle)
        .data(services.audit)
        .data(services.billing)
        .data(services.payments.clone() as Arc<dyn AfterChange>)
        .data(services.payments)
        .extension(limits)
        .extension(crate::arguments::ArgumentCheck);
    if let Some(tokens) = services.tokens {
        builder = builder.data(tokens);
    }
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

fn limit_error(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    /// Refuses documents deeper or more complex than allowed, naming the limit.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(vec![limit_error(
                "QUERY_TOO_DEEP",
                format!(
                    "the query is nested {} levels deep; the limit is {}",
                    result.depth, self.max_depth
                ),
            )]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![limit_error(
                "QUERY_TOO_COMPLEX",
                format!(
                    "the query's complexity is {}; the limit is {}",
                    result.complexity, self.max_complexity
                ),
            )]);
        }
        Ok(result)
    }
}
