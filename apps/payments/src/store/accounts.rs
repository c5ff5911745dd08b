//! Vendors' connected accounts (`payments.accounts`).

use souk_tenants::TenantId;
use sqlx::PgConnection;

/// A vendor's connected account and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub payouts_enabled: bool,
    pub charges_enabled: bool,
    pub requirements: Vec<String>,
}

/// The tenant's account (in its scope).
pub async fn get(conn: &mut PgConnection) -> sqlx::Result<Option<Account>> {
    sqlx::query_as!(
        Account,
        "SELECT account_id, payouts_enabled, charges_enabled, requirements FROM payments.accounts"
    )
    .fetch_optional(conn)
    .await
}

/// Records the tenant's account unless it has one; the one it has.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    account: &Account,
) -> sqlx::Result<Account> {
    sqlx::query!(
        "INSERT INTO payments.accounts (tenant_id, account_id, payouts_enabled, charges_enabled)
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING",
        tenant.as_uuid(),
        &account.account_id,
        account.payouts_enabled,
        account.charges_enabled,
    )
    .execute(&mut *conn)
    .await?;
    Ok(get(conn).await?.unwrap_or_else(|| account.clone()))
}

/// The tenant an account belongs to (platform role).
pub async fn tenant_of(
    conn: &mut PgConnection,
    account_id: &str,
) -> sqlx::Result<Option<TenantId>> {
    let tenant = sqlx::query_scalar!(
        "SELECT tenant_id FROM payments.accounts WHERE account_id = $1",
        account_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(tenant.map(TenantId::from_uuid))
}

/// What Stripe now says the account may do (in its tenant's scope).
///
/// `at` is when Stripe created the event that tells it: a state older than
/// the one kept (an event delivered late) changes nothing.
pub async fn update(
    conn: &mut PgConnection,
    account: &Account,
    at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payments.accounts
         SET payouts_enabled = $2, charges_enabled = $3, requirements = $4, updated_at = now(),
             stripe_event_at = coalesce($5, stripe_event_at)
         WHERE account_id = $1
           AND ($5::bigint IS NULL OR stripe_event_at IS NULL OR stripe_event_at <= $5)",
        &account.account_id,
        account.payouts_enabled,
        account.charges_enabled,
        &account.requirements,
        at,
    )
    .execute(conn)
    .await?;
    Ok(())
}
