//! A product's life: draft, active (on sale), archived; only a draft that
//! never sold is deleted.

use mongodb::bson::doc;
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
    let done = catalog
        .scoped(tenant)
        .delete_one(doc! { "_id": id.0, "status": ProductStatus::Draft.as_str(), "sold": false })
        .await?;
    if done.deleted_count == 1 {
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
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let done = self
            .scoped(tenant)
            .update_one(
                doc! { "_id": id.0, "status": { "$in": from } },
                doc! { "$set": { "status": to.as_str(), "updated_at": products::now() }, "$inc": { "version": 1_i64 } },
            )
            .await?;
        let product = self.load(tenant, id).await?;
        if done.matched_count == 1 {
            self.list(&product).await;
        }
        if done.matched_count == 0 && product.status != to {
            return Err(CatalogError::InvalidState(format!(
                "a {} product cannot become {}",
                product.status.as_str(),
                to.as_str()
            )));
        }
        Ok(product)
    }
}
