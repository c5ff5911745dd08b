//! Accounts and sessions through the public API.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{code, TestApp};

pub const PASSWORD: &str = "correct horse battery staple";

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { id email } }";
const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken refreshToken user { id email platformAdmin } } }";
const REFRESH: &str =
    "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }";

pub async fn register(app: &TestApp, email: &str) -> String {
    let (_, body) = app
        .gql(
            None,
            REGISTER,
            json!({ "input": { "email": email, "password": PASSWORD, "firstName": "Amira", "lastName": "Haddad" } }),
        )
        .await;
    body["data"]["register"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("register: {body}"))
        .to_string()
}

/// (access token, refresh token)
pub async fn login(app: &TestApp, email: &str) -> (String, String) {
    let (_, body) = app
        .gql(None, LOGIN, json!({ "email": email, "password": PASSWORD }))
        .await;
    let payload = &body["data"]["login"];
    (
        payload["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login: {body}"))
            .to_string(),
        payload["refreshToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login: {body}"))
            .to_string(),
    )
}

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM identity.users")
        .fetch_one(&app.db.owner)
        .await
        .expect("count")
}

#[tokio::test]
async fn register_login_and_read_me() {
    let app = TestApp::spawn().await;
    let id = register(&app, "  Amira.Haddad@Example.COM ").await;
    let (access, _) = login(&app, "amira.haddad@example.com").await;
    let (_, body) = app
        .gql(
            Some(&access),
            "{ me { id email firstName platformAdmin } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["me"]["id"], id.as_str());
    assert_eq!(body["data"]["me"]["email"], "amira.haddad@example.com");
    assert_eq!(body["data"]["me"]["platformAdmin"], false);
    let (_, body) = app
        .gql(
            None,
            REGISTER,
            json!({ "input": { "email": "AMIRA.haddad@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B" } }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("EMAIL_TAKEN"),
        "case-insensitively unique: {body}"
    );
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM identity.users")
        .fetch_one(&app.db.owner)
        .await
        .expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test]
async fn wrong_email_and_wrong_password_fail_alike() {
    let app = TestApp::spawn().await;
    register(&app, "known@example.com").await;
    let (_, unknown) = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "nobody@example.com", "password": PASSWORD }),
        )
        .await;
    let (_, wrong) = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "known@example.com", "password": "not the password" }),
        )
        .await;
    assert_eq!(code(&unknown), Some("INVALID_CREDENTIALS"));
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(code(&unknown), code(&wrong));
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account() {
    let app =
        TestApp::spawn_with("logins_per_minute_per_account = 3\nlogins_per_minute_per_ip = 100")
            .await;
    register(&app, "target@example.com").await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        let (_, body) = app
            .gql(
                None,
                LOGIN,
                json!({ "email": "target@example.com", "password": "guess guess guess" }),
            )
            .await;
        codes.push(code(&body).unwrap_or_default().to_string());
    }
    assert_eq!(codes[..3], ["INVALID_CREDENTIALS"; 3]);
    assert_eq!(codes[3..], ["RATE_LIMITED"; 2]);
    let (_, other) = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "other@example.com", "password": "guess guess guess" }),
        )
        .await;
    assert_eq!(
        code(&other),
        Some("INVALID_CREDENTIALS"),
        "another account is not limited"
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_session() {
    let app = TestApp::spawn().await;
    register(&app, "r@example.com").await;
    let (_, first) = login(&app, "r@example.com").await;
    let (_, body) = app.gql(None, REFRESH, json!({ "token": first })).await;
    let second = body["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .expect("rotated")
        .to_string();
    assert_ne!(first, second);
    let (_, replay) = app.gql(None, REFRESH, json!({ "token": first })).await;
    assert_eq!(
        code(&replay),
        Some("UNAUTHENTICATED"),
        "the old token stopped working"
    );
    let (_, current) = app.gql(None, REFRESH, json!({ "token": second })).await;
    assert_eq!(
        code(&current),
        Some("UNAUTHENTICATED"),
        "the replay revoked the whole family"
    );
}

#[tokio::test]
async fn of_two_concurrent_refreshes_exactly_one_wins() {
    let app = TestApp::spawn().await;
    register(&app, "c@example.com").await;
    let (_, token) = login(&app, "c@example.com").await;
    let (a, b) = tokio::join!(
        app.gql(None, REFRESH, json!({ "token": token })),
        app.gql(None, REFRESH, json!({ "token": token })),
    );
    let won = [&a.1, &b.1]
        .iter()
        .filter(|body| body["data"]["refreshToken"].is_object())
        .count();
    assert_eq!(won, 1, "{} / {}", a.1, b.1);
}

#[tokio::test]
async fn logout_and_password_change_end_sessions() {
    let app = TestApp::spawn().await;
    register(&app, "s@example.com").await;
    let (access_a, refresh_a) = login(&app, "s@example.com").await;
    let (_, refresh_b) = login(&app, "s@example.com").await;
    let (_, refresh_c) = login(&app, "s@example.com").await;
    let (_, body) = app
        .gql(Some(&access_a), "mutation { changePassword(currentPassword: \"wrong password!\", newPassword: \"another long passphrase\") }", json!({}))
        .await;
    assert_eq!(code(&body), Some("INVALID_CREDENTIALS"));
    let (_, body) = app
        .gql(
            Some(&access_a),
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"another long passphrase\") }",
            json!({ "c": PASSWORD }),
        )
        .await;
    assert_eq!(body["data"]["changePassword"], true, "{body}");
    let (_, b) = app.gql(None, REFRESH, json!({ "token": refresh_b })).await;
    assert_eq!(code(&b), Some("UNAUTHENTICATED"), "other sessions end");
    let (_, a) = app.gql(None, REFRESH, json!({ "token": refresh_a })).await;
    let refresh_a2 = a["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .expect("this session stays")
        .to_string();
    let (_, body) = app
        .gql(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": refresh_a2 }),
        )
        .await;
    assert_eq!(body["data"]["logout"], true);
    let (_, a) = app.gql(None, REFRESH, json!({ "token": refresh_a2 })).await;
    assert_eq!(code(&a), Some("UNAUTHENTICATED"), "logged out");
    let _ = refresh_c;
}

#[tokio::test]
async fn addresses_always_have_exactly_one_default() {
    let app = TestApp::spawn().await;
    register(&app, "home@example.com").await;
    let (access, _) = login(&app, "home@example.com").await;
    let add = "mutation($c: String!) { addAddress(input: { recipient: \"Amira\", line1: \"1 Souk St\", city: \"Tunis\", postalCode: \"1000\", country: $c }) { id isDefault } }";
    let mut ids = Vec::new();
    for country in ["tn", "FR", "DE"] {
        let (_, body) = app.gql(Some(&access), add, json!({ "c": country })).await;
        ids.push(
            body["data"]["addAddress"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string(),
        );
    }
    let defaults = |body: &Value| -> Vec<bool> {
        body["data"]["addresses"]
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["isDefault"].as_bool().expect("bool"))
            .collect()
    };
    let list = "{ addresses { id isDefault country } }";
    let (_, body) = app.gql(Some(&access), list, json!({})).await;
    assert_eq!(defaults(&body), vec![true, false, false]);
    assert_eq!(body["data"]["addresses"][0]["country"], "TN");
    let (_, _) = app
        .gql(
            Some(&access),
            "mutation($id: ID!) { setDefaultAddress(id: $id) { isDefault } }",
            json!({ "id": ids[1] }),
        )
        .await;
    let (_, body) = app.gql(Some(&access), list, json!({})).await;
    assert_eq!(defaults(&body), vec![false, true, false]);
    let (_, _) = app
        .gql(
            Some(&access),
            "mutation($id: ID!) { deleteAddress(id: $id) }",
            json!({ "id": ids[1] }),
        )
        .await;
    let (_, body) = app.gql(Some(&access), list, json!({})).await;
    assert_eq!(
        defaults(&body),
        vec![false, true],
        "the newest remaining became default"
    );
    let (_, body) = app.gql(Some(&access), add, json!({ "c": "USA" })).await;
    assert_eq!(code(&body), Some("INVALID_ADDRESS"));

    register(&app, "other@example.com").await;
    let (other, _) = login(&app, "other@example.com").await;
    let (_, body) = app
        .gql(
            Some(&other),
            "mutation($id: ID!) { deleteAddress(id: $id) }",
            json!({ "id": ids[0] }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("NOT_FOUND"),
        "another person's address does not exist for them"
    );
    let (_, body) = app.gql(Some(&access), list, json!({})).await;
    assert_eq!(body["data"]["addresses"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn account_exists_answers_a_boolean_only_and_is_rate_limited() {
    let app = TestApp::spawn_with("lookups_per_minute_per_ip = 3").await; // register shares the budget
    register(&app, "here@example.com").await;
    let query = "query($e: String!) { accountExists(email: $e) }";
    let (_, yes) = app
        .gql(None, query, json!({ "e": "HERE@example.com" }))
        .await;
    assert_eq!(yes["data"], json!({ "accountExists": true }));
    let (_, no) = app
        .gql(None, query, json!({ "e": "gone@example.com" }))
        .await;
    assert_eq!(no["data"], json!({ "accountExists": false }));
    let (_, limited) = app
        .gql(None, query, json!({ "e": "here@example.com" }))
        .await;
    assert_eq!(code(&limited), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn bad_registrations_get_typed_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let input = |email: &str, password: &str, first: &str| json!({ "input": { "email": email, "password": password, "firstName": first, "lastName": "Haddad" } });
    let cases = [
        (
            "no at sign",
            input("amira.example.com", PASSWORD, "Amira"),
            "INVALID_EMAIL",
        ),
        (
            "no domain dot",
            input("amira@example", PASSWORD, "Amira"),
            "INVALID_EMAIL",
        ),
        (
            "cyrillic look-alike",
            input("аmira@example.com", PASSWORD, "Amira"),
            "INVALID_EMAIL",
        ),
        (
            "accented look-alike",
            input("amíra@example.com", PASSWORD, "Amira"),
            "INVALID_EMAIL",
        ),
        (
            "short password",
            input("a@example.com", "short", "Amira"),
            "WEAK_PASSWORD",
        ),
        (
            "common password",
            input("a@example.com", "password123", "Amira"),
            "WEAK_PASSWORD",
        ),
        (
            "password is the email",
            input("amira@example.com", "Amira@Example.com", "Amira"),
            "WEAK_PASSWORD",
        ),
        (
            "10 KB password",
            input("a@example.com", &"p".repeat(10_000), "Amira"),
            "WEAK_PASSWORD",
        ),
        (
            "empty first name",
            input("a@example.com", PASSWORD, "   "),
            "INVALID_ARGUMENT",
        ),
    ];
    for (case, variables, expected) in cases {
        let (_, body) = app.gql(None, REGISTER, variables).await;
        assert_eq!(code(&body), Some(expected), "{case}: {body}");
    }
    let huge = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": REGISTER, "variables": input("a@example.com", &"p".repeat(1 << 20), "Amira") }))
        .send()
        .await
        .expect("send");
    assert_eq!(
        huge.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "a 1 MB password never reaches the hasher"
    );
    assert_eq!(users(&app).await, 0);
}
