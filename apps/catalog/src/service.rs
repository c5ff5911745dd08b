//! The catalog boundary and its MongoDB implementation.

use std::sync::Arc;

use async_trait::async_trait;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};
use souk_inventory::domain::{CreateError, NewStockItem, Threshold};
use souk_inventory::Inventory;
use souk_tenants::mongo::TenantCollection;
use souk_tenants::Scope;
use souk_tenants::TenantId;
use souk_vendors::service::Tenancy;
use tracing::instrument;

use crate::domain::{
    CatalogError, Category, InternalError, InvalidValue, ObjectKey, Product, ProductDraft,
    ProductStatus,
};
use crate::listings::{Facets, Listed, PgListings};
use crate::store::products::{self, After, Order};
use crate::store::{categories, indexes};

/// A storefront listing request.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Full-text search: every word, as a prefix, in title or description;
    /// titles close to the text (a small typo) match too.
    pub search: Option<String>,
    /// Only products with stock to sell.
    pub in_stock: bool,
    pub category: Option<ObjectKey>,
    pub vendor: Option<TenantId>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub order: Order,
    pub after: Option<After>,
    pub limit: i64,
}

/// Everything the catalog does.
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// Creates a draft product and, through inventory, a stock item for each new
    /// variant SKU.
    async fn create_product(
        &self,
        scope: &Scope,
        draft: ProductDraft,
    ) -> Result<Product, CatalogError>;
    /// Replaces a product's content if it is still at `expected_version`.
    async fn update_product(
        &self,
        scope: &Scope,
        id: ObjectKey,
        expected_version: i64,
        draft: ProductDraft,
    ) -> Result<Product, CatalogError>;
    async fn publish(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError>;
    /// Archived products are no longer shown or sold.
    async fn archive(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError>;
    /// Only drafts that never sold can be deleted.
    async fn delete(&self, tenant: TenantId, id: ObjectKey) -> Result<(), CatalogError>;
    async fn vendor_product(
        &self,
        tenant: TenantId,
        id: ObjectKey,
    ) -> Result<Option<Product>, CatalogError>;
    /// The vendor's product that sells `sku`, whatever its status.
    async fn product_by_sku(
        &self,
        tenant: TenantId,
        sku: &str,
    ) -> Result<Option<Product>, CatalogError>;
    async fn vendor_products(
        &self,
        tenant: TenantId,
        status: Option<ProductStatus>,
        search: Option<String>,
        after: Option<After>,
        limit: i64,
    ) -> Result<Vec<Product>, CatalogError>;
    /// Active products of active vendors, from the storefront's read model.
    async fn storefront(&self, listing: Listing) -> Result<Vec<Listed>, CatalogError>;
    /// The facet counts of everything `listing` matches.
    async fn storefront_facets(&self, listing: Listing) -> Result<Facets, CatalogError>;
    /// One active product of an active vendor.
    async fn public_product(&self, id: ObjectKey) -> Result<Option<Product>, CatalogError>;
    /// The products among `ids` that are for sale (active, of active vendors), in
    /// one read.
    async fn public_products(&self, ids: &[ObjectKey]) -> Result<Vec<Product>, CatalogError>;
    async fn categories(&self) -> Result<Vec<(Category, i64)>, CatalogError>;
    async fn create_category(
        &self,
        name: &str,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError>;
    async fn rename_category(&self, id: ObjectKey, name: &str) -> Result<Category, CatalogError>;
    async fn move_category(
        &self,
        id: ObjectKey,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError>;
    /// Only empty categories (no children, no products) can be deleted.
    async fn delete_category(&self, id: ObjectKey) -> Result<(), CatalogError>;
}

impl std::fmt::Debug for dyn Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Catalog")
    }
}

/// [`Catalog`] on MongoDB.
#[derive(Debug, Clone)]
pub struct MongoCatalog {
    db: Database,
    inventory: Arc<dyn Inventory>,
    tenancy: Arc<dyn Tenancy>,
    listings: PgListings,
}

fn tenancy_error(err: souk_vendors::TenancyError) -> CatalogError {
    CatalogError::Internal(InternalError::new(err))
}

/// A duplicate-key error on the category index as the sibling clash it means.
fn sibling_clash(err: mongodb::error::Error, message: impl Into<String>) -> CatalogError {
    if souk_tenants::mongo::is_duplicate_key(&err) {
        CatalogError::InvalidState(message.into())
    } else {
        err.into()
    }
}

fn category_name(raw: &str) -> Result<String, CatalogError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            "name",
            "a category name has 1 to 80 characters",
        )
        .into());
    }
    Ok(name.to_string())
}

impl MongoCatalog {
    pub fn new(
        db: Database,
        inventory: Arc<dyn Inventory>,
        tenancy: Arc<dyn Tenancy>,
        listings: PgListings,
    ) -> Self {
        Self {
            db,
            inventory,
            tenancy,
            listings,
        }
    }

    /// Brings the storefront's listing of `product` up to date. A failure only
    /// delays it: the projector writes what this missed.
    async fn list(&self, product: &Product) {
        if let Err(err) = self.listings.project(product).await {
            tracing::warn!(error = %err, product_id = %product.id, "listing not written; the projector will");
        }
    }

