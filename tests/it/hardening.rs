//! Limits on what one request may ask for.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{code, TestApp};

#[tokio::test]
async fn too_deep_and_too_complex_queries_are_refused_naming_the_limit() {
    let app = TestApp::spawn_with("graphql_max_depth = 3\ngraphql_max_complexity = 4").await;
    let token = app.new_vendor().await;
    let (_, body) = app
        .gql(
            Some(&token),
            "{ stockItems { edges { node { sku } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("QUERY_TOO_DEEP"), "{body}");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("limit is 3"), "{message}");

    let (_, body) = app
        .gql(
            Some(&token),
            "{ a: stockItem(sku: \"A\") { sku } b: stockItem(sku: \"B\") { sku } c: stockItem(sku: \"C\") { sku } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("limit is 4"));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn_with("max_body_bytes = 2048").await;
    let query = format!("{{ stockItem(sku: \"{}\") {{ sku }} }}", "A".repeat(4096));
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let introspect = "{ __schema { queryType { name } } }";
    let open = TestApp::spawn().await;
    let (_, body) = open.gql(None, introspect, json!({})).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );

    let closed = TestApp::spawn_with("graphql_introspection = false").await;
    let (_, body) = closed.gql(None, introspect, json!({})).await;
    assert!(
        body["data"]["__schema"].is_null(),
        "no schema is revealed: {body}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .expect("send");
    let generated = response.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
}

#[tokio::test]
async fn the_served_schema_is_the_committed_one() {
    let committed = include_str!("../../schema.graphql");
    assert!(
        souk_gateway::graphql::sdl() == committed,
        "the GraphQL schema changed: review it, then run `cargo run -q --bin souk -- schema > schema.graphql`"
    );
}
