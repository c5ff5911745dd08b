//! Product media: images vendors upload for their products and variants.
//!
//! An upload is checked by its content (JPEG, PNG or WebP; anything else is
//! `UNSUPPORTED_MEDIA`), bounded in bytes and pixels, decoded and re-encoded so
//! no metadata (EXIF, GPS) survives, and resized to WebP renditions, on the
//! blocking pool ([`process`]). The files are stored through `object_store`
//! ([`storage`]: a local folder by default, S3-compatible storage in
//! production) under content-addressed keys inside the tenant's own prefix;
//! their rows live in PostgreSQL under row-level security ([`store`]), so one
//! tenant can neither see, reorder nor delete another's images. [`service`] is
//! the boundary; [`api`] the GraphQL image object and its batched loader;
//! [`sweep`] deletes the files an interrupted upload left.

pub mod api;
mod headers;
pub mod process;
pub mod service;
pub mod storage;
pub(crate) mod store;
pub mod sweep;

pub use service::{Media, PgMedia};

/// Why an image operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("only JPEG, PNG and WebP images are accepted (checked by their content)")]
    UnsupportedMedia,
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the image is larger than {max} pixels on a side or 25 megapixels")]
    TooManyPixels { max: u32 },
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
    #[error("a product has at most {max} images")]
    TooMany { max: usize },
    #[error("no such image")]
    NotFound,
    #[error("{1}")]
    Invalid(&'static str, String),
    /// The object store did not answer (or failed): try again.
    #[error("the image store is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] souk_tenants::InternalError),
}

impl From<sqlx::Error> for MediaError {
    fn from(err: sqlx::Error) -> Self {
        MediaError::Internal(err.into())
    }
}

impl From<object_store::Error> for MediaError {
    fn from(err: object_store::Error) -> Self {
        MediaError::Unavailable(err.to_string())
    }
}

impl From<MediaError> for souk_edge::ApiError {
    fn from(err: MediaError) -> Self {
        use souk_edge::ApiError;
        match &err {
            MediaError::UnsupportedMedia => ApiError::new("UNSUPPORTED_MEDIA", err.to_string()),
            MediaError::TooLarge { .. } => ApiError::new("MEDIA_TOO_LARGE", err.to_string()),
            MediaError::TooManyPixels { .. } => ApiError::new("IMAGE_TOO_LARGE", err.to_string()),
            MediaError::Unreadable(_) => ApiError::new("INVALID_IMAGE", err.to_string()),
            MediaError::TooMany { .. } => ApiError::new("TOO_MANY_IMAGES", err.to_string()),
            MediaError::NotFound => ApiError::new("NOT_FOUND", err.to_string()),
            MediaError::Invalid(field, message) => ApiError::invalid_argument(field, message),
            MediaError::Unavailable(cause) => ApiError::unavailable(cause),
            MediaError::Internal(inner) => ApiError::failure(inner),
        }
    }
}
