//! `POST /webhooks/stripe`: Stripe's events about subscriptions and invoices.
//!
//! Anything unsigned, mis-signed or signed more than five minutes ago is answered
//! 400 and changes nothing; each event id is applied once (a replay is answered
//! 200 and ignored, so Stripe stops retrying it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::ExposeSecret;
use souk_billing::service::Delivery;
use souk_billing::webhook::{self, StripeEvent};

use crate::routes::AppState;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

pub async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = &state.stripe_webhook_secret else {
        return answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "Stripe webhooks are not configured (SOUK_STRIPE_WEBHOOK_SECRET)" }),
        );
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    let verified = webhook::verify(
        &body,
        signature,
        secret.expose_secret(),
        chrono::Utc::now().timestamp(),
    )
    .and_then(|()| StripeEvent::parse(&body));
    let event = match verified {
        Ok(event) => event,
        Err(err) => {
            tracing::warn!(error = %err, "Stripe webhook refused");
            return answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "error": err.to_string() }),
            );
        }
    };
    match state.billing.handle_webhook(&event).await {
        Ok(delivery) => {
            let outcome = match delivery {
                Delivery::Applied => "applied",
                Delivery::Duplicate => "duplicate",
                Delivery::Ignored => "ignored",
            };
            tracing::info!(event_id = %event.id, kind = %event.kind, outcome, "Stripe webhook");
            answer(
                StatusCode::OK,
                serde_json::json!({ "received": true, "outcome": outcome }),
            )
        }
        Err(err) => {
            tracing::error!(error = %err, event_id = %event.id, "Stripe webhook not applied");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({ "error": "not applied; Stripe will retry" }),
            )
        }
    }
}
