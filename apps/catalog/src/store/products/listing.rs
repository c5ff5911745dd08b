//! Product reads: one product, a vendor's listing page by page, the products
//! for sale among some ids.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::options::FindOptions;
use mongodb::Collection;
use souk_tenants::mongo::TenantCollection;

use super::{from_document, to_bson};
use crate::domain::{InternalError, Product, ProductStatus};

/// The tenant's first product matching `filter`.
async fn find_one(
    products: &TenantCollection,
    filter: Document,
) -> Result<Option<Product>, InternalError> {
    let found = products.find_one(filter).await?;
    found.as_ref().map(from_document).transpose()
}

/// The tenant's product `id`.
pub async fn get(
    products: &TenantCollection,
    id: ObjectId,
) -> Result<Option<Product>, InternalError> {
    find_one(products, doc! { "_id": id }).await
}

/// The tenant's product that sells `sku`.
pub async fn by_sku(
    products: &TenantCollection,
    sku: &str,
) -> Result<Option<Product>, InternalError> {
    find_one(products, doc! { "variants.sku": sku }).await
}

/// A product of the tenant, other than `except`, that sells one of `skus`.
pub async fn other_with_skus(
    products: &TenantCollection,
    skus: &[&str],
    except: Option<ObjectId>,
) -> Result<Option<Product>, InternalError> {
    let mut filter = doc! { "variants.sku": { "$in": skus } };
    if let Some(id) = except {
        filter.insert("_id", doc! { "$ne": id });
    }
    find_one(products, filter).await
}

/// The filter for a vendor listing's status.
pub fn status_filter(status: ProductStatus) -> Document {
    doc! { "status": status.as_str() }
}

/// The filter for a vendor listing's search text, matched literally and
/// case-insensitively against title and description.
pub fn search_filter(search: &str) -> Document {
    let pattern = crate::store::escape_regex(search);
    doc! { "$or": [
        { "title": { "$regex": &pattern, "$options": "i" } },
        { "description": { "$regex": &pattern, "$options": "i" } },
    ] }
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Newest,
    PriceLowHigh,
    PriceHighLow,
    /// Best match to the search text first (the storefront's read model only;
    /// MongoDB listings treat it as newest first).
    Relevance,
    /// Most units shipped first (the storefront's read model only).
    Popular,
}

/// A position in a listing: the sort key and id of the last product seen.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Newest(DateTime<Utc>, ObjectId),
    Price(i64, ObjectId),
    /// A search match's rank.
    Rank(f32, ObjectId),
    /// Units shipped.
    Sold(i64, ObjectId),
}

fn order_spec(order: Order) -> Document {
    match order {
        Order::Newest | Order::Relevance | Order::Popular => doc! { "created_at": -1, "_id": -1 },
        Order::PriceLowHigh => doc! { "price.amount": 1, "_id": 1 },
        Order::PriceHighLow => doc! { "price.amount": -1, "_id": -1 },
    }
}

fn after_filter(order: Order, after: &After) -> Option<Document> {
    match (order, after) {
        (Order::Newest | Order::Relevance | Order::Popular, After::Newest(at, id)) => {
            let at = to_bson(*at);
            Some(
                doc! { "$or": [ { "created_at": { "$lt": at } }, { "created_at": at, "_id": { "$lt": id } } ] },
            )
        }
        (Order::PriceLowHigh, After::Price(amount, id)) => Some(
            doc! { "$or": [ { "price.amount": { "$gt": amount } }, { "price.amount": amount, "_id": { "$gt": id } } ] },
        ),
        (Order::PriceHighLow, After::Price(amount, id)) => Some(
            doc! { "$or": [ { "price.amount": { "$lt": amount } }, { "price.amount": amount, "_id": { "$lt": id } } ] },
        ),
        _ => None,
    }
}

/// The position of `product` in a listing ordered by `order`.
pub fn position(order: Order, product: &Product) -> After {
    match order {
        Order::Newest | Order::Relevance | Order::Popular => {
            After::Newest(product.created_at, product.id.0)
        }
        Order::PriceLowHigh | Order::PriceHighLow => {
            After::Price(product.price.amount(), product.id.0)
        }
    }
}

/// Combines filters with `$and`.
fn all_of(filters: Vec<Document>) -> Document {
    match filters.len() {
        0 => Document::new(),
        1 => filters.into_iter().next().unwrap_or_default(),
        _ => doc! { "$and": filters },
    }
}

/// A vendor's own products (drafts included).
pub async fn list_scoped(
    products: &TenantCollection,
    mut filters: Vec<Document>,
    order: Order,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Product>, InternalError> {
    if let Some(after) = after.and_then(|a| after_filter(order, a)) {
        filters.push(after);
    }
    let options = FindOptions::builder()
        .sort(order_spec(order))
        .limit(limit)
        .build();
    let docs = products.find(all_of(filters), options).await?;
    docs.iter().map(from_document).collect()
}

/// The active products among `ids`, whatever their tenant (the storefront's
/// product page, a checkout's cart).
pub async fn find_public(
    products: &Collection<Document>,
    ids: &[ObjectId],
) -> Result<Vec<Product>, InternalError> {
    let (products, filter) = (
        products.clone(),
        doc! { "_id": { "$in": ids }, "status": ProductStatus::Active.as_str() },
    );
    let docs = crate::store::detached::to_completion(async move {
        let cursor = products.find(filter).await?;
        Ok(cursor.try_collect::<Vec<Document>>().await?)
    })
    .await?;
    docs.iter().map(from_document).collect()
}

/// Whether any product of any tenant is in `category`.
pub async fn any_in_category(
    products: &Collection<Document>,
    category: ObjectId,
) -> Result<bool, InternalError> {
    Ok(products
        .find_one(doc! { "category_id": category })
        .await?
        .is_some())
}
