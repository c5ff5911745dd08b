//! The HTTP surface: `/graphql` (POST; GET serves GraphiQL), `/healthz`,
//! `/readyz`, `/metrics` and `/.well-known/jwks.json`, behind a request-id layer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{self, HeaderMap};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use souk_edge::{ClientIp, RequestId};
use souk_tenants::audit;

use crate::{admission, intake};
use souk_tenants::token::TokenVerifier;
use souk_vendors::service::Tenancy;
use sqlx::PgPool;
use tracing::Instrument;

use crate::auth::{authenticate, Authority, Refusal};
use crate::graphql::SoukSchema;
use crate::telemetry::{operation_name, OperationLabels};

const REQUEST_ID: &str = "x-request-id";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: SoukSchema,
    pub verifier: Arc<TokenVerifier>,
    pub tenancy: Arc<dyn Tenancy>,
    pub identity: Arc<dyn souk_identity::Identity>,
    pub mongo: mongodb::Database,
    /// Whether to take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
    pub pool: PgPool,
    pub metrics: PrometheusHandle,
    pub operations: Arc<OperationLabels>,
    /// Rate limits, quotas and metering; `None` when all are off.
    pub gate: Option<Arc<souk_billing::gate::Gate>>,
    pub billing: Arc<souk_billing::Billing>,
    pub payments: Arc<souk_payments::Payments>,
    pub stripe_webhook_secret: Option<secrecy::SecretString>,
    pub stripe_connect_webhook_secret: Option<secrecy::SecretString>,
    pub media: Arc<dyn souk_media::Media>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("verifier", &self.verifier)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// The API's routes, and the web apps from `web_dir` (every other path falls
/// back to their `index.html`, so the browser's routes load the app).
pub fn router(state: AppState, limits: intake::BodyLimits, web_dir: &std::path::Path) -> Router {
    let index = web_dir.join("index.html");
    let router = Router::new();
    let router = if index.is_file() {
        tracing::info!(dir = %web_dir.display(), "serving the web apps");
        router.fallback_service(
            tower_http::services::ServeDir::new(web_dir)
                .fallback(tower_http::services::ServeFile::new(index)),
        )
    } else {
        tracing::info!(dir = %web_dir.display(), "no web build there; serving the API only");
        router
    };
    router
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/webhooks/stripe",
            axum::routing::post(crate::webhooks::stripe),
        )
        .route(
            "/webhooks/stripe/connect",
            axum::routing::post(crate::webhooks::stripe_connect),
        )
        .route("/media/{*key}", get(crate::media::serve))
        .layer(middleware::from_fn_with_state(limits, intake::limit_body))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
}

/// The client's `X-Request-Id` when it is a sane token, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Gives each request its id (echoed in the response) and a span that carries it
/// into every log line, and logs one line per request.
async fn request_context(mut request: Request, next: Next) -> Response {
    let id = request_id(request.headers());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

fn error_body(message: &str, code: &str, request_id: &RequestId) -> serde_json::Value {
    serde_json::json!({
        "data": null,
        "errors": [{
            "message": message,
            "extensions": { "code": code, "requestId": request_id.0 },
        }],
    })
}

/// The client's address: the peer, or with `trust_forwarded_for` the first
/// address of `X-Forwarded-For`.
fn client_ip(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
    let forwarded = state
        .trust_forwarded_for
        .then(|| headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .and_then(|first| first.trim().parse().ok());
    forwarded.or(peer.map(|peer| peer.ip()))
}

const UNAVAILABLE_MESSAGE: &str = "the service is briefly unavailable; retry in a moment";

/// Marks a 503 with how long to wait.
fn retry_after(response: &mut Response) {
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(souk_edge::RETRY_AFTER_SECONDS),
    );
}

fn refusal(refusal: &Refusal, request_id: &RequestId) -> Response {
    let code = refusal.code();
    metrics::counter!("souk_graphql_errors_total", "code" => code).increment(1);
    let (status, message) = match refusal {
        Refusal::Internal(cause) => {
            tracing::error!(error = %cause, "credentials could not be checked");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side; quote the request id if you report it"
                    .to_string(),
            )
        }
        Refusal::Unavailable(cause) => {
            tracing::warn!(error = %cause, "credentials could not be checked for now");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE_MESSAGE.to_string(),
            )
        }
        Refusal::Suspended | Refusal::NotMember => (StatusCode::FORBIDDEN, refusal.to_string()),
        _ => {
            tracing::info!(error = %refusal, "refused credentials");
            (StatusCode::UNAUTHORIZED, refusal.to_string())
        }
    };
    let mut response = (status, Json(error_body(&message, code, request_id))).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(&mut response);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        );
    }
    response
}

