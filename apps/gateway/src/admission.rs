//! Each GraphQL request's admission: the tenant's plan rate limit and quota (and
//! its metering), or the visitor's limit; refusals as HTTP 429 with `Retry-After`
//! and a typed GraphQL error; `extensions.throttle` on every response.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use souk_billing::gate::{Admission, Gate, Throttle};
use souk_edge::RequestId;
use souk_tenants::Principal;

/// The limits a request was admitted under, or its refusal.
#[derive(Debug)]
pub enum Verdict {
    Proceed(Option<Throttle>),
    Refuse(Response),
}

/// `{limit, remaining, resetAt}` as a GraphQL extension value.
pub fn throttle_value(throttle: &Throttle) -> async_graphql::Value {
    async_graphql::value!({
        "limit": throttle.limit,
        "remaining": throttle.remaining,
        "resetAt": throttle.reset_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

fn throttle_json(throttle: &Throttle) -> serde_json::Value {
    serde_json::json!({
        "limit": throttle.limit,
        "remaining": throttle.remaining,
        "resetAt": throttle.reset_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

fn refusal(
    code: &str,
    message: String,
    wait: Duration,
    throttle: &Throttle,
    extra: serde_json::Value,
    request_id: &RequestId,
) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut extensions = serde_json::json!({
        "code": code,
        "retryAfterSeconds": seconds,
        "requestId": request_id.0,
    });
    if let (Some(extensions), serde_json::Value::Object(extra)) =
        (extensions.as_object_mut(), extra)
    {
        extensions.extend(extra);
    }
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": extensions }],
        "extensions": { "throttle": throttle_json(throttle) },
    });
    metrics::counter!("souk_graphql_errors_total", "code" => code.to_string()).increment(1);
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

/// Decides on one request: tenant-scoped callers by their plan, everyone else by
/// client (a signed-in person by their id, an anonymous one by address).
pub async fn admit(
    gate: Option<&Gate>,
    principal: Option<&Principal>,
    ip: Option<IpAddr>,
    request_id: &RequestId,
) -> Verdict {
    let Some(gate) = gate else {
        return Verdict::Proceed(None);
    };
    let admission = match principal {
        Some(Principal {
            tenant: Some(tenant),
            ..
        }) => match gate.admit_tenant(*tenant).await {
            Ok(admission) => admission,
            Err(err) => {
                // The quota cannot be read: serve (and count) rather than fail.
                tracing::warn!(error = %err, "tenant limits unavailable; admitting");
                gate.meter().count(*tenant);
                return Verdict::Proceed(None);
            }
        },
        Some(person) => {
            gate.admit_visitor(&format!("person:{}", person.subject))
                .await
        }
        None => {
            gate.admit_visitor(&format!(
                "ip:{}",
                ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
            ))
            .await
        }
    };
    verdict(admission, request_id)
}

/// The answer to an admission: proceed with its throttle figures, or a refusal
/// with its code, message and wait.
fn verdict(admission: Admission, request_id: &RequestId) -> Verdict {
    match admission {
        Admission::Allowed(throttle) => Verdict::Proceed(Some(throttle)),
        Admission::RateLimited {
            retry_after,
            throttle,
        } => Verdict::Refuse(refusal(
            "RATE_LIMITED",
            "too many requests; slow down and retry after the time given".into(),
            retry_after,
            &throttle,
            serde_json::Value::Null,
            request_id,
        )),
        Admission::QuotaExceeded {
            reset_at,
            included,
            throttle,
        } => Verdict::Refuse(refusal(
            "QUOTA_EXCEEDED",
            format!(
                "this vendor's plan includes {included} requests a month and they are used; \
                 upgrade the plan or wait for the next period"
            ),
            (reset_at - chrono::Utc::now()).to_std().unwrap_or_default(),
            &throttle,
            serde_json::json!({ "resetAt": reset_at.to_rfc3339(), "includedRequests": included }),
            request_id,
        )),
    }
}
