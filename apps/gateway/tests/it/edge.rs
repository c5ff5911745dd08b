//! The HTTP edge: request ids, the error shape, refusals, bodies, GraphiQL,
//! health and readiness.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::stream;
use serde_json::Value;
use souk_tenants::token::{generate_keypair, TokenIssuer};
use souk_tenants::Role;

use crate::support::{get, Edge, Reply};

/// The error's request id is the one the response header carries.
fn assert_error_shape(reply: &Reply, code: &str) {
    let body = reply.json();
    assert_eq!(reply.code().as_deref(), Some(code), "{body}");
    let id = reply.header("x-request-id").expect("a request id header");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], id, "{body}");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn every_response_carries_a_request_id_the_clients_own_when_it_is_sane() {
    let edge = Edge::offline("").await;
    let health = edge.send(get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.text, "ok");
    let fresh = health.header("x-request-id").expect("an id");
    assert!(uuid::Uuid::parse_str(fresh).is_ok(), "{fresh}");

    let own = Request::get("/healthz")
        .header("x-request-id", "client-42:retry.1")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        edge.send(own).await.header("x-request-id"),
        Some("client-42:retry.1")
    );

    for hostile in ["<script>alert(1)</script>", "a b", &"x".repeat(129), ""] {
        let request = Request::get("/healthz")
            .header("x-request-id", hostile)
            .body(Body::empty())
            .expect("request");
        let reply = edge.send(request).await;
        let id = reply.header("x-request-id").expect("an id");
        assert_ne!(id, hostile);
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{id} replaces {hostile:?}"
        );
    }
}

