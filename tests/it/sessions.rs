//! Sessions and roles end when they are ended: replayed and concurrent refreshes,
//! sign-out and password changes end a session's tokens at once, and a removed
//! or demoted member loses the old role on the next request.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::identity::{login, register, PASSWORD};
use crate::support::{code, TestApp};

const REFRESH: &str =
    "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }";
const SELECT: &str = "mutation($id: ID!) { selectVendor(vendorId: $id) { accessToken role } }";
const ME: &str = "{ me { id } }";
const ADD: &str =
    "mutation($e: String!, $r: VendorRole!) { addVendorMember(email: $e, role: $r) { userId } }";
const CREATE_KEY: &str =
    "mutation($r: VendorRole!) { createApiKey(name: \"sync\", role: $r) { secret } }";

/// Many sign-ins from one address: these tests are not about login limits.
const MANY_LOGINS: &str = "logins_per_minute_per_ip = 10000\nlogins_per_minute_per_account = 10000";

fn token(body: &Value, field: &str, name: &str) -> Option<String> {
    body["data"][field][name].as_str().map(str::to_string)
}

/// Registers a person, signs in, opens a vendor and selects it:
/// (vendor id, access token, refresh token, vendor token).
async fn owner(app: &TestApp, email: &str, slug: &str) -> (String, String, String, String) {
    register(app, email).await;
    let (access, refresh) = login(app, email).await;
    let (_, body) = app
        .gql(
            Some(&access),
            "mutation($s: String!) { registerVendor(name: \"Atlas\", slug: $s) { id } }",
            json!({ "s": slug }),
        )
        .await;
    let id = token(&body, "registerVendor", "id").unwrap_or_else(|| panic!("{body}"));
    let vendor = select(app, &access, &id).await.expect("selected");
    (id, access, refresh, vendor)
}

/// A vendor token from `selectVendor`, or the refusal's code.
async fn select(app: &TestApp, access: &str, vendor: &str) -> Result<String, String> {
    let (_, body) = app.gql(Some(access), SELECT, json!({ "id": vendor })).await;
    token(&body, "selectVendor", "accessToken").ok_or_else(|| code(&body).unwrap_or("").into())
}

async fn refresh(app: &TestApp, token: &str) -> Value {
    app.gql(None, REFRESH, json!({ "token": token })).await.1
}

/// The code a request with `token` gets, `None` when it succeeds.
async fn refused(app: &TestApp, token: &str, query: &str) -> Option<String> {
    let (_, body) = app.gql(Some(token), query, json!({})).await;
    code(&body).map(str::to_string)
}

#[tokio::test]
async fn two_concurrent_refreshes_of_one_token_end_the_whole_session_every_time() {
    let app = TestApp::spawn_with(MANY_LOGINS).await;
    register(&app, "race@example.com").await;
    let rounds = 18;
    let (mut winners, mut survivors) = (0, 0);
    for round in 0..rounds {
        let (access, first) = login(&app, "race@example.com").await;
        let (a, b) = tokio::join!(refresh(&app, &first), refresh(&app, &first));
        let won: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|body| body["data"]["refreshToken"].is_object())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {a} / {b}");
        winners += won.len();
        let mut family = vec![access, first];
        if let Some(winner) = won.first() {
            family.push(token(winner, "refreshToken", "accessToken").expect("access"));
            family.push(token(winner, "refreshToken", "refreshToken").expect("refresh"));
        }
        let mut alive = Vec::new();
        for (i, t) in family.iter().enumerate() {
            let answer = if i % 2 == 0 {
                refused(&app, t, ME).await
            } else {
                code(&refresh(&app, t).await).map(str::to_string)
            };
            if answer.is_none() {
                alive.push(i);
            }
        }
        survivors += usize::from(!alive.is_empty());
        assert!(
            alive.is_empty(),
            "round {round}: tokens {alive:?} still work"
        );
    }
    println!("{rounds} rounds: {winners} refreshes won, {survivors} families survived the replay");
    assert_eq!(survivors, 0);
}

