//! Product documents: one shared collection, each document with its tenant.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime as BsonDateTime, Document};
use mongodb::options::FindOptions;
use mongodb::Collection;
use souk_inventory::domain::Sku;
use souk_tenants::mongo::TenantCollection;
use souk_tenants::TenantId;

use crate::domain::{
    InternalError, Money, ObjectKey, Product, ProductDraft, ProductStatus, Variant,
};

pub const COLLECTION: &str = "products";

fn corrupt(what: &str) -> InternalError {
    InternalError::msg(format!("a stored product has no valid {what}"))
}

fn string_map(doc: Option<&Document>) -> BTreeMap<String, String> {
    doc.map(|d| {
        d.iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

fn map_doc(map: &BTreeMap<String, String>) -> Document {
    map.iter()
        .map(|(k, v)| (k.clone(), Bson::String(v.clone())))
        .collect()
}

fn variant_doc(variant: &Variant) -> Bson {
    Bson::Document(doc! {
        "sku": variant.sku.as_str(),
        "options": map_doc(&variant.options),
        "price_amount": variant.price.as_ref().map(Money::amount),
    })
}

/// The content fields of a product or draft.
struct Content<'a, V> {
    title: &'a str,
    description: &'a str,
    category: Option<ObjectKey>,
    price: &'a Money,
    variants: V,
    images: &'a [String],
    attributes: &'a BTreeMap<String, String>,
}

impl<'a, V: Iterator<Item = &'a Variant>> Content<'a, V> {
    fn document(self) -> Document {
        doc! {
            "title": self.title,
            "description": self.description,
            "category_id": self.category.map(|c| c.0),
            "price": { "amount": self.price.amount(), "currency": self.price.currency() },
            "variants": self.variants.map(variant_doc).collect::<Vec<_>>(),
            "images": self.images,
            "attributes": map_doc(self.attributes),
        }
    }
}

/// The document fields a draft sets (everything but identity, status and times).
pub fn draft_fields(draft: &ProductDraft) -> Document {
    Content {
        title: &draft.title,
        description: &draft.description,
        category: draft.category,
        price: &draft.price,
        variants: draft.variants.iter().map(|v| &v.variant),
        images: &draft.images,
        attributes: &draft.attributes,
    }
    .document()
}

/// The whole document of `product`: what [`from_document`] reads back.
pub fn to_document(product: &Product) -> Document {
    let mut document = Content {
        title: &product.title,
        description: &product.description,
        category: product.category,
        price: &product.price,
        variants: product.variants.iter(),
        images: &product.images,
        attributes: &product.attributes,
    }
    .document();
    document.insert("_id", product.id.0);
    document.insert("tenant_id", product.tenant.to_string());
    document.insert("status", product.status.as_str());
    document.insert("sold", product.sold);
    document.insert("version", product.version);
    document.insert("created_at", to_bson(product.created_at));
    document.insert("updated_at", to_bson(product.updated_at));
    document
}

/// A stored document as a product.
pub fn from_document(doc: &Document) -> Result<Product, InternalError> {
    let price = doc.get_document("price").map_err(|_| corrupt("price"))?;
    let currency = price
        .get_str("currency")
        .map_err(|_| corrupt("currency"))?
        .to_string();
    let amount = price.get_i64("amount").map_err(|_| corrupt("amount"))?;
    let variants = doc
        .get_array("variants")
        .map_err(|_| corrupt("variants"))?
        .iter()
        .map(|v| {
            let v = v.as_document().ok_or_else(|| corrupt("variant"))?;
            Ok(Variant {
                sku: Sku::parse(v.get_str("sku").map_err(|_| corrupt("sku"))?)
                    .map_err(|_| corrupt("sku"))?,
                options: string_map(v.get_document("options").ok()),
                price: v
                    .get_i64("price_amount")
                    .ok()
                    .map(|a| Money::from_stored(a, currency.clone())),
            })
        })
        .collect::<Result<Vec<_>, InternalError>>()?;
    let tenant = TenantId::parse(doc.get_str("tenant_id").map_err(|_| corrupt("tenant"))?)
        .map_err(|_| corrupt("tenant"))?;
    Ok(Product {
        id: ObjectKey(doc.get_object_id("_id").map_err(|_| corrupt("id"))?),
        tenant,
        title: doc
            .get_str("title")
            .map_err(|_| corrupt("title"))?
            .to_string(),
        description: doc.get_str("description").unwrap_or_default().to_string(),
        category: doc.get_object_id("category_id").ok().map(ObjectKey),
        price: Money::from_stored(amount, currency),
        variants,
        images: doc
            .get_array("images")
            .map(|a| {
                a.iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        attributes: string_map(doc.get_document("attributes").ok()),
        status: ProductStatus::parse(doc.get_str("status").map_err(|_| corrupt("status"))?)
            .ok_or_else(|| corrupt("status"))?,
        sold: doc.get_bool("sold").unwrap_or(false),
        version: doc.get_i64("version").map_err(|_| corrupt("version"))?,
        created_at: to_chrono(
            doc.get_datetime("created_at")
                .map_err(|_| corrupt("created_at"))?,
        ),
        updated_at: to_chrono(
            doc.get_datetime("updated_at")
                .map_err(|_| corrupt("updated_at"))?,
        ),
    })
}

pub use souk_tenants::mongo::{to_bson, to_chrono};

pub fn now() -> BsonDateTime {
    to_bson(Utc::now())
}

/// Inserts a draft product; the unique index on (tenant, variant SKU) refuses a
/// SKU another product of the tenant uses (`Err` with code 11000).
pub async fn insert(
    products: &TenantCollection,
    draft: &ProductDraft,
) -> Result<ObjectId, mongodb::error::Error> {
    let id = ObjectId::new();
    let mut document = draft_fields(draft);
    let at = now();
    document.insert("_id", id);
    document.insert("status", ProductStatus::Draft.as_str());
    document.insert("sold", false);
    document.insert("version", 1_i64);
    document.insert("created_at", at);
    document.insert("updated_at", at);
    match products.insert_one(&document).await {
        Ok(_) => Ok(id),
        Err(souk_tenants::mongo::ScopeError::Mongo(err)) => Err(err),
        Err(other) => Err(mongodb::error::Error::custom(other.to_string())),
    }
}

/// The filter for a vendor listing's search text, matched literally and
/// case-insensitively against title and description.
pub fn search_filter(search: &str) -> Document {
    let pattern = super::escape_regex(search);
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
pub fn all_of(filters: Vec<Document>) -> Document {
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
    let docs = super::detached::to_completion(async move {
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
