//! The catalog's MongoDB documents, queries and indexes.

pub mod categories;
pub mod detached;
pub mod indexes;
pub mod products;

use crate::domain::CatalogError;

impl From<souk_tenants::mongo::ScopeError> for CatalogError {
    fn from(err: souk_tenants::mongo::ScopeError) -> Self {
        CatalogError::Internal(err.into())
    }
}

impl From<mongodb::error::Error> for CatalogError {
    fn from(err: mongodb::error::Error) -> Self {
        CatalogError::Internal(err.into())
    }
}

/// `raw` with every regular-expression metacharacter escaped, so that search
/// text is only ever matched literally.
pub fn escape_regex(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len() * 2);
    for c in raw.chars() {
        if !c.is_alphanumeric() && c != ' ' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_regex;

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(escape_regex("a.b*c"), "a\\.b\\*c");
        assert_eq!(escape_regex("(x|y)$"), "\\(x\\|y\\)\\$");
        assert_eq!(escape_regex("tee shirt"), "tee shirt");
    }
}