#[tokio::test]
async fn an_ended_session_mints_no_vendor_tokens_and_its_tokens_stop_at_once() {
    let app = TestApp::spawn_with(MANY_LOGINS).await;
    let (id, access, refresh_token, vendor) = owner(&app, "o@example.com", "atlas").await;

    // Sign-out.
    let (_, body) = app
        .gql(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": refresh_token }),
        )
        .await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    for (what, t) in [("access", &access), ("vendor", &vendor)] {
        assert_eq!(
            select(&app, t, &id).await.err().as_deref(),
            Some("SESSION_REVOKED"),
            "after logout, with the {what} token"
        );
    }
    let (status, body) = app
        .gql(
            Some(&vendor),
            "{ stockItems { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, Some("SESSION_REVOKED"))
    );
    assert_eq!(
        refused(&app, &access, ME).await.as_deref(),
        Some("SESSION_REVOKED")
    );

    // A replayed refresh token.
    let (access, first) = login(&app, "o@example.com").await;
    let vendor = select(&app, &access, &id).await.expect("live session");
    let rotated = refresh(&app, &first).await;
    let newer = token(&rotated, "refreshToken", "accessToken").expect("rotated");
    assert!(
        code(&refresh(&app, &first).await).is_some(),
        "replay refused"
    );
    for (what, t) in [
        ("access", &access),
        ("vendor", &vendor),
        ("rotated access", &newer),
    ] {
        assert_eq!(
            select(&app, t, &id).await.err().as_deref(),
            Some("SESSION_REVOKED"),
            "after a replay, with the {what} token"
        );
    }

    // A password change ends every other session, and only those.
    let (this, _) = login(&app, "o@example.com").await;
    let (other, _) = login(&app, "o@example.com").await;
    let other_vendor = select(&app, &other, &id).await.expect("live session");
    let (_, body) = app
        .gql(
            Some(&this),
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"another long passphrase\") }",
            json!({ "c": PASSWORD }),
        )
        .await;
    assert_eq!(body["data"]["changePassword"], true, "{body}");
    for (what, t) in [("access", &other), ("vendor", &other_vendor)] {
        assert_eq!(
            select(&app, t, &id).await.err().as_deref(),
            Some("SESSION_REVOKED"),
            "after changePassword, with the other session's {what} token"
        );
    }
    assert!(
        select(&app, &this, &id).await.is_ok(),
        "this session goes on"
    );
}

#[tokio::test]
async fn a_removed_or_demoted_member_loses_the_old_role_on_the_next_request() {
    let app = TestApp::spawn_with(MANY_LOGINS).await;
    let (id, _, _, owner_token) = owner(&app, "o@example.com", "atlas").await;
    let mut members = Vec::new();
    for (email, role) in [("m@example.com", "MANAGER"), ("p@example.com", "OWNER")] {
        register(&app, email).await;
        let (_, body) = app
            .gql(Some(&owner_token), ADD, json!({ "e": email, "r": role }))
            .await;
        let user = token(&body, "addVendorMember", "userId").unwrap_or_else(|| panic!("{body}"));
        let (access, _) = login(&app, email).await;
        members.push((user, select(&app, &access, &id).await.expect("member")));
    }
    let [(manager, manager_token), (partner, partner_token)] = &members[..] else {
        unreachable!()
    };
    let stock = "mutation { createStockItem(sku: \"M-1\", onHand: 1) { sku } }";
    assert_eq!(
        refused(&app, manager_token, stock).await,
        None,
        "a manager acts"
    );

    let (_, body) = app
        .gql(
            Some(&owner_token),
            "mutation($u: ID!) { removeVendorMember(userId: $u) }",
            json!({ "u": manager }),
        )
        .await;
    assert_eq!(body["data"]["removeVendorMember"], true, "{body}");
    let (status, body) = app
        .gql(Some(manager_token), CREATE_KEY, json!({ "r": "MANAGER" }))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN")),
        "{body}"
    );
    for query in [
        stock,
        "{ stockItems { edges { cursor } } }",
        "{ vendorMembers { role } }",
    ] {
        assert_eq!(
            refused(&app, manager_token, query).await.as_deref(),
            Some("FORBIDDEN"),
            "{query}"
        );
    }

    let demote = "mutation($u: ID!) { changeVendorMemberRole(userId: $u, role: STAFF) { role } }";
    let (_, body) = app
        .gql(Some(&owner_token), demote, json!({ "u": partner }))
        .await;
    assert_eq!(
        body["data"]["changeVendorMemberRole"]["role"], "STAFF",
        "{body}"
    );
    register(&app, "x@example.com").await;
    let (_, body) = app
        .gql(
            Some(partner_token),
            ADD,
            json!({ "e": "x@example.com", "r": "OWNER" }),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "a demoted owner: {body}");
    let (_, body) = app
        .gql(Some(partner_token), CREATE_KEY, json!({ "r": "STAFF" }))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "staff make no keys: {body}");
    assert_eq!(
        refused(&app, partner_token, "{ stockItems { edges { cursor } } }").await,
        None,
        "staff still act as staff"
    );
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM tenancy.memberships")
        .fetch_one(&app.db.owner)
        .await
        .expect("count");
    assert_eq!(members, 2, "nobody was added");
}

