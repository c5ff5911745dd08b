//! Reading a GraphQL request off the wire: the body limit (by `Content-Length`
//! before reading, by counting while reading a chunked body), and every way a
//! body can fail to be one GraphQL request, each answered in the API's JSON error
//! shape with a code, the request id and the HTTP status that fits.

use async_graphql::http::MultipartOptions;
use async_graphql::{BatchRequest, ParseRequestError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::LengthLimitError;
use souk_edge::RequestId;

/// Why a request body is not a GraphQL request.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("the request body is larger than the {0} bytes this server accepts")]
    TooLarge(usize),
    #[error("the request body could not be read")]
    Unreadable,
    #[error("the request body is not a GraphQL request: {0}")]
    Invalid(String),
    #[error("the multipart request is malformed: {0}")]
    Multipart(String),
    #[error("batched requests are not supported; send one operation per request")]
    Batch,
    #[error("the request body took longer than {0} seconds to arrive")]
    TimedOut(u64),
    #[error("a request carries at most one file, mapped to one `Upload` variable")]
    Files,
}

impl Malformed {
    fn status(&self) -> StatusCode {
        match self {
            Malformed::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Malformed::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Malformed::TooLarge(_) => "PAYLOAD_TOO_LARGE",
            Malformed::TimedOut(_) => "REQUEST_TIMEOUT",
            _ => "BAD_REQUEST",
        }
    }

    /// The refusal as a response.
    pub fn respond(&self, request_id: &RequestId) -> Response {
        tracing::info!(error = %self, "malformed request");
        error_response(self.status(), self.code(), &self.to_string(), request_id)
    }
}

/// The API's error shape as an HTTP response.
pub fn error_response(
    status: StatusCode,
    code: &'static str,
    message: &str,
    request_id: &RequestId,
) -> Response {
    metrics::counter!("souk_graphql_errors_total", "code" => code).increment(1);
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": message,
            "extensions": { "code": code, "requestId": request_id.0 },
        }],
    });
    (status, Json(body)).into_response()
}

/// The most a request body may hold: `upload` is what the body is bounded to
/// while it is read, `json` what it may hold unless its caller may upload.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub upload: usize,
    pub json: usize,
}

impl BodyLimit {
    pub fn unbounded() -> Self {
        Self {
            upload: usize::MAX,
            json: usize::MAX,
        }
    }

    /// The limit for a caller: the upload limit for one who may upload (a
    /// vendor's credentials, checked), the JSON limit for everyone else.
    pub fn for_caller(self, uploader: bool) -> usize {
        if uploader {
            self.upload
        } else {
            self.json.min(self.upload)
        }
    }
}

/// The most a body may hold: a JSON request, or a multipart one (an upload);
/// and how long it may take to arrive, whole (a client that trickles it is
/// answered 408 and its connection freed).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub multipart: usize,
    pub timeout: std::time::Duration,
}

/// Refuses a body whose `Content-Length` is over its kind's limit, and bounds
/// every other body so that reading past the limit fails (see [`read`]).
pub async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    // Uploads come from signed-in vendors: a multipart body without
    // credentials gets the JSON limit. Credentials are checked before the body
    // is read, and one that may not upload has it read to the JSON limit only.
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/"))
        && request.headers().contains_key(header::AUTHORIZATION);
    let limit = BodyLimit {
        upload: if multipart {
            limits.multipart
        } else {
            limits.json
        },
        json: limits.json,
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit.upload as u64) {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        return Malformed::TooLarge(limit.upload).respond(&request_id);
    }
    let mut request = request.map(|body| {
        let timed = with_deadline(body, limits.timeout);
        Body::new(http_body_util::Limited::new(timed, limit.upload))
    });
    request.extensions_mut().insert(limit);
    next.run(request).await
}

