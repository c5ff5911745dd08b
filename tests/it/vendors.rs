//! Vendors, memberships, API keys, suspension and the authorization matrix.

use reqwest::StatusCode;
use serde_json::{json, Value};
use souk_tenants::Role;

use crate::identity::{login, register};
use crate::support::{code, TestApp};

const REGISTER_VENDOR: &str =
    "mutation($n: String!, $s: String!) { registerVendor(name: $n, slug: $s) { id slug status } }";
const SELECT: &str =
    "mutation($id: ID!) { selectVendor(vendorId: $id) { accessToken role vendor { slug } } }";

/// Registers a person, signs in, opens a vendor and selects it: (vendor id,
/// person token, vendor token).
pub(crate) async fn vendor_owner(
    app: &TestApp,
    email: &str,
    slug: &str,
) -> (String, String, String) {
    register(app, email).await;
    let (person, _) = login(app, email).await;
    let (_, body) = app
        .gql(
            Some(&person),
            REGISTER_VENDOR,
            json!({ "n": "Atlas Apparel", "s": slug }),
        )
        .await;
    let id = body["data"]["registerVendor"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let (_, body) = app.gql(Some(&person), SELECT, json!({ "id": id })).await;
    let token = body["data"]["selectVendor"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    (id, person, token)
}

#[tokio::test]
async fn register_select_and_act_as_a_vendor() {
    let app = TestApp::spawn().await;
    let (id, person, token) = vendor_owner(&app, "owner@example.com", "atlas-apparel").await;
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation { createStockItem(sku: \"TEE\", onHand: 3) { sku } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["createStockItem"]["sku"], "TEE", "{body}");
    let (_, body) = app
        .gql(
            Some(&person),
            "{ myVendors { role vendor { id slug status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["myVendors"],
        json!([{ "role": "OWNER", "vendor": { "id": id, "slug": "atlas-apparel", "status": "ACTIVE" } }])
    );
    let (_, body) = app
        .gql(
            Some(&person),
            REGISTER_VENDOR,
            json!({ "n": "Copycat", "s": "atlas-apparel" }),
        )
        .await;
    assert_eq!(code(&body), Some("SLUG_TAKEN"));
    let (_, body) = app
        .gql(
            Some(&person),
            REGISTER_VENDOR,
            json!({ "n": "Bad", "s": "Not A Slug" }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_SLUG"));

    register(&app, "stranger@example.com").await;
    let (stranger, _) = login(&app, "stranger@example.com").await;
    let (_, body) = app.gql(Some(&stranger), SELECT, json!({ "id": id })).await;
    assert_eq!(
        code(&body),
        Some("FORBIDDEN"),
        "only members get a vendor token"
    );
}

#[tokio::test]
async fn new_vendors_can_wait_for_approval() {
    let app = TestApp::spawn_with("vendor_approval_required = true").await;
    let (id, _, token) = vendor_owner(&app, "owner@example.com", "cedar-kitchen").await;
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"].is_null(),
        "a pending vendor may set up its store: {body}"
    );
    let admin = app.token(Role::PlatformAdmin, None);
    let (_, body) = app
        .gql(
            Some(&admin),
            "query($s: VendorStatus) { vendors(status: $s) { edges { node { id status } } } }",
            json!({ "s": "PENDING" }),
        )
        .await;
    assert_eq!(
        body["data"]["vendors"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { approveVendor(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["approveVendor"]["status"], "ACTIVE");
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { approveVendor(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&body), Some("INVALID_TRANSITION"));
}

#[tokio::test]
async fn suspension_blocks_a_vendor_at_once_and_reactivation_restores_it() {
    let app = TestApp::spawn().await;
    let (id, _, token) = vendor_owner(&app, "owner@example.com", "bazaar-books").await;
    let admin = app.token(Role::PlatformAdmin, None);
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { suspendVendor(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["suspendVendor"]["status"], "SUSPENDED",
        "{body}"
    );
    let (status, body) = app
        .gql(
            Some(&token),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        code(&body),
        Some("TENANT_SUSPENDED"),
        "the unexpired token is refused now"
    );
    let (_, body) = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { reactivateVendor(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["reactivateVendor"]["status"], "ACTIVE");
    let (status, _) = app
        .gql(
            Some(&token),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn members_roles_and_the_last_owner() {
    let app = TestApp::spawn().await;
    let (id, _, owner) = vendor_owner(&app, "owner@example.com", "atlas-apparel").await;
    register(&app, "staff@example.com").await;
    let add = "mutation($e: String!, $r: VendorRole!) { addVendorMember(email: $e, role: $r) { userId role email } }";
    let (_, body) = app
        .gql(
            Some(&owner),
            add,
            json!({ "e": "STAFF@example.com", "r": "STAFF" }),
        )
        .await;
    assert_eq!(
        body["data"]["addVendorMember"]["email"], "staff@example.com",
        "{body}"
    );
    let staff_id = body["data"]["addVendorMember"]["userId"]
        .as_str()
        .expect("id")
        .to_string();
    let (_, body) = app
        .gql(
            Some(&owner),
            add,
            json!({ "e": "staff@example.com", "r": "STAFF" }),
        )
        .await;
    assert_eq!(code(&body), Some("ALREADY_MEMBER"));
    let (_, body) = app
        .gql(
            Some(&owner),
            add,
            json!({ "e": "nobody@example.com", "r": "STAFF" }),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"));

    let (staff_person, _) = login(&app, "staff@example.com").await;
    let (_, body) = app
        .gql(Some(&staff_person), SELECT, json!({ "id": id }))
        .await;
    assert_eq!(body["data"]["selectVendor"]["role"], "STAFF");
    let staff = body["data"]["selectVendor"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let (_, body) = app
        .gql(
            Some(&staff),
            add,
            json!({ "e": "owner@example.com", "r": "OWNER" }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("FORBIDDEN"),
        "staff cannot manage members"
    );

    let (_, me) = app
        .gql(Some(&owner), "{ vendorMembers { userId role } }", json!({}))
        .await;
    let owner_id = me["data"]["vendorMembers"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["role"] == "OWNER")
        .expect("owner")["userId"]
        .as_str()
        .expect("id")
        .to_string();
    let demote = "mutation($u: ID!, $r: VendorRole!) { changeVendorMemberRole(userId: $u, role: $r) { role } }";
    let (_, body) = app
        .gql(Some(&owner), demote, json!({ "u": owner_id, "r": "STAFF" }))
        .await;
    assert_eq!(code(&body), Some("LAST_OWNER"));
    let (_, body) = app
        .gql(
            Some(&owner),
            "mutation($u: ID!) { removeVendorMember(userId: $u) }",
            json!({ "u": owner_id }),
        )
        .await;
    assert_eq!(code(&body), Some("LAST_OWNER"));
    let (_, body) = app
        .gql(Some(&owner), demote, json!({ "u": staff_id, "r": "OWNER" }))
        .await;
    assert_eq!(body["data"]["changeVendorMemberRole"]["role"], "OWNER");
    let (_, body) = app
        .gql(
            Some(&owner),
            demote,
            json!({ "u": owner_id, "r": "MANAGER" }),
        )
        .await;
    assert_eq!(
        body["data"]["changeVendorMemberRole"]["role"], "MANAGER",
        "another owner remains: {body}"
    );
}

#[tokio::test]
async fn api_keys_work_until_revoked_and_never_outrank_their_creator() {
    let app = TestApp::spawn().await;
    let (_, _, owner) = vendor_owner(&app, "owner@example.com", "atlas-apparel").await;
    let create = "mutation($n: String!, $r: VendorRole!) { createApiKey(name: $n, role: $r) { secret key { id prefix role } } }";
    let (_, body) = app
        .gql(
            Some(&owner),
            create,
            json!({ "n": "warehouse sync", "r": "STAFF" }),
        )
        .await;
    let secret = body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let key_id = body["data"]["createApiKey"]["key"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(secret.starts_with(
        body["data"]["createApiKey"]["key"]["prefix"]
            .as_str()
            .expect("prefix")
    ));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM tenancy.api_keys")
        .fetch_one(&app.db.owner)
        .await
        .expect("hash");
    assert!(
        !String::from_utf8_lossy(&stored).contains(&secret[20..]),
        "stored hashed"
    );

    let (_, body) = app
        .gql(
            Some(&secret),
            "mutation { createStockItem(sku: \"K-1\", onHand: 1) { sku } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["createStockItem"]["sku"], "K-1", "{body}");
    let (_, body) = app
        .gql(
            Some(&secret),
            create,
            json!({ "n": "escalate", "r": "OWNER" }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("FORBIDDEN"),
        "a staff key cannot mint keys"
    );
    let (_, body) = app
        .gql(
            Some(&owner),
            "{ apiKeys { id lastUsedAt revokedAt } }",
            json!({}),
        )
        .await;
    assert!(
        body["data"]["apiKeys"][0]["lastUsedAt"].is_string(),
        "{body}"
    );

    let (_, body) = app
        .gql(
            Some(&owner),
            "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
            json!({ "id": key_id }),
        )
        .await;
    assert!(body["data"]["revokeApiKey"]["revokedAt"].is_string());
    let (status, body) = app
        .gql(
            Some(&secret),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED"))
    );
    let forged = format!("{}x", &secret[..secret.len() - 1]);
    let (status, _) = app
        .gql(
            Some(&forged),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_manager_cannot_mint_an_owner_key() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let manager = app.token(Role::Manager, Some(tenant));
    let (_, body) = app
        .gql(
            Some(&manager),
            "mutation { createApiKey(name: \"x\", role: OWNER) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("ROLE_TOO_HIGH"), "{body}");
}

/// Every identity and tenancy operation refuses callers it is not for, and the
/// refusals change nothing.
#[tokio::test]
async fn authorization_matrix() {
    let app = TestApp::spawn().await;
    let (vendor_a, _, owner_a) = vendor_owner(&app, "a@example.com", "vendor-a").await;
    let (_, _, owner_b) = vendor_owner(&app, "b@example.com", "vendor-b").await;
    register(&app, "shopper@example.com").await;
    let (customer, _) = login(&app, "shopper@example.com").await;
    let tables = [
        "identity.users",
        "identity.addresses",
        "tenancy.tenants",
        "tenancy.memberships",
        "tenancy.api_keys",
    ];
    let snapshot = async || -> Vec<i64> {
        let mut counts = Vec::new();
        for table in tables {
            counts.push(
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&app.db.owner)
                    .await
                    .expect("count"),
            );
        }
        counts
    };
    let before = snapshot().await;

    let admin_only = [
        "{ vendors { edges { cursor } } }",
        "{ users { edges { cursor } } }",
        &format!("mutation {{ suspendVendor(id: \"{vendor_a}\") {{ status }} }}"),
        &format!("mutation {{ approveVendor(id: \"{vendor_a}\") {{ status }} }}"),
        &format!("mutation {{ reactivateVendor(id: \"{vendor_a}\") {{ status }} }}"),
    ];
    let vendor_only = [
        "{ vendorMembers { userId } }",
        "{ apiKeys { id } }",
        "mutation { addVendorMember(email: \"shopper@example.com\", role: OWNER) { role } }",
        "mutation { createApiKey(name: \"k\", role: STAFF) { secret } }",
        "mutation { revokeApiKey(id: \"0193b000-0000-7000-8000-000000000001\") { id } }",
    ];
    let person_only = [
        "{ me { id } }",
        "{ addresses { id } }",
        "{ myVendors { role } }",
        "mutation { registerVendor(name: \"Sneaky\", slug: \"sneaky-shop\") { id } }",
        "mutation { addAddress(input: { recipient: \"x\", line1: \"x\", city: \"x\", postalCode: \"1\", country: \"DE\" }) { id } }",
        "mutation { updateProfile(firstName: \"Mallory\") { id } }",
    ];
    let expect = |body: &Value, allowed: &[&str], what: &str| {
        let got = code(body).unwrap_or("none");
        assert!(
            allowed.contains(&got),
            "{what}: expected one of {allowed:?}, got {got}: {body}"
        );
    };
    for document in admin_only {
        let (_, body) = app.gql(None, document, json!({})).await;
        expect(
            &body,
            &["UNAUTHENTICATED"],
            &format!("anonymous {document}"),
        );
        for (who, token) in [("customer", &customer), ("vendor owner", &owner_a)] {
            let (_, body) = app.gql(Some(token), document, json!({})).await;
            expect(&body, &["FORBIDDEN"], &format!("{who} {document}"));
        }
    }
    for document in vendor_only {
        let (_, body) = app.gql(None, document, json!({})).await;
        expect(
            &body,
            &["UNAUTHENTICATED"],
            &format!("anonymous {document}"),
        );
        let (_, body) = app.gql(Some(&customer), document, json!({})).await;
        expect(&body, &["FORBIDDEN"], &format!("customer {document}"));
    }
    for document in person_only {
        let (_, body) = app.gql(None, document, json!({})).await;
        expect(
            &body,
            &["UNAUTHENTICATED"],
            &format!("anonymous {document}"),
        );
    }
    // Vendor B sees its own members only, and cannot select vendor A.
    let (_, body) = app
        .gql(Some(&owner_b), "{ vendorMembers { email } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["vendorMembers"],
        json!([{ "email": "b@example.com" }])
    );
    let (_, body) = app
        .gql(Some(&customer), SELECT, json!({ "id": vendor_a }))
        .await;
    expect(&body, &["FORBIDDEN"], "customer selects vendor A");
    assert_eq!(snapshot().await, before, "no refused call changed anything");
}
