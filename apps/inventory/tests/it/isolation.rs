//! Tenant isolation enforced by the database itself: what the app role can and
//! cannot do with raw SQL, bypassing the service entirely.

use souk_tenants::{TenantId, TenantTx};
use sqlx::Executor;

use crate::support::Fixture;

async fn fixture_with_two_tenants() -> (Fixture, TenantId) {
    let f = Fixture::new().await;
    f.stock("A-SECRET", 7).await;
    let other = TenantId::generate();
    f.stock_in(other, "B-ONLY", 3).await;
    (f, other)
}

#[tokio::test]
async fn the_app_role_is_neither_superuser_nor_owner_nor_bypassrls() {
    let f = Fixture::new().await;
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&f.db.app)
            .await
            .expect("role");
    assert!(!superuser && !bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'inventory' AND tableowner = current_user",
    )
    .fetch_one(&f.db.app)
    .await
    .expect("owners");
    assert_eq!(owned, 0);
    let unforced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'inventory' AND c.relkind = 'r'
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
    )
    .fetch_one(&f.db.app)
    .await
    .expect("rls flags");
    assert_eq!(unforced, 0, "every inventory table enables and forces RLS");
}

#[tokio::test]
async fn without_a_tenant_the_app_role_sees_nothing_and_cannot_insert() {
    let (f, _) = fixture_with_two_tenants().await;
    for table in ["stock_items", "ledger", "reservations", "reservation_lines"] {
        let visible: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM inventory.{table}"))
            .fetch_one(&f.db.app)
            .await
            .expect("count");
        assert_eq!(visible, 0, "{table} is invisible without a tenant");
    }
    let insert = sqlx::query(
        "INSERT INTO inventory.stock_items (tenant_id, sku, on_hand) VALUES ($1, 'X', 1)",
    )
    .bind(f.tenant.as_uuid())
    .execute(&f.db.app)
    .await;
    let err = insert.expect_err("RLS refuses the row");
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("42501")
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM inventory.stock_items")
        .fetch_one(&f.db.owner)
        .await
        .expect("count as owner");
    assert_eq!(total, 2, "nothing was inserted");
}

#[tokio::test]
async fn with_tenant_b_set_tenant_a_rows_cannot_be_read_or_changed() {
    let (f, other) = fixture_with_two_tenants().await;
    let mut tx = TenantTx::begin(&f.db.app, other).await.expect("scope B");
    let seen: Vec<String> = sqlx::query_scalar("SELECT sku FROM inventory.stock_items")
        .fetch_all(&mut *tx)
        .await
        .expect("select");
    assert_eq!(seen, vec!["B-ONLY".to_string()]);
    let by_tenant: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inventory.stock_items WHERE tenant_id = $1")
            .bind(f.tenant.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .expect("select A explicitly");
    assert_eq!(by_tenant, 0);
    let updated = sqlx::query(
        "UPDATE inventory.stock_items SET on_hand = 0 WHERE tenant_id = $1 OR sku = 'A-SECRET'",
    )
    .bind(f.tenant.as_uuid())
    .execute(&mut *tx)
    .await
    .expect("update");
    assert_eq!(updated.rows_affected(), 0);
    let insert = sqlx::query(
        "INSERT INTO inventory.stock_items (tenant_id, sku, on_hand) VALUES ($1, 'FORGED', 1)",
    )
    .bind(f.tenant.as_uuid())
    .execute(&mut *tx)
    .await;
    assert!(insert.is_err(), "cannot write a row for another tenant");
    drop(tx);
    assert_eq!(f.available("A-SECRET").await, 7);
}

#[tokio::test]
async fn the_ledger_is_append_only_for_the_app_role() {
    let (f, _) = fixture_with_two_tenants().await;
    let mut tx = TenantTx::begin(&f.db.app, f.tenant).await.expect("scope A");
    let delete = tx.execute("DELETE FROM inventory.ledger").await;
    assert!(delete.is_err(), "no DELETE on the ledger");
    drop(tx);
    let mut tx = TenantTx::begin(&f.db.app, f.tenant).await.expect("scope A");
    let update = tx
        .execute("UPDATE inventory.ledger SET on_hand_after = 0")
        .await;
    assert!(update.is_err(), "no UPDATE on the ledger");
}

#[tokio::test]
async fn the_tenant_setting_does_not_outlive_its_transaction() {
    let f = Fixture::with_pool(1).await;
    f.stock("A-SECRET", 7).await;
    // With one pooled connection, the next statement runs on the same session.
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM inventory.stock_items")
        .fetch_one(&f.db.app)
        .await
        .expect("count");
    assert_eq!(leaked, 0);
}
