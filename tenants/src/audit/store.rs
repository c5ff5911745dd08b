//! `audit.entries`: written inside the changing transaction, read newest first.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Context, Entry};
use crate::TenantId;

pub(super) async fn insert(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    context: &Context,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit.entries (id, tenant_id, actor_kind, actor_id, actor_role, action,
         target_type, target_id, request_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        Uuid::now_v7(),
        tenant.map(|t| t.as_uuid()),
        context.actor.kind,
        &context.actor.id,
        context.actor.role.as_str(),
        entry.action,
        entry.target_type,
        &entry.target_id,
        context.request_id.as_deref(),
        &entry.details,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An entry as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedEntry {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_role: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// What to list. Row-level security decides whose entries are visible; `tenant`
/// narrows a platform-wide reader to one tenant.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tenant: Option<TenantId>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries strictly older than this `(at, id)` key.
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

/// Newest first, at most `limit` entries.
pub async fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<LoggedEntry>, sqlx::Error> {
    sqlx::query_as!(
        LoggedEntry,
        "SELECT id, tenant_id, at, actor_kind, actor_id, actor_role, action, target_type,
                target_id, request_id, details
         FROM audit.entries
         WHERE ($1::uuid IS NULL OR tenant_id = $1)
           AND ($2::text IS NULL OR actor_id = $2)
           AND ($3::text IS NULL OR action = $3)
           AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5)
           AND ($6::timestamptz IS NULL OR (at, id) < ($6, $7))
         ORDER BY at DESC, id DESC
         LIMIT $8",
        filter.tenant.map(|t| t.as_uuid()),
        filter.actor.as_deref(),
        filter.action.as_deref(),
        filter.from,
        filter.to,
        filter.before.map(|(at, _)| at),
        filter.before.map(|(_, id)| id),
        limit,
    )
    .fetch_all(conn)
    .await
}
