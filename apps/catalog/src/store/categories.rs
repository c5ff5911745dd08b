//! The platform's category tree (platform data: no tenant).

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::Collection;

use super::products::{now, to_chrono};
use crate::domain::{Category, InternalError, ObjectKey};

pub const COLLECTION: &str = "categories";

fn from_document(doc: &Document) -> Result<Category, InternalError> {
    let corrupt = || InternalError::msg("a stored category is malformed");
    Ok(Category {
        id: ObjectKey(doc.get_object_id("_id").map_err(|_| corrupt())?),
        name: doc.get_str("name").map_err(|_| corrupt())?.to_string(),
        parent: doc.get_object_id("parent_id").ok().map(ObjectKey),
        created_at: to_chrono(doc.get_datetime("created_at").map_err(|_| corrupt())?),
    })
}

pub async fn all(categories: &Collection<Document>) -> Result<Vec<Category>, InternalError> {
    let cursor = categories
        .find(doc! {})
        .sort(doc! { "name": 1, "_id": 1 })
        .await?;
    let docs: Vec<Document> = cursor.try_collect().await?;
    docs.iter().map(from_document).collect()
}

pub async fn get(
    categories: &Collection<Document>,
    id: ObjectId,
) -> Result<Option<Category>, InternalError> {
    let found = categories.find_one(doc! { "_id": id }).await?;
    found.as_ref().map(from_document).transpose()
}

/// Inserts a category; sibling names are unique (a duplicate is error 11000).
pub async fn insert(
    categories: &Collection<Document>,
    name: &str,
    parent: Option<ObjectId>,
) -> Result<Category, mongodb::error::Error> {
    let id = ObjectId::new();
    let at = now();
    categories
        .insert_one(&doc! { "_id": id, "name": name, "parent_id": parent.map_or(Bson::Null, Bson::ObjectId), "created_at": at })
        .await?;
    Ok(Category {
        id: ObjectKey(id),
        name: name.to_string(),
        parent: parent.map(ObjectKey),
        created_at: to_chrono(&at),
    })
}

/// Renames category `id`; whether it exists. A sibling of the same name is
/// refused by the unique index (`Err` with code 11000).
pub async fn rename(
    categories: &Collection<Document>,
    id: ObjectId,
    name: &str,
) -> Result<bool, mongodb::error::Error> {
    set(categories, id, doc! { "name": name }).await
}

/// Moves category `id` under `parent` (the root when `None`); whether it
/// exists. A clash of names under the new parent is refused by the unique index.
pub async fn move_under(
    categories: &Collection<Document>,
    id: ObjectId,
    parent: Option<ObjectId>,
) -> Result<bool, mongodb::error::Error> {
    set(categories, id, doc! { "parent_id": parent }).await
}

async fn set(
    categories: &Collection<Document>,
    id: ObjectId,
    fields: Document,
) -> Result<bool, mongodb::error::Error> {
    let done = categories
        .update_one(doc! { "_id": id }, doc! { "$set": fields })
        .await?;
    Ok(done.matched_count == 1)
}

pub async fn has_children(
    categories: &Collection<Document>,
    id: ObjectId,
) -> Result<bool, InternalError> {
    Ok(categories
        .find_one(doc! { "parent_id": id })
        .await?
        .is_some())
}

pub async fn delete(
    categories: &Collection<Document>,
    id: ObjectId,
) -> Result<bool, InternalError> {
    Ok(categories
        .delete_one(doc! { "_id": id })
        .await?
        .deleted_count
        == 1)
}
