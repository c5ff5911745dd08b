//! The storefront's product lists: one page from the read model, with the
//! facet counts of everything the filters match when they are asked for.

use std::sync::Arc;

use async_graphql::connection::{Connection, ConnectionNameType, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType, Result, SimpleObject, ID};
use souk_edge::{page_size, service, trim_page, ApiError};
use souk_tenants::TenantId;
use tokio::sync::OnceCell;

use super::cursor::{decode, encode, for_order, Cursor};
use super::objects::{ProductSort, ProductView};
use crate::domain::ObjectKey;
use crate::listings::Facets;
use crate::service::Listing;
use crate::store::products::Order;
use crate::Catalog;

pub const DEFAULT_PAGE: i32 = 20;

/// What one storefront list costs against the query complexity limit: each is
/// a database query, so a request holds a handful, not hundreds (with the
/// default limit of 1000, at most 19 lists with a few fields each).
pub const SHELF_COST: usize = 50;

/// What the counts over every page cost on top: one grouped scan.
pub const FACETS_COST: usize = 100;

/// Names the storefront's connection apart from the vendor's product list.
#[derive(Debug)]
pub struct ShelfName;

impl ConnectionNameType for ShelfName {
    fn type_name<T: OutputType>() -> String {
        "StorefrontProductConnection".into()
    }
}

pub type Shelf = Connection<String, ProductView, ListingSummary, EmptyFields, ShelfName>;

/// Storefront filters, as given.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub search: Option<String>,
    pub category: Option<ObjectKey>,
    pub vendor: Option<TenantId>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
}

/// The order a listing follows: relevance needs search text, and without it
/// every product is equally relevant (newest first).
fn order_of(sort: Option<ProductSort>, searching: bool) -> Order {
    match sort {
        None | Some(ProductSort::Relevance) if searching => Order::Relevance,
        None | Some(ProductSort::Relevance | ProductSort::Newest) => Order::Newest,
        Some(ProductSort::PriceAsc) => Order::PriceLowHigh,
        Some(ProductSort::PriceDesc) => Order::PriceHighLow,
        Some(ProductSort::Popular) => Order::Popular,
    }
}

/// One page of the storefront for `filters`.
pub async fn shelf(
    ctx: &Context<'_>,
    filters: Filters,
    sort: Option<ProductSort>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Shelf, ApiError> {
    let limit = page_size(first, DEFAULT_PAGE)?;
    let order = order_of(sort, filters.search.is_some());
    let had_cursor = after.is_some();
    let after = for_order(order, decode(after)?)?;
    let listing = Listing {
        search: filters.search,
        in_stock: filters.in_stock,
        category: filters.category,
        vendor: filters.vendor,
        min_price: filters.min_price,
        max_price: filters.max_price,
        order,
        after,
        limit: limit + 1,
    };
    let catalog = service::<dyn Catalog>(ctx)?.clone();
    let found = catalog.storefront(listing.clone()).await?;
    let (found, has_next) = trim_page(found, limit);
    let summary = ListingSummary {
        catalog,
        listing: Listing {
            after: None,
            ..listing
        },
        facets: OnceCell::new(),
    };
    let mut connection = Connection::with_additional_fields(had_cursor, has_next, summary);
    connection.edges.extend(found.into_iter().map(|listed| {
        let cursor = encode(&Cursor(order, listed.position(order)));
        Edge::new(cursor, ProductView::new(listed.product))
    }));
    Ok(connection)
}

/// What a storefront list tells beyond its page: counts over every page.
pub struct ListingSummary {
    catalog: Arc<dyn Catalog>,
    listing: Listing,
    facets: OnceCell<Facets>,
}

impl std::fmt::Debug for ListingSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListingSummary")
            .field("listing", &self.listing)
            .finish_non_exhaustive()
    }
}

impl ListingSummary {
    async fn counts(&self) -> Result<&Facets, ApiError> {
        self.facets
            .get_or_try_init(|| async {
                self.catalog
                    .storefront_facets(self.listing.clone())
                    .await
                    .map_err(ApiError::from)
            })
            .await
    }
}

#[Object]
impl ListingSummary {
    /// How many products match, all pages together.
    #[graphql(complexity = "FACETS_COST")]
    async fn total_count(&self) -> Result<i64> {
        Ok(self.counts().await?.total)
    }

    /// Counts of the matching products per category, vendor and price band.
    #[graphql(complexity = "FACETS_COST + child_complexity")]
    async fn facets(&self) -> Result<FacetsView> {
        Ok(FacetsView::from(self.counts().await?))
    }
}

/// Facet counts of a storefront query.
#[derive(Debug, SimpleObject)]
#[graphql(name = "ProductFacets")]
pub struct FacetsView {
    /// Per category, most products first; `categoryId` null for uncategorised.
    categories: Vec<CategoryCount>,
    /// The 20 vendors with most matching products.
    vendors: Vec<VendorCount>,
    /// Price bands in minor units, in price order, empty ones included.
    price_bands: Vec<PriceBandCount>,
}

#[derive(Debug, SimpleObject)]
pub struct CategoryCount {
    category_id: Option<ID>,
    count: i64,
}

#[derive(Debug, SimpleObject)]
pub struct VendorCount {
    vendor_id: ID,
    count: i64,
}

#[derive(Debug, SimpleObject)]
pub struct PriceBandCount {
    /// The band's lowest price (inclusive).
    min: i64,
    /// The price the band ends below; null for the last band.
    max: Option<i64>,
    count: i64,
}

impl From<&Facets> for FacetsView {
    fn from(facets: &Facets) -> Self {
        Self {
            categories: facets
                .categories
                .iter()
                .map(|(id, count)| CategoryCount {
                    category_id: id.map(|id| ID(id.to_hex())),
                    count: *count,
                })
                .collect(),
            vendors: facets
                .vendors
                .iter()
                .map(|(id, count)| VendorCount {
                    vendor_id: ID(id.to_string()),
                    count: *count,
                })
                .collect(),
            price_bands: facets
                .price_bands
                .iter()
                .map(|band| PriceBandCount {
                    min: band.min,
                    max: band.max,
                    count: band.count,
                })
                .collect(),
        }
    }
}