async fn graphql(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    limit: Option<Extension<intake::BodyLimit>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Who is calling, and whether they may, from the headers alone: a refused
    // caller's body is never read.
    let authority = Authority {
        verifier: &state.verifier,
        tenancy: state.tenancy.as_ref(),
        identity: state.identity.as_ref(),
    };
    let principal = match authenticate(authority, &headers).await {
        Ok(principal) => principal,
        Err(err) => return refusal(&err, &request_id),
    };
    let ip = client_ip(
        &state,
        &headers,
        peer.map(|Extension(ConnectInfo(addr))| addr),
    );
    let throttle =
        match admission::admit(state.gate.as_deref(), principal.as_ref(), ip, &request_id).await {
            admission::Verdict::Proceed(throttle) => throttle,
            admission::Verdict::Refuse(response) => return response,
        };
    let limit = limit.map_or(intake::BodyLimit::unbounded(), |Extension(limit)| limit);
    let uploader = principal
        .as_ref()
        .is_some_and(|p| p.tenant.is_some() && p.role.is_vendor());
    let mut request = match intake::read(&headers, body, limit.for_caller(uploader)).await {
        Ok(request) => request,
        Err(malformed) => return malformed.respond(&request_id),
    };
    let operation = state.operations.label(operation_name(
        request.operation_name.as_deref(),
        &request.query,
    ));
    let audit = principal
        .as_ref()
        .and_then(|principal| audit::Context::of(principal, Some(request_id.0.clone())));
    request = attach(request, &request_id, ip, principal);
    let started = Instant::now();
    let mut response = crate::execution::execute(&state.schema, request, audit).await;
    let unavailable = label_errors(&mut response, &request_id);
    if let Some(throttle) = &throttle {
        response
            .extensions
            .insert("throttle".into(), admission::throttle_value(throttle));
    }
    metrics::counter!("souk_graphql_requests_total", "operation" => operation.clone()).increment(1);
    metrics::histogram!("souk_graphql_request_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    let mut response = GraphQLResponse::from(response).into_response();
    if unavailable {
        // A database fault: the client should retry, not report a bug.
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        retry_after(&mut response);
    }
    response
}

/// `request` with what its resolvers read: the request id, the caller's
/// address and who is calling.
fn attach(
    mut request: async_graphql::Request,
    request_id: &RequestId,
    ip: Option<IpAddr>,
    principal: Option<souk_tenants::Principal>,
) -> async_graphql::Request {
    request = request.data(request_id.clone());
    if let Some(ip) = ip {
        request = request.data(ClientIp(ip));
    }
    if let Some(principal) = principal {
        request = request.data(principal);
    }
    request
}

/// Gives every error of `response` a code (`BAD_REQUEST` unless it has one)
/// and the request's id, and counts them by code; whether any is a fault the
/// client should retry (`UNAVAILABLE`).
fn label_errors(response: &mut async_graphql::Response, request_id: &RequestId) -> bool {
    let mut unavailable = false;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_REQUEST");
        }
        extensions.set("requestId", request_id.0.clone());
        let code = match extensions.get("code") {
            Some(async_graphql::Value::String(code)) => code.clone(),
            _ => "BAD_REQUEST".into(),
        };
        unavailable |= code == "UNAVAILABLE";
        metrics::counter!("souk_graphql_errors_total", "code" => code).increment(1);
    }
    unavailable
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when PostgreSQL answers with every migration this binary knows applied,
/// and MongoDB answers.
async fn readyz(State(state): State<AppState>) -> Response {
    let check = tokio::time::timeout(Duration::from_secs(3), async {
        migrations_applied(&state.pool).await?;
        state
            .mongo
            .run_command(mongodb::bson::doc! { "ping": 1 })
            .await
            .map(|_| ())
            .map_err(|err| {
                tracing::warn!(error = %err, "MongoDB ping failed");
                "MongoDB is unreachable".to_string()
            })
    });
    match check.await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
            .into_response(),
        Ok(Err(reason)) => not_ready(&reason),
        Err(_) => not_ready("the databases did not answer within 3 seconds"),
    }
}

fn not_ready(reason: &str) -> Response {
    tracing::warn!(reason, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "unavailable", "reason": reason })),
    )
        .into_response()
}

async fn migrations_applied(pool: &PgPool) -> Result<(), String> {
    let applied =
        sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "readiness query failed");
                "the database is unreachable or not migrated".to_string()
            })?;
    let missing = souk_migrations::MIGRATOR
        .iter()
        .filter(|migration| !applied.contains(&migration.version))
        .count();
    if missing > 0 {
        return Err(format!(
            "{missing} migration(s) not applied; run `souk migrate`"
        ));
    }
    Ok(())
}

async fn metrics(State(state): State<AppState>) -> Response {
    let idle = state.pool.num_idle();
    let size = state.pool.size() as usize;
    metrics::gauge!("souk_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("souk_db_pool_connections", "state" => "in_use")
        .set(size.saturating_sub(idle) as f64);
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.verifier.jwks())
}
