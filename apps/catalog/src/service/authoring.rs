//! A vendor's product written: created with a stock item per SKU, or replaced
//! by a newer draft (optimistic, by version).

use souk_inventory::domain::{CreateError, NewStockItem, Threshold};
use souk_tenants::Scope;
use souk_tenants::TenantId;

use super::MongoCatalog;
use crate::domain::{CatalogError, InternalError, InvalidValue, ObjectKey, Product, ProductDraft};
use crate::store::products;

pub(super) async fn create(
    catalog: &MongoCatalog,
    scope: &Scope,
    draft: ProductDraft,
) -> Result<Product, CatalogError> {
    catalog.require_category(draft.category).await?;
    let id = match products::insert(&catalog.scoped(scope.tenant), &draft).await {
        Ok(id) => ObjectKey(id),
        Err(err) if err.is_duplicate_key() => {
            return Err(catalog.taken_sku(scope.tenant, None, &draft).await?)
        }
        Err(err) => return Err(err.into()),
    };
    if let Err(err) = catalog.ensure_stock(scope, &draft).await {
        // Without its stock the product cannot be sold: take it back.
        let _ = products::remove(&catalog.scoped(scope.tenant), id.0).await;
        return Err(err);
    }
    catalog.load(scope.tenant, id).await
}

pub(super) async fn update(
    catalog: &MongoCatalog,
    scope: &Scope,
    id: ObjectKey,
    expected_version: i64,
    draft: ProductDraft,
) -> Result<Product, CatalogError> {
    catalog.require_category(draft.category).await?;
    let replaced = products::replace_draft(
        &catalog.scoped(scope.tenant),
        id.0,
        expected_version,
        &draft,
    )
    .await;
    let replaced = match replaced {
        Ok(replaced) => replaced,
        Err(err) if err.is_duplicate_key() => {
            return Err(catalog.taken_sku(scope.tenant, Some(id), &draft).await?)
        }
        Err(err) => return Err(err.into()),
    };
    if !replaced {
        let current = catalog.load(scope.tenant, id).await?;
        return Err(CatalogError::Conflict {
            expected: expected_version,
            current: current.version,
        });
    }
    catalog.ensure_stock(scope, &draft).await?;
    let product = catalog.load(scope.tenant, id).await?;
    catalog.list(&product).await;
    Ok(product)
}

impl MongoCatalog {
    /// The SKU of `draft` another product of the tenant already uses.
    pub(super) async fn taken_sku(
        &self,
        tenant: TenantId,
        id: Option<ObjectKey>,
        draft: &ProductDraft,
    ) -> Result<CatalogError, CatalogError> {
        let skus: Vec<&str> = draft
            .variants
            .iter()
            .map(|v| v.variant.sku.as_str())
            .collect();
        let other =
            products::other_with_skus(&self.scoped(tenant), &skus, id.map(|id| id.0)).await?;
        let taken = other
            .and_then(|p| {
                p.variants
                    .into_iter()
                    .find(|v| skus.contains(&v.sku.as_str()))
            })
            .map_or_else(|| skus.join(", "), |v| v.sku.as_str().to_string());
        Ok(CatalogError::DuplicateSku(taken))
    }

    /// Makes sure every variant SKU has a stock item (an existing one is kept).
    pub(super) async fn ensure_stock(
        &self,
        scope: &Scope,
        draft: &ProductDraft,
    ) -> Result<(), CatalogError> {
        for variant in &draft.variants {
            let item = NewStockItem {
                sku: variant.variant.sku.clone(),
                on_hand: Threshold::parse(variant.initial_stock).map_err(|e| {
                    InvalidValue::new("INVALID_QUANTITY", "variants.initialStock", e.0)
                })?,
                reorder_threshold: Threshold::parse(0).map_err(|e| InternalError::msg(e.0))?,
            };
            match self.inventory.create_item(scope, item).await {
                Ok(_) | Err(CreateError::DuplicateSku(_)) => {}
                Err(CreateError::Internal(err)) => {
                    return Err(CatalogError::Internal(InternalError::new(err)))
                }
            }
        }
        Ok(())
    }
}
