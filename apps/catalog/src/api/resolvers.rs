use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use serde_json::json;
use souk_edge::{page_size, platform_admin, service, trim_page, vendor, ApiError};
use souk_tenants::audit::Entry;
use souk_tenants::Scope;
use souk_vendors::service::Tenancy;
use souk_vendors::TenantStatus;

use super::cursor::{decode, encode, Cursor};
use super::errors::invalid;
use super::objects::{CategoryView, ProductInput, ProductSort, ProductView, StatusView};
use super::storefront::{shelf, Filters, Shelf, DEFAULT_PAGE};
use crate::domain::{Category, ObjectKey, Product, ProductDraft, RawDraft, RawVariant};
use crate::store::products::{position, Order};
use crate::Catalog;

const MAX_SEARCH: usize = 100;

fn catalog<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Catalog>, ApiError> {
    service::<dyn Catalog>(ctx)
}

async fn audit_product(ctx: &Context<'_>, action: &'static str, product: &Product) {
    let entry = Entry::new(action, "product", product.id.to_string()).details(json!({
        "title": product.title,
        "status": product.status.as_str(),
        "version": product.version,
    }));
    souk_edge::audit::after(ctx, Some(product.tenant), entry).await;
}

async fn audit_category(ctx: &Context<'_>, action: &'static str, category: &Category) {
    let entry = Entry::new(action, "category", category.id.to_string()).details(json!({
        "name": category.name,
        "parentId": category.parent.map(|p| p.to_string()),
    }));
    souk_edge::audit::after(ctx, None, entry).await;
}

fn object_key(field: &str, raw: &str) -> Result<ObjectKey, ApiError> {
    ObjectKey::parse(field, raw).map_err(invalid)
}

fn search_text(search: Option<String>) -> Result<Option<String>, ApiError> {
    let search = search
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH)
    {
        return Err(ApiError::invalid_argument(
            "search",
            format!("at most {MAX_SEARCH} characters"),
        ));
    }
    Ok(search)
}

fn draft(input: ProductInput) -> Result<ProductDraft, ApiError> {
    ProductDraft::parse(RawDraft {
        title: input.title,
        description: input.description,
        category: input.category_id.map(|id| id.0),
        price_amount: input.price.amount,
        currency: input.price.currency,
        variants: input
            .variants
            .into_iter()
            .map(|v| RawVariant {
                sku: v.sku,
                options: v.options.into_iter().map(|o| (o.name, o.value)).collect(),
                price_amount: v.price_amount,
                initial_stock: v.initial_stock,
            })
            .collect(),
        images: input.images,
        attributes: input
            .attributes
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect(),
    })
    .map_err(invalid)
}

fn connection(
    products: Vec<(Cursor, Product)>,
    has_previous: bool,
    has_next: bool,
) -> Connection<String, ProductView> {
    let mut connection = Connection::new(has_previous, has_next);
    connection.edges.extend(
        products
            .into_iter()
            .map(|(cursor, product)| Edge::new(encode(&cursor), ProductView::new(product))),
    );
    connection
}

/// A vendor as the storefront shows it.
#[derive(Debug)]
pub struct StorefrontVendor {
    id: souk_tenants::TenantId,
    name: String,
    slug: String,
}

#[Object]
impl StorefrontVendor {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    async fn slug(&self) -> &str {
        &self.slug
    }
    /// The vendor's active products.
    #[graphql(complexity = "super::storefront::SHELF_COST + child_complexity")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        sort: Option<ProductSort>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Shelf> {
        let filters = Filters {
            vendor: Some(self.id),
            ..Filters::default()
        };
        Ok(shelf(ctx, filters, sort, first, after).await?)
    }
}

