//! The audit log's reads and its writes from outside a change's own transaction.

use sqlx::PgPool;

use super::{current, store, Entry, Filter, LoggedEntry};
use crate::{PlatformPool, PlatformTx, TenantId, TenantTx};

/// Reads the audit log in the caller's scope.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pool: PgPool,
    platform: PlatformPool,
}

impl AuditLog {
    pub fn new(pool: PgPool, platform: PlatformPool) -> Self {
        Self { pool, platform }
    }

    /// Records `entry` in a transaction of its own, for changes whose data lives
    /// outside PostgreSQL (catalog and orders in MongoDB): called right after the
    /// change succeeded. Does nothing outside an audited request.
    pub async fn record_after(
        &self,
        tenant: Option<TenantId>,
        entry: Entry,
    ) -> Result<(), sqlx::Error> {
        let Some(context) = current() else {
            return Ok(());
        };
        match tenant {
            Some(tenant) => {
                let mut tx = TenantTx::begin(&self.pool, tenant).await?;
                store::insert(&mut tx, Some(tenant), &context, &entry).await?;
                tx.commit().await
            }
            None => {
                let mut tx = PlatformTx::begin(&self.platform).await?;
                store::insert(&mut tx, None, &context, &entry).await?;
                tx.commit().await
            }
        }
    }

    /// One tenant's entries, under that tenant's row-level security scope.
    pub async fn tenant_entries(
        &self,
        tenant: TenantId,
        filter: &Filter,
        limit: i64,
    ) -> Result<Vec<LoggedEntry>, sqlx::Error> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let entries = super::list(&mut tx, filter, limit).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// Every tenant's entries and the platform's own.
    pub async fn platform_entries(
        &self,
        filter: &Filter,
        limit: i64,
    ) -> Result<Vec<LoggedEntry>, sqlx::Error> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let entries = super::list(&mut tx, filter, limit).await?;
        tx.commit().await?;
        Ok(entries)
    }
}
