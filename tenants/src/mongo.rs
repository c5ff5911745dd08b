//! The tenant scope for MongoDB.
//!
//! Tenant collections are shared; every document carries `tenant_id`, and every
//! index starts with it (it is also the shard key). Code reaches a tenant
//! collection only through a [`TenantCollection`], which puts the tenant into
//! every filter, insert and aggregation and refuses updates that would touch it,
//! so a query without a tenant cannot be written.
//!
//! A handle is typed by its documents: `TenantCollection<Document>` (the
//! default) for raw BSON, or a service's serde struct (see
//! [`TenantCollection::typed`]), so reads decode straight into that struct.

use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::FindOptions;
use mongodb::results::{DeleteResult, UpdateResult};
use mongodb::{ClientSession, Collection};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::TenantId;

/// A UTC time as BSON (millisecond precision, as MongoDB stores it).
pub fn to_bson(at: chrono::DateTime<chrono::Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(at.timestamp_millis())
}

/// A BSON time as UTC.
pub fn to_chrono(at: &mongodb::bson::DateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or_default()
}

/// The field every tenant document carries.
pub const TENANT_FIELD: &str = "tenant_id";

/// A use of a tenant collection that would escape the tenant.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("an update may not change {TENANT_FIELD}")]
    TenantUpdate,
    #[error("a document could not be encoded: {0}")]
    Encode(#[from] mongodb::bson::ser::Error),
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
}

impl ScopeError {
    /// Whether the write was refused by a unique index.
    pub fn is_duplicate_key(&self) -> bool {
        matches!(self, ScopeError::Mongo(err) if is_duplicate_key(err))
    }
}

/// One tenant's view of a shared collection of `T` documents.
#[derive(Debug)]
pub struct TenantCollection<T: Send + Sync = Document> {
    inner: Collection<T>,
    tenant: TenantId,
}

impl<T: Send + Sync> Clone for TenantCollection<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            tenant: self.tenant,
        }
    }
}

impl TenantCollection<Document> {
    pub fn new(inner: Collection<Document>, tenant: TenantId) -> Self {
        Self { inner, tenant }
    }
}

impl<T> TenantCollection<T>
where
    T: Serialize + DeserializeOwned + Unpin + Send + Sync,
{
    /// The same tenant's view of the same collection, its documents read as `U`.
    pub fn typed<U: Send + Sync>(&self) -> TenantCollection<U> {
        TenantCollection {
            inner: self.inner.clone_with_type(),
            tenant: self.tenant,
        }
    }

    fn raw(&self) -> Collection<Document> {
        self.inner.clone_with_type()
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn tenant_value(&self) -> Bson {
        Bson::String(self.tenant.to_string())
    }

    /// `filter` AND this tenant (a caller's own `tenant_id` is replaced).
    pub fn scope(&self, mut filter: Document) -> Document {
        filter.insert(TENANT_FIELD, self.tenant_value());
        filter
    }

    pub async fn find_one(&self, filter: Document) -> Result<Option<T>, ScopeError> {
        Ok(self.inner.find_one(self.scope(filter)).await?)
    }

    pub async fn find(&self, filter: Document, options: FindOptions) -> Result<Vec<T>, ScopeError> {
        let cursor = self
            .inner
            .find(self.scope(filter))
            .with_options(options)
            .await?;
        Ok(cursor.try_collect().await?)
    }

    /// `value` as a document of this tenant's (its own `tenant_id`, if any, replaced).
    fn owned(&self, value: &T) -> Result<Document, ScopeError> {
        let mut document = mongodb::bson::to_document(value)?;
        document.insert(TENANT_FIELD, self.tenant_value());
        Ok(document)
    }

    /// Inserts `value` as this tenant's.
    pub async fn insert_one(&self, value: &T) -> Result<Bson, ScopeError> {
        let document = self.owned(value)?;
        Ok(self.raw().insert_one(document).await?.inserted_id)
    }

    pub async fn update_one(
        &self,
        filter: Document,
        update: Document,
    ) -> Result<UpdateResult, ScopeError> {
        refuse_tenant_update(&update)?;
        Ok(self.inner.update_one(self.scope(filter), update).await?)
    }

    pub async fn delete_one(&self, filter: Document) -> Result<DeleteResult, ScopeError> {
        Ok(self.inner.delete_one(self.scope(filter)).await?)
    }

    pub async fn count(&self, filter: Document) -> Result<u64, ScopeError> {
        Ok(self.inner.count_documents(self.scope(filter)).await?)
    }

    /// The same tenant's view of another collection of the same database.
    pub fn sibling(&self, name: &str) -> TenantCollection<Document> {
        let database = self
            .inner
            .client()
            .database(self.inner.namespace().db.as_str());
        TenantCollection::new(database.collection(name), self.tenant)
    }

    /// A session with a transaction started, for changes to several documents (or
    /// collections) that must happen together.
    pub async fn start_transaction(&self) -> Result<ClientSession, ScopeError> {
        let mut session = self.inner.client().start_session().await?;
        session.start_transaction().await?;
        Ok(session)
    }

    /// [`Self::insert_one`] inside `session`'s transaction.
    pub async fn insert_one_in(
        &self,
        session: &mut ClientSession,
        value: &T,
    ) -> Result<Bson, ScopeError> {
        let document = self.owned(value)?;
        Ok(self
            .raw()
            .insert_one(document)
            .session(session)
            .await?
            .inserted_id)
    }

    /// [`Self::update_one`] inside `session`'s transaction.
    pub async fn update_one_in(
        &self,
        session: &mut ClientSession,
        filter: Document,
        update: Document,
    ) -> Result<UpdateResult, ScopeError> {
        refuse_tenant_update(&update)?;
        Ok(self
            .inner
            .update_one(self.scope(filter), update)
            .session(session)
            .await?)
    }

    /// Runs `pipeline` after a first `$match` on this tenant.
    pub async fn aggregate(&self, pipeline: Vec<Document>) -> Result<Vec<Document>, ScopeError> {
        let mut scoped = vec![doc! { "$match": { TENANT_FIELD: self.tenant_value() } }];
        scoped.extend(pipeline);
        let cursor = self.raw().aggregate(scoped).await?;
        Ok(cursor.try_collect().await?)
    }
}

fn refuse_tenant_update(update: &Document) -> Result<(), ScopeError> {
    let touches = update.iter().any(|(operator, fields)| {
        operator == TENANT_FIELD
            || matches!(fields, Bson::Document(fields) if fields.keys().any(|k| k == TENANT_FIELD || k.starts_with("tenant_id.")))
    });
    if touches {
        Err(ScopeError::TenantUpdate)
    } else {
        Ok(())
    }
}

/// Whether a MongoDB error is a duplicate-key error.
pub fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|w| w.iter().any(|e| e.code == 11000)),
        _ => err.to_string().contains("E11000"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_may_not_touch_the_tenant() {
        assert!(refuse_tenant_update(&doc! { "$set": { "title": "x" } }).is_ok());
        assert!(refuse_tenant_update(&doc! { "$set": { "tenant_id": "other" } }).is_err());
        assert!(refuse_tenant_update(&doc! { "$unset": { "tenant_id": "" } }).is_err());
        assert!(refuse_tenant_update(&doc! { "$rename": { "tenant_id": "t" } }).is_err());
    }
}
