//! The audit log: entries written with the change, read by owners and admins
//! only, isolated per tenant, and impossible to change.

use std::time::Duration;

use serde_json::{json, Value};
use souk_tenants::{Role, TenantId};
use uuid::Uuid;

use crate::support::{code, TestApp};

const LOG: &str = "query($first: Int, $after: String, $actor: String, $action: String, $from: DateTime, $to: DateTime, $tenant: ID) {
    auditLog(first: $first, after: $after, actor: $actor, action: $action, from: $from, to: $to, tenant: $tenant) {
        pageInfo { hasNextPage endCursor }
        nodes { tenantId actorKind actorId actorRole action targetType targetId requestId details at } } }";

const ADJUST: &str = "mutation($sku: String!, $d: Int!) { adjustStock(sku: $sku, delta: $d, reason: \"count\") { onHand } }";

fn person_token(app: &TestApp, user: Uuid, role: Role, tenant: Option<TenantId>) -> String {
    app.issuer
        .issue(&user.to_string(), tenant, role, Duration::from_secs(600))
        .expect("token")
}

async fn log(app: &TestApp, token: &str, variables: Value) -> Value {
    let (_, body) = app.gql(Some(token), LOG, variables).await;
    body
}

fn actions(body: &Value) -> Vec<String> {
    body["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|n| n["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Posts a mutation and returns the response's request id with its body.
async fn with_request_id(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (String, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send");
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id header")
        .to_string();
    (id, response.json().await.expect("json"))
}

#[tokio::test]
async fn vendor_changes_are_recorded_with_who_what_target_and_request() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let owner_id = Uuid::now_v7();
    app.add_member(tenant, owner_id, Role::Owner).await;
    let owner = person_token(&app, owner_id, Role::Owner, Some(tenant));

    crate::support::stock(&app, &owner, "AUD-1", 5).await;
    let (request_id, body) =
        with_request_id(&app, &owner, ADJUST, json!({ "sku": "AUD-1", "d": -2 })).await;
    assert_eq!(body["data"]["adjustStock"]["onHand"], 3, "{body}");
    // A refused change records nothing.
    let (_, refused) = app
        .gql(Some(&owner), ADJUST, json!({ "sku": "AUD-1", "d": -100 }))
        .await;
    assert!(code(&refused).is_some(), "{refused}");

    let (_, created) = app
        .gql(
            Some(&owner),
            "mutation { createApiKey(name: \"sync\", role: MANAGER) { key { id } secret } }",
            json!({}),
        )
        .await;
    let key_id = created["data"]["createApiKey"]["key"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let (_, by_key) = app
        .gql(Some(&secret), ADJUST, json!({ "sku": "AUD-1", "d": 7 }))
        .await;
    assert_eq!(by_key["data"]["adjustStock"]["onHand"], 10, "{by_key}");
    let (_, product) = app
        .gql(
            Some(&owner),
            "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "title": "Audited tea", "price": { "amount": 500, "currency": "EUR" }, "variants": [{ "sku": "AUD-2" }] } }),
        )
        .await;
    let product_id = product["data"]["createProduct"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{product}"))
        .to_string();

    let all = log(&app, &owner, json!({})).await;
    assert_eq!(
        actions(&all),
        [
            "product.create",
            "stock.create",
            "stock.adjust",
            "api_key.create",
            "stock.adjust",
            "stock.create"
        ],
        "newest first, one entry per change (the product's variant created its stock item)"
    );
    let nodes = &all["data"]["auditLog"]["nodes"];
    assert_eq!(nodes[0]["targetId"], product_id.as_str());
    assert_eq!(nodes[2]["actorKind"], "api_key");
    assert_eq!(nodes[2]["actorId"], key_id.as_str());
    assert_eq!(nodes[2]["actorRole"], "manager");
    assert_eq!(nodes[2]["details"]["delta"], 7);
    let first_adjust = &nodes[4];
    assert_eq!(first_adjust["actorKind"], "user");
    assert_eq!(first_adjust["actorId"], owner_id.to_string().as_str());
    assert_eq!(first_adjust["targetType"], "sku");
    assert_eq!(first_adjust["targetId"], "AUD-1");
    assert_eq!(first_adjust["requestId"], request_id.as_str());
    assert_eq!(first_adjust["tenantId"], tenant.to_string().as_str());
    assert_eq!(first_adjust["details"]["delta"], -2);
    assert_eq!(first_adjust["details"]["onHand"], 3);

    // Filters and pages.
    let adjusts = log(&app, &owner, json!({ "action": "stock.adjust" })).await;
    assert_eq!(actions(&adjusts), ["stock.adjust", "stock.adjust"]);
    let keyed = log(&app, &owner, json!({ "actor": key_id })).await;
    assert_eq!(actions(&keyed), ["stock.adjust"]);
    let before_all = log(&app, &owner, json!({ "to": "2000-01-01T00:00:00Z" })).await;
    assert_eq!(actions(&before_all), Vec::<String>::new());
    let since_now = log(&app, &owner, json!({ "from": chrono::Utc::now() })).await;
    assert_eq!(actions(&since_now), Vec::<String>::new());
    let page = log(&app, &owner, json!({ "first": 4 })).await;
    assert_eq!(actions(&page).len(), 4);
    assert_eq!(page["data"]["auditLog"]["pageInfo"]["hasNextPage"], true);
    let cursor = page["data"]["auditLog"]["pageInfo"]["endCursor"].clone();
    let rest = log(&app, &owner, json!({ "first": 4, "after": cursor })).await;
    assert_eq!(actions(&rest), ["stock.adjust", "stock.create"]);
    assert_eq!(rest["data"]["auditLog"]["pageInfo"]["hasNextPage"], false);
    let bad = log(&app, &owner, json!({ "first": 0 })).await;
    assert_eq!(code(&bad), Some("INVALID_ARGUMENT"));
    let bad = log(&app, &owner, json!({ "after": "nonsense" })).await;
    assert_eq!(code(&bad), Some("INVALID_ARGUMENT"));
}

#[tokio::test]
async fn only_owners_and_admins_read_it_and_each_vendor_sees_its_own() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let owner = person_token(&app, Uuid::now_v7(), Role::Owner, Some(tenant));
    crate::support::stock(&app, &owner, "MINE-1", 1).await;

    for role in [Role::Manager, Role::Staff] {
        let token = person_token(&app, Uuid::now_v7(), role, Some(tenant));
        assert_eq!(code(&log(&app, &token, json!({})).await), Some("FORBIDDEN"));
    }
    let customer = person_token(&app, Uuid::now_v7(), Role::Customer, None);
    assert_eq!(
        code(&log(&app, &customer, json!({})).await),
        Some("FORBIDDEN")
    );
    let (_, anonymous) = app.gql(None, LOG, json!({})).await;
    assert_eq!(code(&anonymous), Some("UNAUTHENTICATED"));
    // An owner cannot ask for another vendor's log by argument.
    let other_tenant = app.create_tenant().await;
    let other = person_token(&app, Uuid::now_v7(), Role::Owner, Some(other_tenant));
    let crossing = log(&app, &other, json!({ "tenant": tenant.to_string() })).await;
    assert_eq!(code(&crossing), Some("FORBIDDEN"));
    assert_eq!(
        actions(&log(&app, &other, json!({})).await),
        Vec::<String>::new()
    );

    // A platform admin's change to a vendor is in that vendor's log and the admin's.
    let admin_id = Uuid::now_v7();
    let admin = person_token(&app, admin_id, Role::PlatformAdmin, None);
    for mutation in ["suspendVendor", "reactivateVendor"] {
        let (_, body) = app
            .gql(
                Some(&admin),
                &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}"),
                json!({ "id": tenant.to_string() }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let seen_by_owner = log(&app, &owner, json!({})).await;
    assert_eq!(
        actions(&seen_by_owner),
        ["vendor.reactivate", "vendor.suspend", "stock.create"]
    );
    assert_eq!(
        seen_by_owner["data"]["auditLog"]["nodes"][0]["actorRole"],
        "platform_admin"
    );
    let everything = log(&app, &admin, json!({})).await;
    assert_eq!(actions(&everything).len(), 3);
    let one_vendor = log(&app, &admin, json!({ "tenant": other_tenant.to_string() })).await;
    assert_eq!(actions(&one_vendor), Vec::<String>::new());
    let by_admin = log(&app, &admin, json!({ "actor": admin_id.to_string() })).await;
    assert_eq!(actions(&by_admin), ["vendor.reactivate", "vendor.suspend"]);
}

#[tokio::test]
async fn entries_cannot_be_changed_removed_or_written_across_tenants() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let owner = person_token(&app, Uuid::now_v7(), Role::Owner, Some(tenant));
    crate::support::stock(&app, &owner, "KEEP-1", 1).await;
    let other = app.create_tenant().await;

    // No API changes the log.
    let sdl = souk_gateway::graphql::sdl();
    let mutation = sdl
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("mutation type");
    assert!(!mutation.to_lowercase().contains("audit"));

    // The application's role may neither update nor delete, in any scope.
    let mut tx = souk_tenants::TenantTx::begin(&app.db.app, tenant)
        .await
        .expect("begin");
    let updated = sqlx::query("UPDATE audit.entries SET action = 'stock.forged'")
        .execute(&mut *tx)
        .await;
    assert!(updated.is_err(), "souk_app has no UPDATE on the log");
    drop(tx);
    let deleted = sqlx::query("DELETE FROM audit.entries")
        .execute(&app.db.app)
        .await;
    assert!(deleted.is_err(), "souk_app has no DELETE on the log");
    let mut tx = souk_tenants::PlatformTx::begin(&app.platform())
        .await
        .expect("begin");
    let deleted = sqlx::query("DELETE FROM audit.entries")
        .execute(&mut *tx)
        .await;
    assert!(
        deleted.is_err(),
        "the platform role has no DELETE on the log"
    );
    drop(tx);

    // Not even the table's owner changes history.
    for statement in [
        "UPDATE audit.entries SET action = 'stock.forged'",
        "DELETE FROM audit.entries",
        "TRUNCATE audit.entries",
    ] {
        let result = sqlx::query(statement).execute(&app.db.owner).await;
        assert!(result.is_err(), "{statement} must fail");
    }

    // Another tenant's scope sees nothing of it and cannot write into it.
    let mut tx = souk_tenants::TenantTx::begin(&app.db.app, other)
        .await
        .expect("begin");
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.entries")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(visible, 0);
    let forged = sqlx::query(
        "INSERT INTO audit.entries (id, tenant_id, actor_kind, actor_id, actor_role, action, target_type, target_id)
         VALUES ($1, $2, 'user', 'x', 'owner', 'stock.adjust', 'sku', 'KEEP-1')",
    )
    .bind(Uuid::now_v7())
    .bind(tenant.as_uuid())
    .execute(&mut *tx)
    .await;
    assert!(
        forged.is_err(),
        "row-level security refuses another tenant's entry"
    );
    drop(tx);

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.entries")
        .fetch_one(&app.db.owner)
        .await
        .expect("count");
    assert_eq!(total, 1, "the one stock.create, untouched");
}