#[tokio::test]
async fn bad_credentials_are_401_unauthenticated_in_the_error_shape() {
    let edge = Edge::offline("").await;
    let (other_key, _) = generate_keypair().expect("keys");
    let stranger = TokenIssuer::from_private_pem(&other_key, "souk", "souk")
        .expect("issuer")
        .issue(
            "user-1",
            None,
            Role::PlatformAdmin,
            std::time::Duration::from_secs(60),
        )
        .expect("token");
    for authorization in [
        "Bearer not-a-token".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
        format!("Bearer {stranger}"),
    ] {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", &authorization)
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .expect("request");
        let reply = edge.send(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{authorization}");
        assert_error_shape(&reply, "UNAUTHENTICATED");
        assert!(reply.json()["data"].is_null());
        let challenge = reply.header("www-authenticate").expect("a challenge");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
}

#[tokio::test]
async fn invalid_operations_get_a_code_and_the_request_id() {
    let edge = Edge::offline("").await;
    let fine = edge.gql(None, "{ __typename }").await;
    assert_eq!(fine.status, StatusCode::OK);
    assert_eq!(fine.json()["data"]["__typename"], "Query");

    for query in [
        "{ noSuchField }",
        "{",
        "query { __typename } query { __typename }",
    ] {
        let reply = edge.gql(None, query).await;
        assert_error_shape(&reply, "BAD_REQUEST");
    }
}

#[tokio::test]
async fn malformed_bodies_are_400_bad_request_in_the_json_error_shape() {
    let edge = Edge::offline("").await;
    let bodies = [
        (r#"{"query": "{ __typename }""#, "truncated JSON"),
        (r#"[{"query": "{ __typename }"}]"#, "a batch"),
        (r#""{ __typename }""#, "a JSON string"),
        ("", "an empty body"),
        ("query=%7B__typename%7D", "a form body"),
    ];
    for (body, what) in bodies {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("request");
        let reply = edge.send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.text
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{what}"
        );
        assert_error_shape(&reply, "BAD_REQUEST");
    }
    // An object without a query is a request for an empty document.
    let no_query = edge
        .send(post_body(Body::from(r#"{"variables": {}}"#)))
        .await;
    assert_error_shape(&no_query, "BAD_REQUEST");
    assert!(no_query.json()["data"].is_null());
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_whether_declared_or_streamed() {
    let edge = Edge::offline("max_body_bytes = 1024").await;
    let padded = |len: usize| {
        let query = r#"{"query":"{ __typename }"}"#;
        format!("{query}{}", " ".repeat(len - query.len()))
    };

    let at_limit = edge.send(post_body(Body::from(padded(1024)))).await;
    assert_eq!(at_limit.status, StatusCode::OK, "{}", at_limit.text);

    let declared = edge.send(post_body(Body::from(padded(1025)))).await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error_shape(&declared, "PAYLOAD_TOO_LARGE");

    // No Content-Length: the limit holds while reading.
    let chunks = std::iter::once(r#"{"query":"{ __typename }"}"#.to_string())
        .chain((0..64).map(|_| " ".repeat(100)))
        .map(Ok::<_, std::io::Error>);
    let body = Body::from_stream(stream::iter(chunks));
    let reply = edge.send(post_body(body)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_error_shape(&reply, "PAYLOAD_TOO_LARGE");
}

fn post_body(body: Body) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", "application/json")
        .body(body)
        .expect("request")
}

#[tokio::test]
async fn a_graphql_get_serves_graphiql_and_executes_nothing() {
    let edge = Edge::online("").await;
    let tenant = edge.tenant("active").await;
    let token = edge.token(Role::Owner, Some(tenant));
    let mutation = r#"mutation { createStockItem(sku: "GET-1", onHand: 5) { sku } }"#;
    let url = format!(
        "/graphql?query={}",
        url::form_urlencoded::byte_serialize(mutation.as_bytes()).collect::<String>()
    );
    let request = Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let page = edge.send(request).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .is_some_and(|value| value.starts_with("text/html")));
    assert!(page.text.to_lowercase().contains("graphiql"));
    let stock_items = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM inventory.stock_items")
            .fetch_one(&edge.db().owner)
            .await
            .expect("count")
    };
    assert_eq!(stock_items().await, 0, "a GET must not run a mutation");

    let posted = edge.gql(Some(&token), mutation).await;
    assert_eq!(posted.json()["data"]["createStockItem"]["sku"], "GET-1");
    assert_eq!(stock_items().await, 1);
}

#[tokio::test]
async fn a_suspended_vendor_is_403_and_an_active_one_is_served() {
    let edge = Edge::online("").await;
    let suspended = edge.tenant("suspended").await;
    let reply = edge
        .gql(
            Some(&edge.token(Role::Owner, Some(suspended))),
            "{ __typename }",
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_error_shape(&reply, "TENANT_SUSPENDED");

    let active = edge.tenant("active").await;
    let reply = edge
        .gql(
            Some(&edge.token(Role::Owner, Some(active))),
            "{ __typename }",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.json()["errors"].is_null());
}

#[tokio::test]
async fn a_database_outage_is_503_unavailable_with_retry_after_and_no_driver_text() {
    let edge = Edge::offline("").await;
    let tenant = souk_tenants::TenantId::generate();
    let reply = edge
        .gql(
            Some(&edge.token(Role::Owner, Some(tenant))),
            "{ __typename }",
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_error_shape(&reply, "UNAVAILABLE");
    let text = reply.text.to_lowercase();
    for leak in ["sqlx", "refused", "127.0.0.1", "pool"] {
        assert!(!text.contains(leak), "{leak} in {}", reply.text);
    }
}

#[tokio::test]
async fn readiness_follows_the_databases_and_the_migrations() {
    let edge = Edge::online("").await;
    let ready = edge.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.json()["status"], "ready");

    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&edge.db().owner)
    .await
    .expect("forget a migration");
    let behind = edge.send(get("/readyz")).await;
    assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = behind.json();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("1 migration(s) not applied")),
        "{body}"
    );

    let offline = Edge::offline("").await;
    let away = offline.send(get("/readyz")).await;
    assert_eq!(away.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(away.json()["status"], "unavailable");
    let health = offline.send(get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK, "alive while not ready");
}
