//! The platform's category tree: listed with product counts, created, renamed,
//! moved (never under itself) and deleted when empty.

use super::MongoCatalog;
use crate::domain::{CatalogError, Category, InvalidValue, ObjectKey};
use crate::store::{categories, products};

/// A duplicate-key error on the category index as the sibling clash it means.
fn sibling_clash(err: mongodb::error::Error, message: impl Into<String>) -> CatalogError {
    if souk_tenants::mongo::is_duplicate_key(&err) {
        CatalogError::InvalidState(message.into())
    } else {
        err.into()
    }
}

fn category_name(raw: &str) -> Result<String, CatalogError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            "name",
            "a category name has 1 to 80 characters",
        )
        .into());
    }
    Ok(name.to_string())
}

pub(super) async fn with_counts(
    catalog: &MongoCatalog,
) -> Result<Vec<(Category, i64)>, CatalogError> {
    let counts = catalog.listings.category_counts().await?;
    let all = categories::all(&catalog.categories_collection()).await?;
    Ok(all
        .into_iter()
        .map(|c| {
            let count = counts
                .iter()
                .find(|(id, _)| *id == c.id.0)
                .map_or(0, |(_, n)| *n);
            (c, count)
        })
        .collect())
}

pub(super) async fn create(
    catalog: &MongoCatalog,
    name: &str,
    parent: Option<ObjectKey>,
) -> Result<Category, CatalogError> {
    let name = category_name(name)?;
    catalog.require_category(parent).await?;
    categories::insert(&catalog.categories_collection(), &name, parent.map(|p| p.0))
        .await
        .map_err(|err| sibling_clash(err, format!("a sibling category is already called {name}")))
}

pub(super) async fn rename(
    catalog: &MongoCatalog,
    id: ObjectKey,
    name: &str,
) -> Result<Category, CatalogError> {
    let name = category_name(name)?;
    let collection = catalog.categories_collection();
    let renamed = categories::rename(&collection, id.0, &name)
        .await
        .map_err(|err| {
            sibling_clash(err, format!("a sibling category is already called {name}"))
        })?;
    if !renamed {
        return Err(CatalogError::UnknownCategory);
    }
    categories::get(&collection, id.0)
        .await?
        .ok_or(CatalogError::UnknownCategory)
}

pub(super) async fn move_under(
    catalog: &MongoCatalog,
    id: ObjectKey,
    parent: Option<ObjectKey>,
) -> Result<Category, CatalogError> {
    let collection = catalog.categories_collection();
    categories::get(&collection, id.0)
        .await?
        .ok_or(CatalogError::UnknownCategory)?;
    // Walk up from the new parent: meeting the category itself would make a cycle.
    let mut cursor = parent;
    while let Some(ancestor) = cursor {
        if ancestor == id {
            return Err(CatalogError::InvalidState(
                "a category cannot move under itself".into(),
            ));
        }
        cursor = categories::get(&collection, ancestor.0)
            .await?
            .ok_or(CatalogError::UnknownCategory)?
            .parent;
    }
    categories::move_under(&collection, id.0, parent.map(|p| p.0))
        .await
        .map_err(|err| sibling_clash(err, "the new parent already has a category of that name"))?;
    categories::get(&collection, id.0)
        .await?
        .ok_or(CatalogError::UnknownCategory)
}

pub(super) async fn delete(catalog: &MongoCatalog, id: ObjectKey) -> Result<(), CatalogError> {
    let collection = catalog.categories_collection();
    if categories::get(&collection, id.0).await?.is_none() {
        return Err(CatalogError::UnknownCategory);
    }
    if categories::has_children(&collection, id.0).await?
        || products::any_in_category(&catalog.products(), id.0).await?
    {
        return Err(CatalogError::InvalidState(
            "only empty categories can be deleted".into(),
        ));
    }
    categories::delete(&collection, id.0).await?;
    Ok(())
}

impl MongoCatalog {
    /// Refuses a category that does not exist.
    pub(super) async fn require_category(
        &self,
        category: Option<ObjectKey>,
    ) -> Result<(), CatalogError> {
        if let Some(category) = category {
            if categories::get(&self.categories_collection(), category.0)
                .await?
                .is_none()
            {
                return Err(CatalogError::UnknownCategory);
            }
        }
        Ok(())
    }
}
