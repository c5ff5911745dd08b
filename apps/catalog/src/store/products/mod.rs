//! Product documents: one shared collection, each document with its tenant.
//! Their mapping is here; the queries are in [`listing`] (reads) and [`writes`].

use std::collections::BTreeMap;

use chrono::Utc;
use mongodb::bson::{doc, Bson, DateTime as BsonDateTime, Document};
use souk_inventory::domain::Sku;
use souk_tenants::TenantId;

use crate::domain::{
    InternalError, Money, ObjectKey, Product, ProductDraft, ProductStatus, Variant,
};

mod listing;
mod writes;

pub use listing::{
    any_in_category, by_sku, find_public, get, list_scoped, other_with_skus, position,
    search_filter, status_filter, After, Order,
};
pub use writes::{delete_unsold_draft, insert, remove, replace_draft, set_status};

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