#[tokio::test]
async fn an_api_key_never_exceeds_its_creators_current_role() {
    let app = TestApp::spawn_with(MANY_LOGINS).await;
    let (id, _, _, owner_token) = owner(&app, "o@example.com", "atlas").await;
    register(&app, "m@example.com").await;
    let (_, body) = app
        .gql(
            Some(&owner_token),
            ADD,
            json!({ "e": "m@example.com", "r": "MANAGER" }),
        )
        .await;
    let manager = token(&body, "addVendorMember", "userId").unwrap_or_else(|| panic!("{body}"));
    let (access, _) = login(&app, "m@example.com").await;
    let manager_token = select(&app, &access, &id).await.expect("member");
    let (_, body) = app
        .gql(Some(&manager_token), CREATE_KEY, json!({ "r": "MANAGER" }))
        .await;
    let key = token(&body, "createApiKey", "secret").unwrap_or_else(|| panic!("{body}"));
    let keys = "{ apiKeys { id } }";
    let stock = "{ stockItems { edges { cursor } } }";
    assert_eq!(
        refused(&app, &key, keys).await,
        None,
        "a manager key lists keys"
    );

    let role = "mutation($u: ID!, $r: VendorRole!) { changeVendorMemberRole(userId: $u, role: $r) { role } }";
    app.gql(
        Some(&owner_token),
        role,
        json!({ "u": manager, "r": "STAFF" }),
    )
    .await;
    assert_eq!(
        refused(&app, &key, keys).await.as_deref(),
        Some("FORBIDDEN"),
        "capped at staff"
    );
    assert_eq!(
        refused(&app, &key, stock).await,
        None,
        "still acts as staff"
    );
    app.gql(
        Some(&owner_token),
        role,
        json!({ "u": manager, "r": "OWNER" }),
    )
    .await;
    assert_eq!(
        refused(&app, &key, keys).await,
        None,
        "never above its own role, back to manager"
    );

    app.gql(
        Some(&owner_token),
        role,
        json!({ "u": manager, "r": "STAFF" }),
    )
    .await;
    app.gql(
        Some(&owner_token),
        "mutation($u: ID!) { removeVendorMember(userId: $u) }",
        json!({ "u": manager }),
    )
    .await;
    let (status, body) = app.gql(Some(&key), stock, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")),
        "a removed creator's key stops: {body}"
    );
}

#[tokio::test]
async fn every_answer_that_reveals_an_account_shares_one_budget_per_address() {
    // Two answers a minute: the second comes back 30 s after the first.
    let app = TestApp::spawn_with(&format!("{MANY_LOGINS}\nlookups_per_minute_per_ip = 2")).await;
    let (_, _, _, owner_token) = owner(&app, "o@example.com", "atlas").await; // register: 1
    let taken = json!({ "input": { "email": "o@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B" } });
    let register_doc = "mutation($input: RegisterInput!) { register(input: $input) { id } }";
    let exists = "query($e: String!) { accountExists(email: $e) }";
    let (_, body) = app.gql(None, exists, json!({ "e": "o@example.com" })).await;
    assert_eq!(body["data"]["accountExists"], true, "{body}"); // 2
    let (_, body) = app.gql(None, register_doc, taken).await;
    assert_eq!(code(&body), Some("RATE_LIMITED"), "register: {body}");
    let (_, body) = app.gql(None, exists, json!({ "e": "o@example.com" })).await;
    assert_eq!(code(&body), Some("RATE_LIMITED"), "accountExists: {body}");
    let (_, body) = app
        .gql(
            Some(&owner_token),
            ADD,
            json!({ "e": "nobody@example.com", "r": "STAFF" }),
        )
        .await;
    assert_eq!(code(&body), Some("RATE_LIMITED"), "addVendorMember: {body}");
}

#[tokio::test]
async fn register_answers_email_taken_only_within_the_budget() {
    let app = TestApp::spawn_with("lookups_per_minute_per_ip = 2").await;
    register(&app, "o@example.com").await; // 1
    let taken = json!({ "input": { "email": "o@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B" } });
    let register_doc = "mutation($input: RegisterInput!) { register(input: $input) { id } }";
    let (_, body) = app.gql(None, register_doc, taken.clone()).await;
    assert_eq!(code(&body), Some("EMAIL_TAKEN"), "{body}"); // 2
    let (_, body) = app.gql(None, register_doc, taken).await;
    assert_eq!(code(&body), Some("RATE_LIMITED"), "{body}");
}

#[tokio::test]
async fn an_access_token_stops_working_the_second_it_expires() {
    let app = TestApp::spawn_with("access_token_ttl_secs = 2").await;
    register(&app, "brief@example.com").await;
    let (access, _) = login(&app, "brief@example.com").await;
    let me = || async {
        app.gql(Some(&access), "{ me { email } }", json!({}))
            .await
            .1
    };
    let body = me().await;
    assert_eq!(body["data"]["me"]["email"], "brief@example.com", "{body}");
    // Used (and remembered) while valid, then past its `exp` by a second.
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let body = me().await;
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
}