    /// Creates the catalog's indexes (idempotent).
    pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
        indexes::create(db).await
    }

    fn products(&self) -> Collection<Document> {
        self.db.collection(products::COLLECTION)
    }

    fn scoped(&self, tenant: TenantId) -> TenantCollection {
        TenantCollection::new(self.products(), tenant)
    }

    fn categories_collection(&self) -> Collection<Document> {
        self.db.collection(categories::COLLECTION)
    }

    async fn require_category(&self, category: Option<ObjectKey>) -> Result<(), CatalogError> {
        if let Some(category) = category {
            if categories::get(&self.categories_collection(), category.0)
                .await?
                .is_none()
            {
                return Err(CatalogError::UnknownCategory);
            }
        }
        Ok(())
    }

    async fn load(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        let found = self.scoped(tenant).find_one(doc! { "_id": id.0 }).await?;
        Ok(products::from_document(
            &found.ok_or(CatalogError::NotFound)?,
        )?)
    }

    /// The SKU of `draft` another product of the tenant already uses.
    async fn taken_sku(
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
        let mut filter = doc! { "variants.sku": { "$in": &skus } };
        if let Some(id) = id {
            filter.insert("_id", doc! { "$ne": id.0 });
        }
        let other = self.scoped(tenant).find_one(filter).await?;
        let taken = other
            .and_then(|doc| products::from_document(&doc).ok())
            .and_then(|p| {
                p.variants
                    .into_iter()
                    .find(|v| skus.contains(&v.sku.as_str()))
            })
            .map_or_else(|| skus.join(", "), |v| v.sku.as_str().to_string());
        Ok(CatalogError::DuplicateSku(taken))
    }

    /// Makes sure every variant SKU has a stock item (an existing one is kept).
    async fn ensure_stock(&self, scope: &Scope, draft: &ProductDraft) -> Result<(), CatalogError> {
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

    async fn transition(
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

#[async_trait]
impl Catalog for MongoCatalog {
    #[instrument(skip_all, fields(tenant_id = %scope.tenant))]
    async fn create_product(
        &self,
        scope: &Scope,
        draft: ProductDraft,
    ) -> Result<Product, CatalogError> {
        self.require_category(draft.category).await?;
        let id = match products::insert(&self.scoped(scope.tenant), &draft).await {
            Ok(id) => ObjectKey(id),
            Err(err) if souk_tenants::mongo::is_duplicate_key(&err) => {
                return Err(self.taken_sku(scope.tenant, None, &draft).await?)
            }
            Err(err) => return Err(err.into()),
        };
        if let Err(err) = self.ensure_stock(scope, &draft).await {
            // Without its stock the product cannot be sold: take it back.
            let _ = self
                .scoped(scope.tenant)
                .delete_one(doc! { "_id": id.0 })
                .await;
            return Err(err);
        }
        self.load(scope.tenant, id).await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, product_id = %id))]
    async fn update_product(
        &self,
        scope: &Scope,
        id: ObjectKey,
        expected_version: i64,
        draft: ProductDraft,
    ) -> Result<Product, CatalogError> {
        self.require_category(draft.category).await?;
        let mut fields = products::draft_fields(&draft);
        fields.insert("updated_at", products::now());
        let updated = self
            .scoped(scope.tenant)
            .update_one(
                doc! { "_id": id.0, "version": expected_version },
                doc! { "$set": fields, "$inc": { "version": 1_i64 } },
            )
            .await;
        let done = match updated {
            Ok(done) => done,
            Err(souk_tenants::mongo::ScopeError::Mongo(err))
                if souk_tenants::mongo::is_duplicate_key(&err) =>
            {
                return Err(self.taken_sku(scope.tenant, Some(id), &draft).await?)
            }
            Err(err) => return Err(err.into()),
        };
        if done.matched_count == 0 {
            let current = self.load(scope.tenant, id).await?;
            return Err(CatalogError::Conflict {
                expected: expected_version,
                current: current.version,
            });
        }
        self.ensure_stock(scope, &draft).await?;
        let product = self.load(scope.tenant, id).await?;
        self.list(&product).await;
        Ok(product)
    }

    async fn publish(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        self.transition(
            tenant,
            id,
            &[ProductStatus::Draft, ProductStatus::Archived],
            ProductStatus::Active,
        )
        .await
    }

    async fn archive(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        self.transition(
            tenant,
            id,
            &[ProductStatus::Draft, ProductStatus::Active],
            ProductStatus::Archived,
        )
        .await
    }

    async fn delete(&self, tenant: TenantId, id: ObjectKey) -> Result<(), CatalogError> {
        let done = self
            .scoped(tenant)
            .delete_one(
                doc! { "_id": id.0, "status": ProductStatus::Draft.as_str(), "sold": false },
            )
            .await?;
        if done.deleted_count == 1 {
            return Ok(());
        }
        self.load(tenant, id).await?;
        Err(CatalogError::InvalidState(
            "only drafts that never sold can be deleted; archive it instead".into(),
        ))
    }

    async fn vendor_product(
        &self,
        tenant: TenantId,
        id: ObjectKey,
    ) -> Result<Option<Product>, CatalogError> {
        match self.load(tenant, id).await {
            Ok(product) => Ok(Some(product)),
            Err(CatalogError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn product_by_sku(
        &self,
        tenant: TenantId,
        sku: &str,
    ) -> Result<Option<Product>, CatalogError> {
        let found = self
            .scoped(tenant)
            .find_one(doc! { "variants.sku": sku })
            .await?;
        Ok(found.as_ref().map(products::from_document).transpose()?)
    }

    async fn vendor_products(
        &self,
        tenant: TenantId,
        status: Option<ProductStatus>,
        search: Option<String>,
        after: Option<After>,
        limit: i64,
    ) -> Result<Vec<Product>, CatalogError> {
        let mut filters = Vec::new();
        if let Some(status) = status {
            filters.push(doc! { "status": status.as_str() });
        }
        if let Some(search) = search.as_deref() {
            filters.push(products::search_filter(search));
        }
        Ok(products::list_scoped(
            &self.scoped(tenant),
            filters,
            Order::Newest,
            after.as_ref(),
            limit,
        )
        .await?)
    }

    async fn storefront(&self, listing: Listing) -> Result<Vec<Listed>, CatalogError> {
        Ok(self.listings.page(&listing).await?)
    }

    async fn storefront_facets(&self, listing: Listing) -> Result<Facets, CatalogError> {
        Ok(self.listings.facets(&listing).await?)
    }

    async fn public_product(&self, id: ObjectKey) -> Result<Option<Product>, CatalogError> {
        Ok(self.public_products(&[id]).await?.into_iter().next())
    }

    async fn public_products(&self, ids: &[ObjectKey]) -> Result<Vec<Product>, CatalogError> {
        let ids: Vec<_> = ids.iter().map(|id| id.0).collect();
        let found = products::find_public(&self.products(), &ids).await?;
        if found.is_empty() {
            return Ok(found);
        }
        let excluded = self
            .tenancy
            .inactive_vendors()
            .await
            .map_err(tenancy_error)?;
        Ok(found
            .into_iter()
            .filter(|product| !excluded.contains(&product.tenant))
            .collect())
    }

    async fn categories(&self) -> Result<Vec<(Category, i64)>, CatalogError> {
        let counts = self.listings.category_counts().await?;
        let all = categories::all(&self.categories_collection()).await?;
        Ok(all
            .into_iter()
            .map(|c| {
                let count = counts
                    .iter()
                    .find(|(id, _)| *id == c.id.0)
                    .map_or(0, |(_, n)| *n);
                (c, count)
            })
            .collect())
    }

    async fn create_category(
        &self,
        name: &str,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError> {
        let name = category_name(name)?;
        self.require_category(parent).await?;
        categories::insert(&self.categories_collection(), &name, parent.map(|p| p.0))
            .await
            .map_err(|err| {
                sibling_clash(err, format!("a sibling category is already called {name}"))
            })
    }

    async fn rename_category(&self, id: ObjectKey, name: &str) -> Result<Category, CatalogError> {
        let name = category_name(name)?;
        let collection = self.categories_collection();
        let renamed = categories::set(&collection, id.0, doc! { "name": &name })
            .await
            .map_err(|err| {
                sibling_clash(err, format!("a sibling category is already called {name}"))
            })?;
        if !renamed {
            return Err(CatalogError::UnknownCategory);
        }
        categories::get(&collection, id.0)
            .await?
            .ok_or(CatalogError::UnknownCategory)
    }

    async fn move_category(
        &self,
        id: ObjectKey,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError> {
        let collection = self.categories_collection();
        categories::get(&collection, id.0)
            .await?
            .ok_or(CatalogError::UnknownCategory)?;
        // Walk up from the new parent: meeting the category itself would make a cycle.
        let mut cursor = parent;
        while let Some(ancestor) = cursor {
            if ancestor == id {
                return Err(CatalogError::InvalidState(
                    "a category cannot move under itself".into(),
                ));
            }
            cursor = categories::get(&collection, ancestor.0)
                .await?
                .ok_or(CatalogError::UnknownCategory)?
                .parent;
        }
        categories::set(&collection, id.0, doc! { "parent_id": parent.map(|p| p.0) })
            .await
            .map_err(|err| {
                sibling_clash(err, "the new parent already has a category of that name")
            })?;
        categories::get(&collection, id.0)
            .await?
            .ok_or(CatalogError::UnknownCategory)
    }

    async fn delete_category(&self, id: ObjectKey) -> Result<(), CatalogError> {
        let collection = self.categories_collection();
        if categories::get(&collection, id.0).await?.is_none() {
            return Err(CatalogError::UnknownCategory);
        }
        if categories::has_children(&collection, id.0).await?
            || products::any_in_category(&self.products(), id.0).await?
        {
            return Err(CatalogError::InvalidState(
                "only empty categories can be deleted".into(),
            ));
        }
        categories::delete(&collection, id.0).await?;
        Ok(())
    }
}
