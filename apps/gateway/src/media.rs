//! `GET /media/{tenant}/{hash}/{file}`: stored product images. A URL names its
//! content, so answers are cached for good (`immutable`), with the content's
//! name as ETag, streamed from the store.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use souk_media::storage::Key;

use crate::routes::AppState;

pub async fn serve(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(key) = Key::parse(&raw) else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    let etag = format!("\"{}-{}\"", key.hash, key.file.name());
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if cached {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        return response;
    }
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
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
