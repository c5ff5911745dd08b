use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use mongodb::bson::oid::ObjectId;
use serde_json::json;
use souk_inventory::domain::Scope;
use souk_tenants::api::{page_size, platform_admin, service, trim_page, vendor, ApiError};
use souk_tenants::audit::{self, Entry};
use souk_tenants::vendors::service::Tenancy;
use souk_tenants::vendors::TenantStatus;

use super::errors::invalid;
use super::objects::{CategoryView, ProductInput, ProductSort, ProductView, StatusView};
use crate::domain::{Category, ObjectKey, Product, ProductDraft, RawDraft, RawVariant};
use crate::service::{Listing, SearchIn};
use crate::store::products::{position, After, Order};
use crate::Catalog;

const DEFAULT_PAGE: i32 = 20;
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
    audit::api::after(ctx, Some(product.tenant), entry).await;
}

async fn audit_category(ctx: &Context<'_>, action: &'static str, category: &Category) {
    let entry = Entry::new(action, "category", category.id.to_string()).details(json!({
        "name": category.name,
        "parentId": category.parent.map(|p| p.to_string()),
    }));
    audit::api::after(ctx, None, entry).await;
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

/// Where a listing page ends: the order it follows and the last item's key.
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    Plain(Order, After),
    /// Relevance: phase 1 lists title matches, phase 2 the rest.
    Relevance(u8, After),
}

