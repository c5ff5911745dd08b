//! The rules every string and cursor from outside obeys before any service sees
//! it: no NUL or other control characters (line breaks and tabs only in free
//! text), a bounded length, and cursor times that PostgreSQL and MongoDB can store.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ApiError;

/// The longest single-line string argument, in characters (names, codes, SKUs,
/// search terms, ids, tokens, URLs). A backstop against absurd input: each
/// service's parsers set the tighter limits of their own values (and their codes).
pub const MAX_LINE_CHARS: usize = 16_384;

/// The longest free-text argument (descriptions, notes, reasons), in characters.
pub const MAX_TEXT_CHARS: usize = 65_536;

/// What a string argument holds, which decides the characters and length it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line: names, codes, SKUs, search terms, ids, tokens, URLs.
    Line,
    /// Prose: line breaks and tabs allowed.
    FreeText,
    /// A password: anything but NUL; its own rules (and their error codes) are
    /// the identity service's.
    Secret,
}

impl Kind {
    /// The kind of an argument or input field, by its name.
    pub fn of_argument(name: &str) -> Self {
        match name {
            "description" | "note" | "notes" | "reason" | "body" | "message" => Kind::FreeText,
            "password" | "currentPassword" | "newPassword" => Kind::Secret,
            _ => Kind::Line,
        }
    }

    fn max_chars(self) -> usize {
        match self {
            Kind::Line => MAX_LINE_CHARS,
            Kind::FreeText | Kind::Secret => MAX_TEXT_CHARS,
        }
    }

    fn allows(self, c: char) -> bool {
        match self {
            _ if !c.is_control() => true,
            Kind::Line => false,
            Kind::FreeText => matches!(c, '\n' | '\r' | '\t'),
            Kind::Secret => c != '\0',
        }
    }
}

/// Refuses `value` for `argument` when it holds a character that has no place in
/// it or is longer than its kind allows.
pub fn check_text(argument: &str, value: &str, kind: Kind) -> Result<(), ApiError> {
    if let Some(c) = value.chars().find(|&c| !kind.allows(c)) {
        return Err(ApiError::invalid_argument(
            argument,
            format!(
                "must not contain the control character U+{:04X}",
                u32::from(c)
            ),
        ));
    }
    let max = kind.max_chars();
    // Bytes bound characters from above, so most strings skip the count.
    if value.len() > max && value.chars().count() > max {
        return Err(ApiError::invalid_argument(
            argument,
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(())
}

/// The earliest time a cursor may carry.
fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The latest time a cursor may carry.
fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_opt(23, 59, 59))
        .map(|at| at.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether a time decoded from a cursor is one the stores can hold and compare
/// (every key this platform writes is a creation time in that range).
pub fn storable_time(at: DateTime<Utc>) -> bool {
    (earliest()..=latest()).contains(&at)
}

/// A time filter argument brought into the range the stores hold: every stored
/// time lies inside it, so the filter keeps its meaning.
pub fn clamp_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.clamp(earliest(), latest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_naming_the_argument() {
        let err = check_text("slug", "a\u{0}b", Kind::Line).expect_err("NUL");
        assert_eq!(err.code(), "INVALID_ARGUMENT");
        assert!(err.message().starts_with("slug:"), "{}", err.message());
        assert!(check_text("name", "a\nb", Kind::Line).is_err());
        assert!(check_text("name", "a\u{7f}", Kind::Line).is_err());
        assert!(check_text("name", "a\u{85}", Kind::Line).is_err());
        assert!(check_text("description", "a\nb\tc\r\n", Kind::FreeText).is_ok());
        assert!(check_text("description", "a\u{0}", Kind::FreeText).is_err());
        assert!(check_text("name", "Café ☕ 東京", Kind::Line).is_ok());
        assert!(check_text("password", "tab\tbed", Kind::Secret).is_ok());
        assert!(check_text("password", "nul\u{0}", Kind::Secret).is_err());
    }

    #[test]
    fn lengths_are_bounded_in_characters() {
        let long = "é".repeat(MAX_LINE_CHARS);
        assert!(check_text("name", &long, Kind::Line).is_ok());
        let longer = format!("{long}x");
        assert!(check_text("name", &longer, Kind::Line).is_err());
        assert!(check_text("description", &longer, Kind::FreeText).is_ok());
    }

    #[test]
    fn time_filters_are_clamped_to_what_the_stores_hold() {
        let now = Utc::now();
        assert_eq!(clamp_time(now), now);
        assert_eq!(clamp_time(DateTime::<Utc>::MIN_UTC), earliest());
        assert_eq!(clamp_time(DateTime::<Utc>::MAX_UTC), latest());
    }

    #[test]
    fn cursor_times_outside_what_the_stores_hold_are_refused() {
        assert!(storable_time(Utc::now()));
        assert!(!storable_time(DateTime::<Utc>::MAX_UTC));
        assert!(!storable_time(DateTime::<Utc>::MIN_UTC));
        assert!(
            !storable_time(DateTime::from_timestamp_micros(-1).expect("time")),
            "before 1970"
        );
    }
}
