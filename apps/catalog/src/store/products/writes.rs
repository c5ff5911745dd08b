//! Product writes: a draft inserted or replaced (optimistically, by version),
//! a status changed, a product removed.

use mongodb::bson::{doc, oid::ObjectId};
use souk_tenants::mongo::{ScopeError, TenantCollection};

use super::{draft_fields, now};
use crate::domain::{InternalError, ProductDraft, ProductStatus};

/// Inserts a draft product; the unique index on (tenant, variant SKU) refuses a
/// SKU another product of the tenant uses ([`ScopeError::is_duplicate_key`]).
pub async fn insert(
    products: &TenantCollection,
    draft: &ProductDraft,
) -> Result<ObjectId, ScopeError> {
    let id = ObjectId::new();
    let mut document = draft_fields(draft);
    let at = now();
    document.insert("_id", id);
    document.insert("status", ProductStatus::Draft.as_str());
    document.insert("sold", false);
    document.insert("version", 1_i64);
    document.insert("created_at", at);
    document.insert("updated_at", at);
    products.insert_one(&document).await.map(|_| id)
}

/// Replaces the content of product `id` with `draft` if it is still at
/// `expected_version`; whether it was. A SKU another product of the tenant uses
/// is refused by the unique index ([`ScopeError::is_duplicate_key`]).
pub async fn replace_draft(
    products: &TenantCollection,
    id: ObjectId,
    expected_version: i64,
    draft: &ProductDraft,
) -> Result<bool, ScopeError> {
    let mut fields = draft_fields(draft);
    fields.insert("updated_at", now());
    let done = products
        .update_one(
            doc! { "_id": id, "version": expected_version },
            doc! { "$set": fields, "$inc": { "version": 1_i64 } },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Moves product `id` to `to` if its status is one of `from`; whether it moved.
pub async fn set_status(
    products: &TenantCollection,
    id: ObjectId,
    from: &[ProductStatus],
    to: ProductStatus,
) -> Result<bool, InternalError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let done = products
        .update_one(
            doc! { "_id": id, "status": { "$in": from } },
            doc! {
                "$set": { "status": to.as_str(), "updated_at": now() },
                "$inc": { "version": 1_i64 },
            },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Deletes product `id` if it is a draft that never sold; whether it was.
pub async fn delete_unsold_draft(
    products: &TenantCollection,
    id: ObjectId,
) -> Result<bool, InternalError> {
    let done = products
        .delete_one(doc! { "_id": id, "status": ProductStatus::Draft.as_str(), "sold": false })
        .await?;
    Ok(done.deleted_count == 1)
}

/// Deletes product `id`, whatever its state (a creation taken back).
pub async fn remove(products: &TenantCollection, id: ObjectId) -> Result<(), InternalError> {
    products.delete_one(doc! { "_id": id }).await?;
    Ok(())
}
