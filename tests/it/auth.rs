//! Credentials: forged, expired and foreign tokens are refused, and roles gate
//! every inventory operation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;
use souk_tenants::token::{generate_keypair, Claims, TokenIssuer};
use souk_tenants::{Role, TenantId};

use crate::support::{code, ledger_rows, TestApp};

const CREATE: &str = "mutation { createStockItem(sku: \"X-1\", onHand: 5) { sku } }";

fn claims(tenant: TenantId) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: "attacker".into(),
        tid: Some(tenant.to_string()),
        role: Role::Owner,
        iss: "souk".into(),
        aud: "souk".into(),
        iat: now,
        exp: now + 600,
        nbf: None,
        sid: None,
    }
}

fn b64(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_unauthenticated_and_change_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let valid = app.issuer.sign(&claims(tenant)).expect("valid token");
    let (private, public) = generate_keypair().expect("keys");
    let stranger = TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer");

    let mut tampered_parts: Vec<String> = valid.split('.').map(str::to_string).collect();
    let mut forged_claims = serde_json::to_value(claims(TenantId::generate())).expect("json");
    forged_claims["role"] = json!("platform_admin");
    tampered_parts[1] = b64(&forged_claims);

    let now = chrono::Utc::now().timestamp();
    let expired = Claims {
        iat: now - 7200,
        exp: now - 3600,
        ..claims(tenant)
    };
    let not_yet = Claims {
        nbf: Some(now + 3600),
        ..claims(tenant)
    };
    let wrong_issuer = Claims {
        iss: "evil".into(),
        ..claims(tenant)
    };
    let wrong_audience = Claims {
        aud: "other-app".into(),
        ..claims(tenant)
    };
    let bad_tenant = Claims {
        tid: Some("not-a-uuid".into()),
        ..claims(tenant)
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&serde_json::to_value(claims(tenant)).expect("json"))
    );
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(tenant),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .expect("hs256");

    let attacks: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        (
            "algorithm confusion (HS256 keyed with the public key)",
            confused,
        ),
        (
            "signed by another key",
            stranger.sign(&claims(tenant)).expect("sign"),
        ),
        ("tampered payload", tampered_parts.join(".")),
        ("expired", app.issuer.sign(&expired).expect("sign")),
        ("not yet valid", app.issuer.sign(&not_yet).expect("sign")),
        (
            "wrong issuer",
            app.issuer.sign(&wrong_issuer).expect("sign"),
        ),
        (
            "wrong audience",
            app.issuer.sign(&wrong_audience).expect("sign"),
        ),
        (
            "invalid tenant claim",
            app.issuer.sign(&bad_tenant).expect("sign"),
        ),
        ("garbage", "not.a.jwt".into()),
    ];
    let before = ledger_rows(&app).await;
    for (attack, token) in &attacks {
        let (status, body) = app.gql(Some(token), CREATE, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{attack}: {body}");
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{attack}: {body}");
        assert!(body["errors"][0]["extensions"]["requestId"].is_string());
    }
    let basic = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": CREATE }))
        .send()
        .await
        .expect("send");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        ledger_rows(&app).await,
        before,
        "no attack changed anything"
    );

    let (status, body) = app.gql(Some(&valid), CREATE, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["createStockItem"]["sku"], "X-1", "{body}");
}

#[tokio::test]
async fn only_vendor_roles_with_a_tenant_reach_inventory() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant().await;
    let query = "{ stockItems { edges { node { sku } } } }";
    let callers = [
        ("anonymous", None, "UNAUTHENTICATED"),
        (
            "customer",
            Some(app.token(Role::Customer, None)),
            "FORBIDDEN",
        ),
        (
            "customer with a tenant claim",
            Some(app.token(Role::Customer, Some(tenant))),
            "FORBIDDEN",
        ),
        (
            "platform admin",
            Some(app.token(Role::PlatformAdmin, None)),
            "FORBIDDEN",
        ),
        (
            "owner without a tenant",
            Some(app.token(Role::Owner, None)),
            "FORBIDDEN",
        ),
    ];
    for (who, token, expected) in &callers {
        for document in [query, CREATE] {
            let (status, body) = app.gql(token.as_deref(), document, json!({})).await;
            assert_eq!(status, StatusCode::OK, "{who}");
            assert_eq!(code(&body), Some(*expected), "{who}: {body}");
        }
    }
    assert_eq!(ledger_rows(&app).await, 0);
    for role in [Role::Owner, Role::Manager, Role::Staff] {
        let (_, body) = app
            .gql(Some(&app.token(role, Some(tenant))), query, json!({}))
            .await;
        assert!(body["errors"].is_null(), "{role:?}: {body}");
    }
}

#[tokio::test]
async fn the_public_key_is_published_as_a_jwks() {
    let app = TestApp::spawn().await;
    let jwks: serde_json::Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    let x = URL_SAFE_NO_PAD
        .decode(key["x"].as_str().expect("x"))
        .expect("base64url");
    assert_eq!(x.len(), 32);
    let token = app.new_vendor().await;
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(
        header.kid.as_deref(),
        key["kid"].as_str(),
        "tokens name the published key"
    );
}
