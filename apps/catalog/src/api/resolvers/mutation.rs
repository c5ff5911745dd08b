use async_graphql::{Context, Object, Result, ID};
use serde_json::json;
use souk_edge::{platform_admin, vendor, ApiError};
use souk_tenants::audit::Entry;
use souk_tenants::Scope;

use super::{catalog, object_key};
use crate::api::errors::invalid;
use crate::api::objects::{CategoryView, ProductInput, ProductView};
use crate::domain::{Category, Product, ProductDraft, RawDraft, RawVariant};

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
        // Its images go with it; the product is gone whatever happens to them.
        let media = souk_edge::service::<dyn souk_media::Media>(ctx)?;
        if let Err(err) = media.delete_all(actor.tenant, &id.to_string()).await {
            tracing::warn!(error = %err, product = %id, "a deleted product's images stay");
        }
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
