//! A product's life: draft, active (on sale), archived; only a draft that
//! never sold is deleted.

use souk_tenants::TenantId;

use super::MongoCatalog;
use crate::domain::{CatalogError, ObjectKey, Product, ProductStatus};
use crate::store::products;

pub(super) async fn publish(
    catalog: &MongoCatalog,
    tenant: TenantId,
    id: ObjectKey,
) -> Result<Product, CatalogError> {
    catalog
        .transition(
            tenant,
            id,
            &[ProductStatus::Draft, ProductStatus::Archived],
            ProductStatus::Active,
        )
        .await
}

pub(super) async fn archive(
    catalog: &MongoCatalog,
    tenant: TenantId,
    id: ObjectKey,
) -> Result<Product, CatalogError> {
    catalog
        .transition(
            tenant,
            id,
            &[ProductStatus::Draft, ProductStatus::Active],
            ProductStatus::Archived,
        )
        .await
}

pub(super) async fn delete(
    catalog: &MongoCatalog,
    tenant: TenantId,
    id: ObjectKey,
) -> Result<(), CatalogError> {
    if products::delete_unsold_draft(&catalog.scoped(tenant), id.0).await? {
        return Ok(());
    }
    catalog.load(tenant, id).await?;
    Err(CatalogError::InvalidState(
        "only drafts that never sold can be deleted; archive it instead".into(),
    ))
}

impl MongoCatalog {
    /// Moves the product from one of `from` to `to`; already `to` is an answer too.
    pub(super) async fn transition(
        &self,
        tenant: TenantId,
        id: ObjectKey,
        from: &[ProductStatus],
        to: ProductStatus,
    ) -> Result<Product, CatalogError> {
        let moved = products::set_status(&self.scoped(tenant), id.0, from, to).await?;
        let product = self.load(tenant, id).await?;
        if moved {
            self.list(&product).await;
        }
        if !moved && product.status != to {
            return Err(CatalogError::InvalidState(format!(
                "a {} product cannot become {}",
                product.status.as_str(),
                to.as_str()
            )));
        }
        Ok(product)
    }
}
