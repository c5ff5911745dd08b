//! What an operator relies on: health, readiness, metrics, graceful shutdown.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use souk_gateway::Application;
use souk_migrations::testing::{with_database, TestDatabase};
use sqlx::Executor;

use crate::support::{settings, stock, TestApp};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), StatusCode::OK);

    // A migration the binary knows about is missing: not ready.
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.db.owner)
    .await
    .expect("forget a migration");
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert!(
        body["reason"]
            .as_str()
            .expect("reason")
            .contains("souk migrate"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_not_ready_but_the_process_is_alive() {
    let db = TestDatabase::create().await;
    let missing = with_database(&db.app_url, "souk_no_such_db", None);
    let (settings, _) = settings(
        &missing,
        "mongodb_url = 'mongodb://127.0.0.1:1/souk?directConnection=true&serverSelectionTimeoutMS=500'",
    );
    let app = Application::build(settings)
        .await
        .expect("starts without its database");
    let addr = app.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = ready.text().await.expect("body");
    assert!(
        !body.contains("souk_no_such_db"),
        "no raw database message: {body}"
    );
    let _ = stop.send(());
    served.await.expect("join").expect("clean stop");
}
#[tokio::test]
async fn metrics_count_operations_errors_and_pool_connections() {
    let app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "M-1", 1).await;
    app.gql(
        Some(&token),
        "query LowStockPage { lowStock { edges { cursor } } }",
        json!({}),
    )
    .await;
    app.gql(
        Some(&token),
        "{ stockItems(first: 500) { edges { cursor } } }",
        json!({}),
    )
    .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    for expected in [
        "souk_graphql_requests_total{operation=\"LowStockPage\"}",
        "souk_graphql_request_duration_seconds_bucket{operation=\"LowStockPage\"",
        "souk_graphql_errors_total{code=\"INVALID_ARGUMENT\"}",
        "souk_db_pool_connections{state=\"idle\"}",
        "souk_db_pool_connections{state=\"in_use\"}",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut app = TestApp::spawn().await;
    let token = app.new_vendor().await;
    stock(&app, &token, "HELD", 5).await;
    // Hold the stock row's lock so the next adjustment waits inside the server.
    let mut blocker = app.db.owner.begin().await.expect("begin");
    blocker
        .execute("SELECT * FROM inventory.stock_items WHERE sku = 'HELD' FOR UPDATE")
        .await
        .expect("lock");
    let client = app.client.clone();
    let url = app.url("/graphql");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": "mutation { adjustStock(sku: \"HELD\", delta: 2, reason: \"late delivery\") { onHand } }" }))
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = app.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stopped.is_finished(), "waits for the in-flight request");
    blocker.rollback().await.expect("unlock");
    let response = in_flight.await.expect("task").expect("response");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["data"]["adjustStock"]["onHand"], 7, "{body}");
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("stops once idle")
        .expect("join")
        .expect("clean stop");
    assert!(
        reqwest::get(app.url("/healthz")).await.is_err(),
        "no longer accepting connections"
    );
}
