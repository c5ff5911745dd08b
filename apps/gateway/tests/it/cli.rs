//! The `souk` binary as an operator runs it.

use std::process::{Command, Output};

use souk_migrations::testing::{TestDatabase, TestMongo};

fn souk(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_souk"));
    command.args(args).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.env("SOUK_LOG_FORMAT", "pretty");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run souk")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn migrate_is_safe_twice_and_from_two_processes_at_once() {
    let db = TestDatabase::empty().await;
    let url = db.owner_url.clone();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || souk(&["migrate"], &[("SOUK_DATABASE_URL", &url)]))
        })
        .collect();
    for run in runs {
        let output = run.join().expect("thread");
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let again = souk(&["migrate"], &[("SOUK_DATABASE_URL", &url)]);
    assert!(again.status.success(), "{}", stderr(&again));
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&db.owner)
        .await
        .expect("count");
    assert_eq!(applied as usize, souk_migrations::MIGRATOR.iter().count());
}

#[test]
fn a_missing_or_invalid_setting_stops_start_up_with_one_line_naming_it() {
    let missing = souk(&["serve"], &[]);
    assert!(!missing.status.success());
    let message = stderr(&missing);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("SOUK_DATABASE_URL"), "{message}");

    let invalid = souk(
        &["serve"],
        &[
            ("SOUK_DATABASE_URL", "postgres://souk_app@127.0.0.1/souk"),
            ("SOUK_LISTEN_ADDR", "not-an-address"),
        ],
    );
    assert!(!invalid.status.success());
    let message = stderr(&invalid);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("SOUK_LISTEN_ADDR"), "{message}");

    let no_key = souk(
        &["serve"],
        &[(
            "SOUK_DATABASE_URL",
            "postgres://souk_app:hunter2@127.0.0.1/souk",
        )],
    );
    let message = stderr(&no_key);
    assert!(message.contains("SOUK_JWT_PUBLIC_KEY"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "no secret in the message: {message}"
    );
}

#[test]
fn serving_refuses_the_test_payment_provider_unless_it_is_asked_for() {
    let dir = std::env::temp_dir().join(format!("souk-pay-{}", uuid::Uuid::new_v4()));
    let dir_str = dir.to_str().expect("utf-8 path");
    assert!(souk(&["keygen", "--out", dir_str], &[]).status.success());
    let key = dir.join("jwt-private.pem");
    let env = [
        ("SOUK_DATABASE_URL", "postgres://souk_app@127.0.0.1:1/souk"),
        ("SOUK_MONGODB_URL", "mongodb://127.0.0.1:1/souk"),
        ("SOUK_JWT_PRIVATE_KEY_FILE", key.to_str().expect("utf-8")),
        ("SOUK_LISTEN_ADDR", "127.0.0.1:0"),
    ];
    let refused = souk(&["serve"], &env);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("SOUK_STRIPE_CONNECT_SECRET_KEY")
            && message.contains("SOUK_TEST_PAYMENTS"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keygen_and_dev_token_make_a_token_the_public_key_verifies() {
    let dir = std::env::temp_dir().join(format!("souk-keys-{}", uuid::Uuid::new_v4()));
    let dir_str = dir.to_str().expect("utf-8 path");
    let keygen = souk(&["keygen", "--out", dir_str], &[]);
    assert!(keygen.status.success(), "{}", stderr(&keygen));
    let private = dir.join("jwt-private.pem");
    let token = souk(
        &[
            "dev-token",
            "--role",
            "staff",
            "--tenant",
            "0193b000-0000-7000-8000-000000000001",
        ],
        &[(
            "SOUK_JWT_PRIVATE_KEY_FILE",
            private.to_str().expect("utf-8"),
        )],
    );
    assert!(token.status.success(), "{}", stderr(&token));
    let token = String::from_utf8(token.stdout).expect("utf-8");
    let public = std::fs::read_to_string(dir.join("jwt-public.pem")).expect("public key");
    let verifier = souk_tenants::token::TokenVerifier::from_public_pem(&public, "souk", "souk")
        .expect("verifier");
    let principal = verifier.verify(token.trim()).expect("valid token");
    assert_eq!(principal.role, souk_tenants::Role::Staff);
    let vendor_without_tenant = souk(
        &["dev-token", "--role", "owner"],
        &[(
            "SOUK_JWT_PRIVATE_KEY_FILE",
            private.to_str().expect("utf-8"),
        )],
    );
    assert!(!vendor_without_tenant.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn admin_create_user_bootstraps_a_platform_admin() {
    let db = TestDatabase::create().await;
    let url = db.app_url.clone();
    let created = souk(
        &["admin", "create-user", "--email", "Root@Example.com"],
        &[("SOUK_DATABASE_URL", &url)],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let printed = String::from_utf8_lossy(&created.stdout).into_owned();
    assert!(printed.contains("password (shown once): "), "{printed}");
    let admin: bool = sqlx::query_scalar(
        "SELECT platform_admin FROM identity.users WHERE email = 'root@example.com'",
    )
    .fetch_one(&db.owner)
    .await
    .expect("admin row");
    assert!(admin);
    let bad = souk(
        &["admin", "create-user", "--email", "not-an-email"],
        &[("SOUK_DATABASE_URL", &url)],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--email"), "{}", stderr(&bad));
}

#[tokio::test]
async fn demo_seed_twice_duplicates_nothing() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let env = [
        ("SOUK_DATABASE_URL", db.app_url.as_str()),
        ("SOUK_MONGODB_URL", mongo.url.as_str()),
        ("SOUK_DEMO_PASSWORD", "demo passphrase 2026"),
        ("SOUK_TEST_PAYMENTS", "true"),
    ];
    let products = async || -> u64 {
        let client = mongodb::Client::with_uri_str(&mongo.url)
            .await
            .expect("client");
        client
            .database(&mongo.name)
            .collection::<mongodb::bson::Document>("products")
            .count_documents(mongodb::bson::doc! { "status": "active" })
            .await
            .expect("count")
    };
    let counts = async || -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "identity.users",
            "tenancy.tenants",
            "tenancy.memberships",
            "inventory.stock_items",
            "inventory.ledger",
        ] {
            counts.push(
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&db.owner)
                    .await
                    .expect("count"),
            );
        }
        counts
    };
    let first = souk(&["demo-seed"], &env);
    assert!(first.status.success(), "{}", stderr(&first));
    let after_first = counts().await;
    assert_eq!(after_first[..4], [5, 3, 3, 10]);
    assert_eq!(products().await, 8);
    let orders = async || -> Vec<String> {
        let client = mongodb::Client::with_uri_str(&mongo.url)
            .await
            .expect("client");
        let cursor = client
            .database(&mongo.name)
            .collection::<mongodb::bson::Document>("orders")
            .find(mongodb::bson::doc! {})
            .sort(mongodb::bson::doc! { "status": 1 })
            .await
            .expect("find");
        let docs: Vec<mongodb::bson::Document> = futures::TryStreamExt::try_collect(cursor)
            .await
            .expect("orders");
        docs.iter()
            .map(|d| d.get_str("status").unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        orders().await,
        ["cancelled", "pending", "pending", "shipped"]
    );
    let second = souk(&["demo-seed"], &env);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(counts().await, after_first);
    assert_eq!(products().await, 8);
    assert_eq!(
        orders().await,
        ["cancelled", "pending", "pending", "shipped"]
    );
}
