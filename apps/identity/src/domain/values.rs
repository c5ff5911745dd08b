//! Newtypes that reject bad input once, at the edge.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// A value that failed its parser: which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

fn invalid(message: impl Into<String>) -> InvalidValue {
    InvalidValue(message.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub Uuid);

impl UserId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| invalid("not a user id"))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An email address, trimmed and lower-cased: the unit of uniqueness.
///
/// Only ASCII addresses are accepted (internationalised domains in their `xn--`
/// form), so that look-alike characters from other scripts cannot register a
/// second account that reads like someone else's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let email = raw.trim().to_ascii_lowercase();
        if email.is_empty() {
            return Err(invalid("an email address may not be empty"));
        }
        if email.len() > 254 {
            return Err(invalid("an email address has at most 254 characters"));
        }
        if !email.is_ascii() {
            return Err(invalid(
                "an email address may hold only ASCII characters (use the xn-- form of a domain)",
            ));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid("an email address needs an @"));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c));
        if !local_ok {
            return Err(invalid("the part before the @ is not valid"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.len() >= 2
                    && (tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--"))
            });
        if !domain_ok {
            return Err(invalid("the domain after the @ is not valid"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An email read back from the store, which only holds parsed ones.
    pub(crate) fn from_stored(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the rules: 10 to 128 characters, not the email address,
/// not a common password. Never printed.
#[derive(Debug, Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str, email: &Email) -> Result<Self, InvalidValue> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(invalid(format!(
                "a password needs at least {} characters",
                Self::MIN_CHARS
            )));
        }
        if chars > Self::MAX_CHARS {
            return Err(invalid(format!(
                "a password has at most {} characters",
                Self::MAX_CHARS
            )));
        }
        let lowered = raw.to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or_default();
        if lowered == email.as_str() || lowered == local {
            return Err(invalid("a password may not be the email address"));
        }
        if common_passwords().contains(lowered.as_str()) {
            return Err(invalid("that password is too common; choose another"));
        }
        Ok(Self(SecretString::from(raw.to_string())))
    }

    /// A password as typed at sign-in: only bounded in length, so that a huge input
    /// cannot tie up the hasher.
    pub fn candidate(raw: &str) -> Result<Self, InvalidValue> {
        if raw.is_empty() || raw.chars().count() > Self::MAX_CHARS {
            return Err(invalid("wrong email or password"));
        }
        Ok(Self(SecretString::from(raw.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

fn bounded_text(raw: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(invalid(format!("{what} may not be empty")));
    }
    if text.chars().count() > max {
        return Err(invalid(format!("{what} has at most {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} may not contain control characters"
        )));
    }
    Ok(text.to_string())
}

/// A first or last name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, "a name", 100).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and brackets;
/// 6 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let phone = raw.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0)
        });
        if !allowed || !(6..=20).contains(&digits) {
            return Err(invalid(
                "a phone number has 6 to 20 digits and may start with +",
            ));
        }
        Ok(Self(phone.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

pub(crate) fn text_field(raw: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    bounded_text(raw, what, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn valid_emails_normalise_to_lower_case(
            local in "[A-Za-z0-9][A-Za-z0-9._+-]{0,20}[A-Za-z0-9]",
            domain in "[a-z0-9]{1,20}",
            tld in "[a-z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let raw = format!("  {local}@{}.{tld} ", domain.to_uppercase());
            let email = Email::parse(&raw).expect("valid");
            prop_assert_eq!(email.as_str(), format!("{}@{domain}.{tld}", local.to_lowercase()));
        }

        #[test]
        fn non_ascii_emails_are_refused(local in "[a-z]{1,5}", bad in "[\u{0400}-\u{04FF}\u{00C0}-\u{00FF}]") {
            let raw = format!("{local}{bad}@example.com");
            prop_assert!(Email::parse(&raw).is_err());
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "plain",
            "@x.com",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@x.com",
            ".a@x.com",
            "a@-x.com",
            "a b@x.com",
            "раураl@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn password_rules() {
        let email = Email::parse("maria.lopez@example.com").expect("email");
        assert!(Password::parse("short", &email).is_err());
        assert!(Password::parse(&"x".repeat(1_000_000), &email).is_err());
        assert!(Password::parse("Maria.Lopez@example.com", &email).is_err());
        assert!(Password::parse("maria.lopez", &email).is_err());
        assert!(Password::parse("Password123", &email).is_err(), "common");
        assert!(Password::parse("1234567890", &email).is_err(), "common");
        assert!(Password::parse("correct horse battery", &email).is_ok());
    }

    #[test]
    fn names_and_phones() {
        assert!(PersonName::parse("  ").is_err());
        assert!(PersonName::parse(&"n".repeat(101)).is_err());
        assert!(Phone::parse("+44 20 7946 0958").is_ok());
        assert!(Phone::parse("12").is_err());
        assert!(Phone::parse("call me").is_err());
    }
}
