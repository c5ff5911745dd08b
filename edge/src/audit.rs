//! `auditLog`: a vendor's entries for its owners, everything for platform admins.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use souk_tenants::audit::{AuditLog, Entry, Filter, LoggedEntry};
use souk_tenants::{AccessError, Role, TenantId};

use crate::{cursor, page_size, principal, trim_page, ApiError};

/// One audit entry.
#[derive(Debug, SimpleObject)]
pub struct AuditEntry {
    id: ID,
    /// The vendor the change concerns; null for platform-wide changes.
    tenant_id: Option<ID>,
    at: DateTime<Utc>,
    /// `user` or `api_key`.
    actor_kind: String,
    /// The user id or API key id.
    actor_id: String,
    actor_role: String,
    /// What was done, as `noun.verb` (`stock.adjust`, `vendor.suspend`).
    action: String,
    target_type: String,
    target_id: String,
    /// The request that made the change, as in its response's `requestId`.
    request_id: Option<String>,
    /// What changed.
    details: async_graphql::Json<serde_json::Value>,
}

impl From<LoggedEntry> for AuditEntry {
    fn from(entry: LoggedEntry) -> Self {
        Self {
            id: ID(entry.id.to_string()),
            tenant_id: entry.tenant_id.map(|t| ID(t.to_string())),
            at: entry.at,
            actor_kind: entry.actor_kind,
            actor_id: entry.actor_id,
            actor_role: entry.actor_role,
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            request_id: entry.request_id,
            details: async_graphql::Json(entry.details),
        }
    }
}

#[derive(Debug, Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first: a vendor's owners see their vendor's entries,
    /// platform admins see all (or one vendor's with `tenant`).
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only entries by this user id or API key id.")] actor: Option<String>,
        #[graphql(desc = "Only entries of this action, e.g. `stock.adjust`.")] action: Option<
            String,
        >,
        #[graphql(desc = "Only entries at or after this time.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Only entries before this time.")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "Platform admins: only this vendor's entries.")] tenant: Option<ID>,
    ) -> Result<Connection<String, AuditEntry>> {
        let limit = page_size(first, 20)?;
        if let (Some(from), Some(to)) = (from, to) {
            if from >= to {
                return Err(ApiError::invalid_argument("to", "must be after `from`").into());
            }
        }
        let mut filter = Filter {
            tenant: None,
            actor,
            action,
            from: from.map(crate::input::clamp_time),
            to: to.map(crate::input::clamp_time),
            before: cursor::decode(after.clone())?,
        };
        let log = crate::service::<AuditLog>(ctx)?;
        let caller = principal(ctx).ok_or_else(|| ApiError::from(AccessError::Unauthenticated))?;
        let entries = match (caller.role, caller.tenant) {
            (Role::PlatformAdmin, _) => {
                filter.tenant = tenant
                    .map(|id| TenantId::parse(&id))
                    .transpose()
                    .map_err(|_| ApiError::invalid_argument("tenant", "not an id"))?;
                log.platform_entries(&filter, limit + 1).await
            }
            (Role::Owner, Some(own)) if tenant.is_none() => {
                log.tenant_entries(own, &filter, limit + 1).await
            }
            _ => return Err(ApiError::from(AccessError::Forbidden).into()),
        }
        .map_err(|err| ApiError::failure(&err))?;
        let (entries, has_next) = trim_page(entries, limit);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(
            entries
                .into_iter()
                .map(|entry| Edge::new(cursor::encode(entry.at, entry.id), entry.into())),
        );
        Ok(connection)
    }
}

/// Records `entry` after a change made outside PostgreSQL succeeded (see
/// [`AuditLog::record_after`]). The change stands either way: a failed write is
/// logged and counted (`souk_audit_write_failures_total`), not reported as the
/// change's failure, so a client never retries a change that happened.
pub async fn after(ctx: &Context<'_>, tenant: Option<TenantId>, entry: Entry) {
    let Ok(log) = ctx.data::<std::sync::Arc<AuditLog>>() else {
        return;
    };
    if let Err(err) = log.record_after(tenant, entry.clone()).await {
        tracing::error!(error = %err, action = entry.action, target = %entry.target_id,
            "audit entry not written");
        metrics::counter!("souk_audit_write_failures_total").increment(1);
    }
}
