//! The audit log: who (a user or an API key) did what, to which target, when, in
//! which tenant and through which request.
//!
//! The gateway runs every GraphQL request inside [`scope`] with the verified
//! caller and the request id; a service that changes something records its entry
//! with [`record`] on the very transaction that makes the change, so an entry
//! exists exactly when the change does. Only vendor-side and platform-admin callers
//! are recorded: a customer's own actions live in their orders and account.
//! Entries cannot be changed or removed (the table refuses it, whoever asks).

mod log;
mod store;

use crate::{Principal, Role, TenantId};

pub use log::AuditLog;
pub use store::{list, Filter, LoggedEntry};

/// Who is acting and through which request, for the entries recorded while a
/// request is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    actor: Actor,
    request_id: Option<String>,
}

/// The caller behind an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user` or `api_key`.
    pub kind: &'static str,
    /// The user id or the API key id.
    pub id: String,
    pub role: Role,
}

tokio::task_local! {
    static CONTEXT: Context;
}

impl Context {
    /// The context of a request made by `principal`; `None` for callers whose
    /// actions are not audited (customers).
    pub fn of(principal: &Principal, request_id: Option<String>) -> Option<Self> {
        if !(principal.role.is_vendor() || principal.role == Role::PlatformAdmin) {
            return None;
        }
        let actor = match principal.subject.strip_prefix("apikey:") {
            Some(key) => Actor {
                kind: "api_key",
                id: key.to_string(),
                role: principal.role,
            },
            None => Actor {
                kind: "user",
                id: principal.subject.clone(),
                role: principal.role,
            },
        };
        Some(Self { actor, request_id })
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Runs `work` with `context` as the audit context of everything it records.
pub async fn scope<F: std::future::Future>(context: Option<Context>, work: F) -> F::Output {
    match context {
        Some(context) => CONTEXT.scope(context, work).await,
        None => work.await,
    }
}

/// The audit context of the running request, if it is audited.
pub fn current() -> Option<Context> {
    CONTEXT.try_with(Clone::clone).ok()
}

/// One change, as a service describes it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What was done, `noun.verb` (`stock.adjust`, `vendor.suspend`).
    pub action: &'static str,
    /// The kind of thing it was done to (`sku`, `member`, `vendor`).
    pub target_type: &'static str,
    pub target_id: String,
    /// What changed, as the service wants it remembered.
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(
        action: &'static str,
        target_type: &'static str,
        target_id: impl Into<String>,
    ) -> Self {
        Self {
            action,
            target_type,
            target_id: target_id.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Records `entry` about `tenant` (or the platform, with `None`) on `conn`, the
/// transaction that makes the change, under the running request's context. Does
/// nothing outside an audited request.
pub async fn record(
    conn: &mut sqlx::PgConnection,
    tenant: Option<TenantId>,
    entry: Entry,
) -> Result<(), sqlx::Error> {
    match current() {
        Some(context) => record_as(conn, tenant, &context, &entry).await,
        None => Ok(()),
    }
}

/// Records `entry` under an explicit context: for work one task does on behalf of
/// another request (a batch leader writing a follower's reservation).
pub async fn record_as(
    conn: &mut sqlx::PgConnection,
    tenant: Option<TenantId>,
    context: &Context,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    store::insert(conn, tenant, context, entry).await
}
