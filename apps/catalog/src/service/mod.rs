//! The catalog boundary and its MongoDB implementation, one file per use case:
//! `authoring` (create, update), `lifecycle` (publish, archive, delete), `reads`
//! (a vendor's products, the storefront's products) and `category_tree`.

use std::sync::Arc;

use async_trait::async_trait;
use mongodb::bson::Document;
use mongodb::{Collection, Database};
use souk_inventory::Inventory;
use souk_tenants::mongo::TenantCollection;
use souk_tenants::Scope;
use souk_tenants::TenantId;
use souk_vendors::service::Tenancy;
use tracing::instrument;

use crate::domain::{CatalogError, Category, ObjectKey, Product, ProductDraft, ProductStatus};
use crate::listings::{Facets, Listed, PgListings};
use crate::store::products::{self, After, Order};
use crate::store::{categories, indexes};

mod authoring;
mod category_tree;
mod lifecycle;
mod reads;

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

    async fn load(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        products::get(&self.scoped(tenant), id.0)
            .await?
            .ok_or(CatalogError::NotFound)
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
        authoring::create(self, scope, draft).await
    }

    #[instrument(skip_all, fields(tenant_id = %scope.tenant, product_id = %id))]
    async fn update_product(
        &self,
        scope: &Scope,
        id: ObjectKey,
        expected_version: i64,
        draft: ProductDraft,
    ) -> Result<Product, CatalogError> {
        authoring::update(self, scope, id, expected_version, draft).await
    }

    async fn publish(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        lifecycle::publish(self, tenant, id).await
    }

    async fn archive(&self, tenant: TenantId, id: ObjectKey) -> Result<Product, CatalogError> {
        lifecycle::archive(self, tenant, id).await
    }

    async fn delete(&self, tenant: TenantId, id: ObjectKey) -> Result<(), CatalogError> {
        lifecycle::delete(self, tenant, id).await
    }

    async fn vendor_product(
        &self,
        tenant: TenantId,
        id: ObjectKey,
    ) -> Result<Option<Product>, CatalogError> {
        reads::vendor_product(self, tenant, id).await
    }

    async fn product_by_sku(
        &self,
        tenant: TenantId,
        sku: &str,
    ) -> Result<Option<Product>, CatalogError> {
        reads::product_by_sku(self, tenant, sku).await
    }

    async fn vendor_products(
        &self,
        tenant: TenantId,
        status: Option<ProductStatus>,
        search: Option<String>,
        after: Option<After>,
        limit: i64,
    ) -> Result<Vec<Product>, CatalogError> {
        reads::vendor_products(self, tenant, status, search, after, limit).await
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
        reads::public_products(self, ids).await
    }

    async fn categories(&self) -> Result<Vec<(Category, i64)>, CatalogError> {
        category_tree::with_counts(self).await
    }

    async fn create_category(
        &self,
        name: &str,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError> {
        category_tree::create(self, name, parent).await
    }

    async fn rename_category(&self, id: ObjectKey, name: &str) -> Result<Category, CatalogError> {
        category_tree::rename(self, id, name).await
    }

    async fn move_category(
        &self,
        id: ObjectKey,
        parent: Option<ObjectKey>,
    ) -> Result<Category, CatalogError> {
        category_tree::move_under(self, id, parent).await
    }

    async fn delete_category(&self, id: ObjectKey) -> Result<(), CatalogError> {
        category_tree::delete(self, id).await
    }
}
