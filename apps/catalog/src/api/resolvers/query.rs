use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use souk_edge::{page_size, service, trim_page, vendor, ApiError};
use souk_vendors::service::Tenancy;
use souk_vendors::TenantStatus;

use super::{catalog, object_key};
use crate::api::cursor::{decode, encode, Cursor};
use crate::api::objects::{CategoryView, ProductSort, ProductView, StatusView};
use crate::api::storefront::{shelf, Filters, Shelf, DEFAULT_PAGE};
use crate::domain::Product;
use crate::store::products::{position, Order};

const MAX_SEARCH: usize = 100;

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
    #[graphql(complexity = "crate::api::storefront::SHELF_COST + child_complexity")]
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
    #[graphql(complexity = "crate::api::storefront::SHELF_COST + child_complexity")]
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