/// The one GraphQL request a POST body carries.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<async_graphql::Request, Malformed> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|err| {
        if let Some(TimedOut(seconds)) = cause::<TimedOut>(&err) {
            Malformed::TimedOut(*seconds)
        } else if cause::<LengthLimitError>(&err).is_some() {
            Malformed::TooLarge(limit)
        } else {
            Malformed::Unreadable
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if !content_type.is_some_and(|value| value.starts_with("multipart/")) {
        json_object(&bytes)?;
    }
    let batch = async_graphql::http::receive_batch_body(
        content_type,
        bytes.as_ref(),
        MultipartOptions::default().max_num_files(1),
    )
    .await
    .map_err(|err| parse_error(err, limit))?;
    match batch {
        BatchRequest::Single(request) => one_file_at_most(request),
        BatchRequest::Batch(_) => Err(Malformed::Batch),
    }
}

/// What async-graphql puts in a variable that a multipart map names, in place
/// of its file.
const FILE_PLACEHOLDER: &str = "#__graphql_file__:";

/// `request` unless it carries more than one file, maps one file to more than
/// one variable (the second would read the placeholder as its value), or has a
/// placeholder no file of its own stands behind (a JSON body that names one,
/// or a multipart map naming a file it does not carry).
fn one_file_at_most(request: async_graphql::Request) -> Result<async_graphql::Request, Malformed> {
    fn placeholders<'a>(value: &'a async_graphql::Value, found: &mut Vec<&'a str>) {
        match value {
            async_graphql::Value::String(text) if text.starts_with(FILE_PLACEHOLDER) => {
                found.push(text);
            }
            async_graphql::Value::List(items) => {
                items.iter().for_each(|item| placeholders(item, found));
            }
            async_graphql::Value::Object(fields) => {
                fields.values().for_each(|field| placeholders(field, found));
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for value in request.variables.values() {
        placeholders(value, &mut found);
    }
    let the_one = format!("{FILE_PLACEHOLDER}0");
    let carried = request.uploads.len();
    let sound = carried <= 1 && found.len() == carried && found.iter().all(|p| *p == the_one);
    if !sound {
        return Err(Malformed::Files);
    }
    Ok(request)
}

/// A JSON body must be one object: `[` opens a batch, anything else is no request.
fn json_object(bytes: &[u8]) -> Result<(), Malformed> {
    match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        Some(b'[') => Err(Malformed::Batch),
        _ => Err(Malformed::Invalid(
            "expected a JSON object with a `query`".into(),
        )),
    }
}

/// The first error of type `E` in `err`'s chain of causes.
fn cause<E: std::error::Error + 'static>(err: &axum::Error) -> Option<&E> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<E>() {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

/// A body's time (its seconds) ran out before all of it arrived.
#[derive(Debug, thiserror::Error)]
#[error("the request body took longer than {0} seconds to arrive")]
struct TimedOut(u64);

/// `body`, failing with [`TimedOut`] once `timeout` has passed since it began,
/// however its bytes trickle in.
fn with_deadline(body: Body, timeout: std::time::Duration) -> Body {
    use futures::StreamExt as _;
    let deadline = tokio::time::Instant::now()
        .checked_add(timeout)
        .unwrap_or_else(|| {
            tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365)
        });
    let chunks = futures::stream::unfold(Some(body.into_data_stream()), move |chunks| async move {
        let mut chunks = chunks?;
        match tokio::time::timeout_at(deadline, chunks.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(chunks))),
            Ok(None) => None,
            Err(_) => Some((Err(axum::Error::new(TimedOut(timeout.as_secs()))), None)),
        }
    });
    Body::from_stream(chunks)
}

fn parse_error(err: ParseRequestError, limit: usize) -> Malformed {
    match err {
        ParseRequestError::PayloadTooLarge => Malformed::TooLarge(limit),
        ParseRequestError::UnsupportedBatch => Malformed::Batch,
        ParseRequestError::InvalidRequest(cause) => Malformed::Invalid(cause.to_string()),
        ParseRequestError::Io(_) => Malformed::Unreadable,
        ParseRequestError::InvalidMultipart(cause) => Malformed::Multipart(cause.to_string()),
        other => Malformed::Multipart(other.to_string()),
    }
}
