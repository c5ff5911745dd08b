//! Availability, batched: every (tenant, SKU) a request asks for is loaded in one
//! inventory call, one statement whichever vendors they belong to.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use souk_inventory::domain::Sku;
use souk_inventory::Inventory;
use souk_tenants::fault::Failure;
use souk_tenants::TenantId;

/// Loads available stock by (tenant, SKU); unknown SKUs have none.
#[derive(Debug, Clone)]
pub struct AvailabilityLoader {
    inventory: Arc<dyn Inventory>,
}

impl AvailabilityLoader {
    pub fn new(inventory: Arc<dyn Inventory>) -> Self {
        Self { inventory }
    }
}

impl Loader<(TenantId, Sku)> for AvailabilityLoader {
    type Value = i64;
    type Error = Failure;

    async fn load(
        &self,
        keys: &[(TenantId, Sku)],
    ) -> Result<HashMap<(TenantId, Sku), i64>, Self::Error> {
        metrics::counter!("souk_availability_batches_total").increment(1);
        let found: HashMap<(TenantId, Sku), i64> = self
            .inventory
            .sellable(keys)
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "availability lookup failed");
                Failure::of(&err)
            })?
            .into_iter()
            .map(|(tenant, sku, sellable)| ((tenant, sku), sellable))
            .collect();
        Ok(keys
            .iter()
            .map(|key| (key.clone(), found.get(key).copied().unwrap_or(0)))
            .collect())
    }
}

/// Vendors' names by id, in one read per request: the storefront shows who sells
/// each product.
#[derive(Clone)]
pub struct VendorNameLoader {
    tenancy: Arc<dyn souk_vendors::service::Tenancy>,
}

impl std::fmt::Debug for VendorNameLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VendorNameLoader")
    }
}

impl VendorNameLoader {
    pub fn new(tenancy: Arc<dyn souk_vendors::service::Tenancy>) -> Self {
        Self { tenancy }
    }
}

impl Loader<TenantId> for VendorNameLoader {
    type Value = String;
    type Error = Failure;

    async fn load(&self, keys: &[TenantId]) -> Result<HashMap<TenantId, String>, Self::Error> {
        let vendors = self.tenancy.vendors_by_ids(keys).await.map_err(|err| {
            tracing::error!(error = %err, "vendor names lookup failed");
            Failure::of(&err)
        })?;
        Ok(vendors.into_iter().map(|v| (v.id, v.name)).collect())
    }
}