#[derive(Debug, Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The storefront: active products of active vendors, from its read model
    /// (kept up to date within about a second of a change). Search is full
    /// text: every word, as a prefix and stemmed (English), in title or
    /// description, best matches first; a title close to the text (a small
    /// typo) matches too. Prices are in minor units.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::storefront::SHELF_COST + child_complexity")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        category: Option<ID>,
        #[graphql(desc = "A vendor's slug.")] vendor: Option<String>,
        min_price: Option<i64>,
        max_price: Option<i64>,
        #[graphql(desc = "Only products with stock to sell (default false).")] in_stock: Option<
            bool,
        >,
        sort: Option<ProductSort>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Shelf> {
        let search = search_text(search)?;
        let vendor = match vendor {
            Some(slug) => match service::<dyn Tenancy>(ctx)?
                .vendor_by_slug(&slug.trim().to_lowercase())
                .await
                .map_err(ApiError::from)?
            {
                Some(found) => Some(found.id),
                // No vendor has the nil id: an unknown slug lists nothing.
                None => Some(souk_tenants::TenantId::from_uuid(uuid::Uuid::nil())),
            },
            None => None,
        };
        let filters = Filters {
            category: category.map(|c| object_key("category", &c)).transpose()?,
            search,
            vendor,
            min_price,
            max_price,
            in_stock: in_stock.unwrap_or(false),
        };
        Ok(shelf(ctx, filters, sort, first, after).await?)
    }

    /// One product of the storefront; null when it is not for sale.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductView>> {
        let id = object_key("id", &id)?;
        Ok(catalog(ctx)?
            .public_product(id)
            .await
            .map_err(ApiError::from)?
            .map(ProductView::new))
    }

    /// A vendor's storefront page; null unless the vendor is active.
    async fn vendor(&self, ctx: &Context<'_>, slug: String) -> Result<Option<StorefrontVendor>> {
        let found = service::<dyn Tenancy>(ctx)?
            .vendor_by_slug(&slug.trim().to_lowercase())
            .await
            .map_err(ApiError::from)?;
        Ok(found
            .filter(|v| v.status == TenantStatus::Active)
            .map(|v| StorefrontVendor {
                id: v.id,
                name: v.name,
                slug: v.slug,
            }))
    }

    /// The category tree, with counts of active products.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<CategoryView>> {
        let all = catalog(ctx)?.categories().await.map_err(ApiError::from)?;
        Ok(CategoryView::tree(&all, None))
    }

    /// The caller's own products, drafts included, newest first.
    async fn vendor_products(
        &self,
        ctx: &Context<'_>,
        status: Option<StatusView>,
        search: Option<String>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ProductView>> {
        let actor = vendor(ctx)?;
        let limit = page_size(first, DEFAULT_PAGE)?;
        let search = search_text(search)?;
        let had_cursor = after.is_some();
        let after = match decode(after)? {
            None => None,
            Some(Cursor(Order::Newest, after)) => Some(after),
            Some(_) => {
                return Err(ApiError::invalid_argument(
                    "after",
                    "not a cursor returned by this list",
                )
                .into())
            }
        };
        let found = catalog(ctx)?
            .vendor_products(
                actor.tenant,
                status.map(Into::into),
                search,
                after,
                limit + 1,
            )
            .await
            .map_err(ApiError::from)?;
        let (found, has_next) = trim_page(found, limit);
        let page = found
            .into_iter()
            .map(|p| (Cursor(Order::Newest, position(Order::Newest, &p)), p))
            .collect();
        Ok(connection(page, had_cursor, has_next))
    }

    /// One of the caller's own products; null when the vendor has no such product.
    async fn vendor_product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductView>> {
        let actor = vendor(ctx)?;
        let id = object_key("id", &id)?;
        Ok(catalog(ctx)?
            .vendor_product(actor.tenant, id)
            .await
            .map_err(ApiError::from)?
            .map(ProductView::new))
    }
}

fn scope(actor: &souk_tenants::VendorActor) -> Scope {
    Scope {
        tenant: actor.tenant,
        actor: format!("user:{}", actor.subject),
    }
}

