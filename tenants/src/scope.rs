use std::ops::{Deref, DerefMut};

use sqlx::{PgPool, Postgres, Transaction};

use crate::TenantId;

/// A PostgreSQL transaction scoped to one tenant.
///
/// Opening one sets `app.tenant_id` with `set_config(.., true)`, local to the
/// transaction, so the setting can never leak to the next user of the pooled
/// connection. Every tenant table's row-level security policy reads that setting,
/// so a statement run through a `TenantTx` sees and writes only that tenant's rows.
/// Store functions take `&mut TenantTx`, which makes an unscoped query on a tenant
/// table impossible to write by accident.
#[derive(Debug)]
pub struct TenantTx {
    tenant: TenantId,
    tx: Transaction<'static, Postgres>,
}

impl TenantTx {
    /// Begins a transaction in `tenant`'s scope. `BEGIN` and the scope travel in
    /// one round trip; the tenant id is a UUID, whose text form needs no quoting.
    pub async fn begin(pool: &PgPool, tenant: TenantId) -> Result<Self, sqlx::Error> {
        let tx = pool
            .begin_with(format!(
                "BEGIN; SELECT set_config('app.tenant_id', '{}', true)",
                tenant.as_uuid().hyphenated()
            ))
            .await?;
        Ok(Self { tenant, tx })
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for TenantTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// A PostgreSQL transaction scoped to one user (`app.user_id`), for the few tables
/// a person reads across tenants: their own memberships.
#[derive(Debug)]
pub struct UserTx {
    user: uuid::Uuid,
    tx: Transaction<'static, Postgres>,
}

impl UserTx {
    pub async fn begin(pool: &PgPool, user: uuid::Uuid) -> Result<Self, sqlx::Error> {
        let tx = pool
            .begin_with(format!(
                "BEGIN; SELECT set_config('app.user_id', '{}', true)",
                user.hyphenated()
            ))
            .await?;
        Ok(Self { user, tx })
    }

    pub fn user(&self) -> uuid::Uuid {
        self.user
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for UserTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for UserTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// A pool connected as the platform role (`souk_platform_job`), separate from the
/// tenant role's pool and small: the only way to work across tenants. The tenant
/// role has no setting, function or role membership that widens its scope, so
/// platform-wide work (sweeps, relays, usage flushes, admin reads) must come here.
#[derive(Debug, Clone)]
pub struct PlatformPool(PgPool);

impl PlatformPool {
    /// Wraps a pool that logs in as the platform role.
    pub fn new(pool: PgPool) -> Self {
        Self(pool)
    }

    pub fn pool(&self) -> &PgPool {
        &self.0
    }

    pub async fn close(&self) {
        self.0.close().await;
    }
}

/// A PostgreSQL transaction acting for the platform: what platform-admin code
/// paths and platform jobs open, on the [`PlatformPool`], to read across tenants
/// where a policy for the platform role allows it and to record what they did.
#[derive(Debug)]
pub struct PlatformTx {
    tx: Transaction<'static, Postgres>,
}

impl PlatformTx {
    pub async fn begin(pool: &PlatformPool) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: pool.0.begin().await?,
        })
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for PlatformTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for PlatformTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// `raw` with LIKE's wildcards and escape character taken literally.
pub fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