fn encode(cursor: &Cursor) -> String {
    let text = match cursor {
        Cursor::Plain(_, After::Newest(at, id)) => format!("n|{}|{id}", at.timestamp_millis()),
        Cursor::Plain(Order::PriceHighLow, After::Price(amount, id)) => format!("d|{amount}|{id}"),
        Cursor::Plain(_, After::Price(amount, id)) => format!("a|{amount}|{id}"),
        Cursor::Relevance(phase, After::Newest(at, id)) => {
            format!("r{phase}|{}|{id}", at.timestamp_millis())
        }
        Cursor::Relevance(phase, After::Price(amount, id)) => format!("r{phase}|{amount}|{id}"),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn decode(raw: Option<String>) -> Result<Option<Cursor>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let bad = || ApiError::invalid_argument("after", "not a cursor returned by this list");
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    let mut parts = text.split('|');
    let (Some(kind), Some(key), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let id = ObjectId::parse_str(id).map_err(|_| bad())?;
    let key: i64 = key.parse().map_err(|_| bad())?;
    let newest = || {
        DateTime::from_timestamp_millis(key)
            .filter(|at| souk_tenants::input::storable_time(*at))
            .map(|at| After::Newest(at, id))
            .ok_or_else(bad)
    };
    Ok(Some(match kind {
        "n" => Cursor::Plain(Order::Newest, newest()?),
        "a" => Cursor::Plain(Order::PriceLowHigh, After::Price(key, id)),
        "d" => Cursor::Plain(Order::PriceHighLow, After::Price(key, id)),
        "r1" => Cursor::Relevance(1, newest()?),
        "r2" => Cursor::Relevance(2, newest()?),
        _ => return Err(bad()),
    }))
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

/// Storefront filters, as given.
struct Filters {
    search: Option<String>,
    category: Option<ObjectKey>,
    vendor: Option<souk_tenants::TenantId>,
    min_price: Option<i64>,
    max_price: Option<i64>,
}

/// One page of the storefront, following `sort` from `after`.
async fn storefront_page(
    catalog: &Arc<dyn Catalog>,
    filters: &Filters,
    sort: ProductSort,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<(Cursor, Product)>, ApiError> {
    let listing = |search: Option<String>, order: Order, after: Option<After>| Listing {
        search,
        search_in: SearchIn::Anywhere,
        category: filters.category,
        vendor: filters.vendor,
        min_price: filters.min_price,
        max_price: filters.max_price,
        order,
        after,
        limit,
    };
    let plain = |order: Order, after: Option<Cursor>| -> Result<Option<After>, ApiError> {
        match after {
            None => Ok(None),
            Some(Cursor::Plain(of, after)) if of == order => Ok(Some(after)),
            Some(_) => Err(ApiError::invalid_argument(
                "after",
                "the cursor belongs to another sort order",
            )),
        }
    };
    let order = match sort {
        ProductSort::Newest => Order::Newest,
        ProductSort::PriceAsc => Order::PriceLowHigh,
        ProductSort::PriceDesc => Order::PriceHighLow,
        ProductSort::Relevance => {
            let Some(search) = filters.search.clone() else {
                // Without search text every product is equally relevant.
                let after = plain(Order::Newest, after)?;
                let found = catalog
                    .storefront(listing(None, Order::Newest, after))
                    .await?;
                return Ok(found
                    .into_iter()
                    .map(|p| (Cursor::Plain(Order::Newest, position(Order::Newest, &p)), p))
                    .collect());
            };
            let (phase, after) = match after {
                None => (1, None),
                Some(Cursor::Relevance(phase, after)) => (phase, Some(after)),
                Some(_) => {
                    return Err(ApiError::invalid_argument(
                        "after",
                        "the cursor belongs to another sort order",
                    ))
                }
            };
            let mut page = Vec::new();
            if phase == 1 {
                let mut titles = listing(Some(search.clone()), Order::Newest, after.clone());
                titles.search_in = SearchIn::Title;
                let titles = catalog.storefront(titles).await?;
                page.extend(
                    titles
                        .into_iter()
                        .map(|p| (Cursor::Relevance(1, position(Order::Newest, &p)), p)),
                );
            }
            let room = limit - page.len() as i64;
            if room > 0 {
                let after = if phase == 2 { after } else { None };
                let mut rest = listing(Some(search), Order::Newest, after);
                rest.search_in = SearchIn::DescriptionOnly;
                rest.limit = room;
                let others = catalog.storefront(rest).await?;
                page.extend(
                    others
                        .into_iter()
                        .map(|p| (Cursor::Relevance(2, position(Order::Newest, &p)), p)),
                );
            }
            return Ok(page);
        }
    };
    let after = plain(order, after)?;
    let found = catalog
        .storefront(listing(filters.search.clone(), order, after))
        .await?;
    Ok(found
        .into_iter()
        .map(|p| (Cursor::Plain(order, position(order, &p)), p))
        .collect())
}

/// How many candidates an `inStock` listing reads at a time.
const STOCK_SCAN: i64 = 100;

/// The products of `batch` with stock to sell: the availability of every
/// variant of the whole batch in one batched load.
async fn stocked(
    ctx: &Context<'_>,
    batch: Vec<(Cursor, Product)>,
) -> Result<Vec<(Cursor, Product)>, ApiError> {
    let loader = ctx
        .data::<async_graphql::dataloader::DataLoader<super::AvailabilityLoader>>()
        .map_err(|err| ApiError::internal(&err.message))?;
    let keys: Vec<_> = batch
        .iter()
        .flat_map(|(_, product)| {
            product
                .variants
                .iter()
                .map(|v| (product.tenant, v.sku.clone()))
        })
        .collect();
    let found = loader
        .load_many(keys)
        .await
        .map_err(|err| ApiError::failure(&err))?;
    Ok(batch
        .into_iter()
        .filter(|(_, product)| {
            product.variants.iter().any(|v| {
                found
                    .get(&(product.tenant, v.sku.clone()))
                    .is_some_and(|available| *available > 0)
            })
        })
        .collect())
}

/// A page of the storefront for `filters`, ordered by `sort`. With `in_stock`,
/// candidates are read in order, a batch at a time, and sold-out ones skipped
/// until the page is full or the list ends: the filter is exact whatever the mix
/// of sold-out and in-stock products; its cost grows with the sold-out products
/// it passes over.
async fn list_products(
    ctx: &Context<'_>,
    filters: Filters,
    sort: Option<ProductSort>,
    in_stock: bool,
    limit: i64,
    after: Option<String>,
) -> Result<Connection<String, ProductView>, ApiError> {
    let sort = sort.unwrap_or(if filters.search.is_some() {
        ProductSort::Relevance
    } else {
        ProductSort::Newest
    });
    let catalog = catalog(ctx)?;
    let had_cursor = after.is_some();
    let mut cursor = decode(after)?;
    let scan = if in_stock {
        (limit + 1).max(STOCK_SCAN)
    } else {
        limit + 1
    };
    let mut page = Vec::new();
    loop {
        let batch = storefront_page(catalog, &filters, sort, cursor.clone(), scan).await?;
        let exhausted = (batch.len() as i64) < scan;
        if let Some((last, _)) = batch.last() {
            cursor = Some(last.clone());
        }
        let kept = if in_stock {
            stocked(ctx, batch).await?
        } else {
            batch
        };
        page.extend(kept);
        if exhausted || page.len() as i64 > limit {
            break;
        }
    }
    page.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
    let (page, has_next) = trim_page(page, limit);
    Ok(connection(page, had_cursor, has_next))
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
    async fn products(
        &self,
        ctx: &Context<'_>,
        sort: Option<ProductSort>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ProductView>> {
        let limit = page_size(first, DEFAULT_PAGE)?;
        let filters = Filters {
            search: None,
            category: None,
            vendor: Some(self.id),
            min_price: None,
            max_price: None,
        };
        Ok(list_products(ctx, filters, sort, false, limit, after).await?)
    }
}

#[derive(Debug, Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The storefront: active products of active vendors. Search matches title
    /// and description literally, ignoring case; prices are in minor units.
    #[allow(clippy::too_many_arguments)]
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
    ) -> Result<Connection<String, ProductView>> {
        let limit = page_size(first, DEFAULT_PAGE)?;
        let in_stock = in_stock.unwrap_or(false);
        let search = search_text(search)?;
        let vendor = match vendor {
            Some(slug) => match service::<dyn Tenancy>(ctx)?
                .vendor_by_slug(slug.trim())
                .await
                .map_err(ApiError::from)?
            {
                Some(found) => Some(found.id),
                None => return Ok(Connection::new(false, false)),
            },
            None => None,
        };
        let filters = Filters {
            category: category.map(|c| object_key("category", &c)).transpose()?,
            search,
            vendor,
            min_price,
            max_price,
        };
        Ok(list_products(ctx, filters, sort, in_stock, limit, after).await?)
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
            .vendor_by_slug(slug.trim())
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
            Some(Cursor::Plain(Order::Newest, after)) => Some(after),
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
            .map(|p| (Cursor::Plain(Order::Newest, position(Order::Newest, &p)), p))
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
        audit::api::after(
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
        audit::api::after(
            ctx,
            None,
            Entry::new("category.delete", "category", id.to_string()),
        )
        .await;
        Ok(true)
    }
}