#[derive(Debug, Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Creates a draft product; each new variant SKU gets a stock item.
    async fn create_product(&self, ctx: &Context<'_>, input: ProductInput) -> Result<ProductView> {
        let actor = vendor(ctx)?;
        let draft = draft(input)?;
        let product = catalog(ctx)?
            .create_product(&scope(&actor), draft)
            .await
            .map_err(ApiError::from)?;
        audit_product(ctx, "product.create", &product).await;
        Ok(ProductView::new(product))
    }

    /// Replaces a product's content; `version` must be the one last read.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i64,
        input: ProductInput,
    ) -> Result<ProductView> {
        let actor = vendor(ctx)?;
        let id = object_key("id", &id)?;
        let draft = draft(input)?;
        let product = catalog(ctx)?
            .update_product(&scope(&actor), id, version, draft)
            .await
            .map_err(ApiError::from)?;
        audit_product(ctx, "product.update", &product).await;
        Ok(ProductView::new(product))
    }

    /// Puts a product on the storefront.
    async fn publish_product(&self, ctx: &Context<'_>, id: ID) -> Result<ProductView> {
        let actor = vendor(ctx)?;
        let id = object_key("id", &id)?;
        let product = catalog(ctx)?
            .publish(actor.tenant, id)
            .await
            .map_err(ApiError::from)?;
        audit_product(ctx, "product.publish", &product).await;
        Ok(ProductView::new(product))
    }

    /// Takes a product off the storefront; it can no longer be sold.
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> Result<ProductView> {
        let actor = vendor(ctx)?;
        let id = object_key("id", &id)?;
        let product = catalog(ctx)?
            .archive(actor.tenant, id)
            .await
            .map_err(ApiError::from)?;
        audit_product(ctx, "product.archive", &product).await;
        Ok(ProductView::new(product))
    }

    /// Deletes a draft that never sold.
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let actor = vendor(ctx)?;
        let id = object_key("id", &id)?;
        catalog(ctx)?
            .delete(actor.tenant, id)
            .await
            .map_err(ApiError::from)?;
        souk_edge::audit::after(
            ctx,
            Some(actor.tenant),
            Entry::new("product.delete", "product", id.to_string()),
        )
        .await;
        Ok(true)
    }

    /// Platform admins: adds a category (under `parentId`, or at the top).
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        name: String,
        parent_id: Option<ID>,
    ) -> Result<CategoryView> {
        platform_admin(ctx)?;
        let parent = parent_id.map(|p| object_key("parentId", &p)).transpose()?;
        let category = catalog(ctx)?
            .create_category(&name, parent)
            .await
            .map_err(ApiError::from)?;
        audit_category(ctx, "category.create", &category).await;
        Ok(CategoryView::single(category))
    }

    async fn rename_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<CategoryView> {
        platform_admin(ctx)?;
        let id = object_key("id", &id)?;
        let category = catalog(ctx)?
            .rename_category(id, &name)
            .await
            .map_err(ApiError::from)?;
        audit_category(ctx, "category.rename", &category).await;
        Ok(CategoryView::single(category))
    }

    /// Platform admins: moves a category under another (or to the top).
    async fn move_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        parent_id: Option<ID>,
    ) -> Result<CategoryView> {
        platform_admin(ctx)?;
        let id = object_key("id", &id)?;
        let parent = parent_id.map(|p| object_key("parentId", &p)).transpose()?;
        let category = catalog(ctx)?
            .move_category(id, parent)
            .await
            .map_err(ApiError::from)?;
        audit_category(ctx, "category.move", &category).await;
        Ok(CategoryView::single(category))
    }

    /// Platform admins: deletes an empty category.
    async fn delete_category(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        platform_admin(ctx)?;
        let id = object_key("id", &id)?;
        catalog(ctx)?
            .delete_category(id)
            .await
            .map_err(ApiError::from)?;
        souk_edge::audit::after(
            ctx,
            None,
            Entry::new("category.delete", "category", id.to_string()),
        )
        .await;
        Ok(true)
    }
}
