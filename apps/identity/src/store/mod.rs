//! Identity's SQL (schema `identity`).

pub mod addresses;
pub mod preferences;
pub mod sessions;
pub mod users;

/// Whether `err` is a unique violation of the named constraint or index.
pub(crate) fn violates(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.code().as_deref() == Some("23505") && e.constraint() == Some(constraint))
}
