//! `POST /webhooks/stripe`: Stripe's events about subscriptions and invoices
//! (billing) and payments (`payment_intent.*`); `POST /webhooks/stripe/connect`:
//! events of vendors' connected accounts (`account.updated`).
//!
//! Anything unsigned, mis-signed or signed more than five minutes ago is answered
//! 400 and changes nothing; each event id is applied once (a replay is answered
//! 200 and ignored, so Stripe stops retrying it). An event that could not be
//! applied is answered 503, so Stripe delivers it again.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::{ExposeSecret, SecretString};
use souk_billing::service::Delivery;
use souk_billing::webhook::{self, StripeEvent};
use souk_payments::service::Applied;

use crate::routes::AppState;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// The verified event, or the answer that refuses it.
fn verified(
    secret: Option<&SecretString>,
    setting: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<StripeEvent, Box<Response>> {
    let Some(secret) = secret else {
        return Err(Box::new(answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": format!("this Stripe webhook is not configured ({setting})") }),
        )));
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    webhook::verify(
        body,
        signature,
        secret.expose_secret(),
        chrono::Utc::now().timestamp(),
    )
    .and_then(|()| StripeEvent::parse(body))
    .map_err(|err| {
        tracing::warn!(error = %err, "Stripe webhook refused");
        Box::new(answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "error": err.to_string() }),
        ))
    })
}

fn outcome(event: &StripeEvent, outcome: Result<&'static str, String>) -> Response {
    match outcome {
        Ok(outcome) => {
            tracing::info!(event_id = %event.id, kind = %event.kind, outcome, "Stripe webhook");
            answer(
                StatusCode::OK,
                serde_json::json!({ "received": true, "outcome": outcome }),
            )
        }
        Err(err) => {
            tracing::error!(error = %err, event_id = %event.id, "Stripe webhook not applied");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "not applied; Stripe will retry" }),
            )
        }
    }
}

async fn payments(state: &AppState, event: &StripeEvent) -> Response {
    let applied = state
        .payments
        .handle_event(event)
        .await
        .map(|applied| match applied {
            Applied::Applied => "applied",
            Applied::Duplicate => "duplicate",
            Applied::Ignored => "ignored",
        })
        .map_err(|e| e.to_string());
    outcome(event, applied)
}

pub async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let event = match verified(
        state.stripe_webhook_secret.as_ref(),
        "SOUK_STRIPE_WEBHOOK_SECRET",
        &headers,
        &body,
    ) {
        Ok(event) => event,
        Err(refused) => return *refused,
    };
    if souk_payments::service::webhooks_read(&event.kind) {
        return payments(&state, &event).await;
    }
    let delivered = state
        .billing
        .handle_webhook(&event)
        .await
        .map(|delivery| match delivery {
            Delivery::Applied => "applied",
            Delivery::Duplicate => "duplicate",
            Delivery::Ignored => "ignored",
        })
        .map_err(|e| e.to_string());
    outcome(&event, delivered)
}

pub async fn stripe_connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match verified(
        state.stripe_connect_webhook_secret.as_ref(),
        "SOUK_STRIPE_CONNECT_WEBHOOK_SECRET",
        &headers,
        &body,
    ) {
        Ok(event) if souk_payments::service::connect_webhooks_read(&event.kind) => {
            payments(&state, &event).await
        }
        // Acknowledged so Stripe stops sending it, and applied to nothing.
        Ok(event) => outcome(&event, Ok("ignored")),
        Err(refused) => *refused,
    }
}
