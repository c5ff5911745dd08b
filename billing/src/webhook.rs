//! Stripe webhook signatures and the few event fields Souk reads.
//!
//! `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=…]`
//! is checked against the endpoint's signing secret in constant time, and the
//! timestamp must be within five minutes of now. (async-stripe-webhook's
//! `construct_event` would also deserialize every event into its full typed
//! object, which fails on any event shape it does not know; Souk needs six
//! fields, so it verifies with the same HMAC crates and reads those fields.)

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the request has no Stripe-Signature header")]
    Unsigned,
    #[error("the Stripe-Signature header is malformed")]
    MalformedSignature,
    #[error("no signature matches the payload")]
    BadSignature,
    #[error("the signature's timestamp is more than five minutes from now")]
    Stale,
    #[error("the payload is not a Stripe event")]
    MalformedEvent,
}

/// Checks `header` against `payload` and `secret` at time `now` (unix seconds).
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secret: &str,
    now: i64,
) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Unsigned)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(
                    t.parse::<i64>()
                        .map_err(|_| WebhookError::MalformedSignature)?,
                )
            }
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MalformedSignature)?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedSignature);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| WebhookError::BadSignature)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let matches = signatures.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|sig| mac.clone().verify_slice(&sig).is_ok())
    });
    if !matches {
        return Err(WebhookError::BadSignature);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// The header Stripe would send for `payload` at `timestamp` (for tests and
/// local tooling).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// A Stripe event, as much of it as Souk reads.
#[derive(Debug, Clone, PartialEq)]
pub struct StripeEvent {
    pub id: String,
    pub kind: String,
    pub object: serde_json::Value,
    /// When Stripe created the event (seconds since the epoch): Stripe does not
    /// deliver events in order, so a state they carry is kept only if newer.
    pub created: Option<i64>,
}

impl StripeEvent {
    pub fn parse(payload: &[u8]) -> Result<Self, WebhookError> {
        let value: serde_json::Value =
            serde_json::from_slice(payload).map_err(|_| WebhookError::MalformedEvent)?;
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
        match (text("id"), text("type"), value.pointer("/data/object")) {
            (Some(id), Some(kind), Some(object)) if object.is_object() => Ok(Self {
                id,
                kind,
                object: object.clone(),
                created: value.get("created").and_then(serde_json::Value::as_i64),
            }),
            _ => Err(WebhookError::MalformedEvent),
        }
    }

    pub fn text(&self, pointer: &str) -> Option<&str> {
        self.object.pointer(pointer).and_then(|v| v.as_str())
    }

    pub fn time(&self, pointer: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        self.object
            .pointer(pointer)
            .and_then(serde_json::Value::as_i64)
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn signatures_are_checked_in_full() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, SECRET, 1_000);
        assert_eq!(verify(body, Some(&header), SECRET, 1_000), Ok(()));
        assert_eq!(verify(body, Some(&header), SECRET, 1_300), Ok(()));
        assert_eq!(
            verify(body, Some(&header), SECRET, 1_301),
            Err(WebhookError::Stale)
        );
        assert_eq!(
            verify(body, Some(&header), SECRET, 699),
            Err(WebhookError::Stale)
        );
        assert_eq!(
            verify(body, None, SECRET, 1_000),
            Err(WebhookError::Unsigned)
        );
        assert_eq!(
            verify(br#"{"id":"evt_2"}"#, Some(&header), SECRET, 1_000),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(body, Some(&header), "whsec_other", 1_000),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(body, Some("v1=abc"), SECRET, 1_000),
            Err(WebhookError::MalformedSignature)
        );
        let rotated = format!("{},v1=00ff", header);
        assert_eq!(verify(body, Some(&rotated), SECRET, 1_000), Ok(()));
    }
}
