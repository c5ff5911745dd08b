//! Reads: a vendor's own products (any state), and the products for sale to
//! everyone (published, of active vendors).

use souk_tenants::TenantId;

use super::MongoCatalog;
use crate::domain::{CatalogError, InternalError, ObjectKey, Product, ProductStatus};
use crate::store::products::{self, After, Order};

fn tenancy_error(err: souk_vendors::TenancyError) -> CatalogError {
    CatalogError::Internal(InternalError::new(err))
}

pub(super) async fn vendor_product(
    catalog: &MongoCatalog,
    tenant: TenantId,
    id: ObjectKey,
) -> Result<Option<Product>, CatalogError> {
    match catalog.load(tenant, id).await {
        Ok(product) => Ok(Some(product)),
        Err(CatalogError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

pub(super) async fn product_by_sku(
    catalog: &MongoCatalog,
    tenant: TenantId,
    sku: &str,
) -> Result<Option<Product>, CatalogError> {
    Ok(products::by_sku(&catalog.scoped(tenant), sku).await?)
}

pub(super) async fn vendor_products(
    catalog: &MongoCatalog,
    tenant: TenantId,
    status: Option<ProductStatus>,
    search: Option<String>,
    after: Option<After>,
    limit: i64,
) -> Result<Vec<Product>, CatalogError> {
    let mut filters = Vec::new();
    if let Some(status) = status {
        filters.push(products::status_filter(status));
    }
    if let Some(search) = search.as_deref() {
        filters.push(products::search_filter(search));
    }
    Ok(products::list_scoped(
        &catalog.scoped(tenant),
        filters,
        Order::Newest,
        after.as_ref(),
        limit,
    )
    .await?)
}

pub(super) async fn public_products(
    catalog: &MongoCatalog,
    ids: &[ObjectKey],
) -> Result<Vec<Product>, CatalogError> {
    let ids: Vec<_> = ids.iter().map(|id| id.0).collect();
    let found = products::find_public(&catalog.products(), &ids).await?;
    if found.is_empty() {
        return Ok(found);
    }
    let excluded = catalog
        .tenancy
        .inactive_vendors()
        .await
        .map_err(tenancy_error)?;
    Ok(found
        .into_iter()
        .filter(|product| !excluded.contains(&product.tenant))
        .collect())
}
