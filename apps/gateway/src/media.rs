//! `GET /media/{tenant}/{hash}/{file}`: stored product images. A URL names its
//! content, so answers are cached for good (`immutable`), with the content's
//! name as ETag, streamed from the store.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use souk_media::storage::Key;

use crate::routes::AppState;

const FOREVER: &str = "public, max-age=31536000, immutable";

pub async fn serve(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(key) = Key::parse(&raw) else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    let found = match state.media.stored(&key).await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = %err, "an image could not be read from storage");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the image store is unavailable; try again",
            )
                .into_response();
        }
    };
    let Some(stored) = found else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    let etag = format!("\"{}-{}\"", key.hash, key.file.name());
    // Only a file that exists is "not modified"; then its bytes are not sent.
    let mut response = if matches_tag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Streamed as the store gives it: a large original costs a chunk of
        // memory, not its size, and a client that hangs up stops the read.
        let mut response = Body::from_stream(stored.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(stored.size));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(key.file.content_type()),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// Whether `If-None-Match` names `etag` (compared weakly, as RFC 9110 asks
/// for this header) or is `*`.
fn matches_tag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}
