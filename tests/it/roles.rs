//! The tenant role cannot become the platform: raw SQL as `souk_app`, the way
//! injected SQL would run, finds no switch, setting, function or role that widens
//! its scope beyond the one tenant it names.

use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::support::{stock, TestApp};
use crate::vendors::vendor_owner;

/// Every tenant table the platform has today, each given rows of the victim
/// tenant below, so that "nothing visible" means something.
const TENANT_TABLES: [&str; 12] = [
    "inventory.stock_items",
    "inventory.reservations",
    "inventory.reservation_lines",
    "inventory.ledger",
    "tenancy.memberships",
    "tenancy.api_keys",
    "souk.outbox",
    "audit.entries",
    "billing.subscriptions",
    "billing.plan_changes",
    "billing.usage",
    "billing.usage_reports",
];

/// A vendor with rows in every tenant table: (tenant id, API key id).
async fn victim(app: &TestApp) -> (String, String) {
    let (id, _, token) = vendor_owner(app, "victim@example.com", "victim-shop").await;
    stock(app, &token, "SECRET-1", 5).await;
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation { reserveStock(orderId: \"o-1\", lines: [{sku: \"SECRET-1\", quantity: 5}]) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["reserveStock"]["status"], "ACTIVE", "{body}");
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation { createApiKey(name: \"sync\", role: STAFF) { key { id } } }",
            json!({}),
        )
        .await;
    let key = body["data"]["createApiKey"]["key"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    sqlx::query(
        "INSERT INTO billing.usage_reports (tenant_id, window_start, requests, identifier)
         VALUES ($1::uuid, now(), 7, 'victim-window')",
    )
    .bind(&id)
    .execute(&app.db.owner)
    .await
    .expect("a usage report");
    // The gateway's meter flushes the vendor's requests as the platform role.
    for _ in 0..50 {
        if owner_count(app, "billing.usage", &id).await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for table in TENANT_TABLES {
        assert!(
            owner_count(app, table, &id).await > 0,
            "{table} has rows of the victim"
        );
    }
    (id, key)
}

async fn owner_count(app: &TestApp, table: &str, tenant: &str) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {table} WHERE tenant_id = $1::uuid"
    ))
    .bind(tenant)
    .fetch_one(&app.db.owner)
    .await
    .expect("count as the owner")
}

/// A session of the tenant role of its own, as an attacker with SQL would have.
async fn tenant_session(app: &TestApp) -> PgConnection {
    PgConnection::connect(&app.db.app_url)
        .await
        .expect("connect as souk_app")
}

/// The SQLSTATE a statement fails with, if it fails.
async fn refused(conn: &mut PgConnection, statement: &str) -> Option<String> {
    match sqlx::query(statement).execute(&mut *conn).await {
        Ok(_) => None,
        Err(sqlx::Error::Database(err)) => err.code().map(|c| c.to_string()),
        Err(err) => panic!("{statement}: {err}"),
    }
}

/// Rows the session sees of tenants other than `own`, or at all without one (a
/// refused read sees none).
async fn foreign_rows(conn: &mut PgConnection, table: &str, own: Option<&str>) -> i64 {
    let sql = match own {
        Some(_) => {
            format!("SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM $1::uuid")
        }
        None => format!("SELECT count(*) FROM {table} WHERE $1::text IS NULL"),
    };
    match sqlx::query_scalar(&sql)
        .bind(own)
        .fetch_one(&mut *conn)
        .await
    {
        Ok(n) => n,
        Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("42501") => 0,
        Err(err) => panic!("{table}: {err}"),
    }
}

/// Every table with a `tenant_id` column: the ones row-level security must guard.
async fn tables_with_tenant(app: &TestApp) -> Vec<(String, bool, bool)> {
    sqlx::query_as(
        "SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         ORDER BY 1",
    )
    .fetch_all(&app.db.owner)
    .await
    .expect("tables")
}

#[tokio::test]
async fn the_platform_switch_shows_the_tenant_role_nothing_of_other_tenants() {
    let app = TestApp::spawn().await;
    let (victim, _) = victim(&app).await;
    let attacker = app.create_tenant().await.as_uuid().to_string();
    let tables = tables_with_tenant(&app).await;
    assert!(tables.len() >= TENANT_TABLES.len(), "{tables:?}");
    let mut conn = tenant_session(&app).await;
    sqlx::query("SELECT set_config('app.platform', 'on', false)")
        .execute(&mut conn)
        .await
        .expect("any custom setting may be set");
    for scope in [None, Some(attacker.as_str())] {
        sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
            .bind(scope.unwrap_or_default())
            .execute(&mut conn)
            .await
            .expect("set the tenant");
        for (table, rls, forced) in &tables {
            assert!(
                *rls && *forced,
                "{table}: ENABLE and FORCE row level security"
            );
            let seen = foreign_rows(&mut conn, table, scope).await;
            assert_eq!(seen, 0, "{table} in scope {scope:?} with app.platform on");
        }
    }
    // Naming one tenant is the only scope there is; a forged value names none.
    for forged in [
        format!("{attacker}' OR true --"),
        "*".into(),
        format!("{attacker},{victim}"),
    ] {
        sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
            .bind(&forged)
            .execute(&mut conn)
            .await
            .expect("any text may be set");
        let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM inventory.stock_items")
            .fetch_one(&mut conn)
            .await;
        assert!(
            read.is_err(),
            "{forged}: not a tenant id, no rows: {read:?}"
        );
    }
    let mut platform = PgConnection::connect(&app.db.platform_url)
        .await
        .expect("the platform role logs in");
    let everything: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.entries")
        .fetch_one(&mut platform)
        .await
        .expect("the platform reads the audit log");
    assert!(everything > 0, "and sees it");
}

#[tokio::test]
async fn the_tenant_role_cannot_run_the_cross_tenant_functions() {
    let app = TestApp::spawn().await;
    let (victim, key) = victim(&app).await;
    let executable: Vec<String> = sqlx::query_scalar(
        "SELECT p.oid::regprocedure::text FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND has_function_privilege('souk_app', p.oid, 'EXECUTE')",
    )
    .fetch_all(&app.db.owner)
    .await
    .expect("functions");
    // The one it may run authenticates an API key: it answers only the holder of
    // the key's secret, which is what presenting the key over HTTP does.
    assert_eq!(
        executable,
        ["tenancy.authenticate_api_key(uuid,bytea)"],
        "SECURITY DEFINER functions souk_app may run"
    );
    let mut conn = tenant_session(&app).await;
    let guessed: Option<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT * FROM tenancy.authenticate_api_key($1::uuid, sha256('guess'))")
            .bind(&key)
            .fetch_optional(&mut conn)
            .await
            .expect("authenticate");
    assert_eq!(guessed, None, "a key id without its secret answers nothing");
    let calls = [
        "SELECT * FROM inventory.due_reservations(100)".to_string(),
        "SELECT * FROM souk.claim_events(100)".into(),
        "SELECT souk.mark_sent(ARRAY[1, 2, 3]::bigint[])".into(),
        "SELECT * FROM souk.claim_low_stock(100)".into(),
        "SELECT souk.low_stock_notified(1, true, 5)".into(),
        format!(
            "SELECT * FROM billing.record_usage(gen_random_uuid(), ARRAY['{victim}']::uuid[], \
             ARRAY[current_date], ARRAY[1000000]::bigint[], false)"
        ),
        format!("SELECT * FROM billing.tenant_limits('{victim}')"),
        format!("SELECT * FROM tenancy.api_key_credentials('{key}')"),
    ];
    for call in &calls {
        sqlx::query("SELECT set_config('app.platform', 'on', false)")
            .execute(&mut conn)
            .await
            .expect("set");
        assert_eq!(
            refused(&mut conn, call).await.as_deref(),
            Some("42501"),
            "{call}"
        );
    }
    let mut platform = PgConnection::connect(&app.db.platform_url)
        .await
        .expect("the platform role logs in");
    for call in &calls[..2] {
        assert_eq!(refused(&mut platform, call).await, None, "{call}");
    }
}

#[tokio::test]
async fn the_tenant_role_cannot_take_another_role_or_loosen_the_rules() {
    let app = TestApp::spawn().await;
    let mut conn = tenant_session(&app).await;
    for statement in [
        "SET ROLE souk_platform_job",
        "SET ROLE souk_platform",
        "SET ROLE postgres",
        "SELECT set_config('role', 'souk_platform_job', false)",
        "SET SESSION AUTHORIZATION souk_platform_job",
        "GRANT souk_platform_job TO souk_app",
        "ALTER ROLE souk_app BYPASSRLS",
        "ALTER TABLE inventory.stock_items NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE billing.usage DISABLE ROW LEVEL SECURITY",
        "CREATE POLICY open ON audit.entries USING (true)",
        "DROP POLICY tenant_isolation ON souk.outbox",
        "ALTER FUNCTION souk.current_tenant() OWNER TO souk_app",
        // Platform authority and vendor status are the platform role's to change.
        "UPDATE identity.users SET platform_admin = true",
        "INSERT INTO identity.users (id, email, password_hash, first_name, last_name, platform_admin)
         VALUES (gen_random_uuid(), 'root@evil.example', 'x', 'a', 'b', true)",
        "UPDATE tenancy.tenants SET status = 'active'",
    ] {
        let code = refused(&mut conn, statement).await;
        assert!(
            matches!(code.as_deref(), Some("42501") | Some("42704")),
            "{statement}: {code:?}"
        );
    }
    let (superuser, bypass, member_of): (bool, bool, i64) = sqlx::query_as(
        "SELECT r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
         FROM pg_roles r WHERE r.rolname = 'souk_app'",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("souk_app");
    assert!(!superuser && !bypass, "no superuser, no BYPASSRLS");
    assert_eq!(member_of, 0, "souk_app is a member of no role");
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
         WHERE r.rolname IN ('souk_app', 'souk_platform_job')",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("owners");
    assert_eq!(owned, 0, "the login roles own no table");
    // Every policy souk_app is subject to reads the tenant or the user it names;
    // none reads a setting that could open every tenant.
    let policies: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT schemaname || '.' || tablename, policyname, qual, with_check FROM pg_policies
         WHERE roles && ARRAY['public', 'souk_app']::name[]",
    )
    .fetch_all(&app.db.owner)
    .await
    .expect("policies");
    let allowed = [
        "tenant_id=souk.current_tenant",
        "user_id=souk.current_user_id",
    ];
    for (table, policy, qual, check) in &policies {
        for expression in [qual, check].into_iter().flatten() {
            let bare: String = expression
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
                .collect();
            assert!(
                allowed.contains(&bare.as_str()),
                "{table} {policy}: {expression}"
            );
        }
    }
}
