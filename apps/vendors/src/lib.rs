//! Vendors (tenants), their members and their API keys.
//!
//! * this module: the types, rules and errors;
//! * [`store`]: the SQL (schema `tenancy`), memberships and keys under row-level
//!   security;
//! * [`service`]: the [`Tenancy`](service::Tenancy) boundary;
//! * [`api`], the GraphQL queries and mutations.

pub mod api;
pub mod keys;
pub mod service;
pub(crate) mod store;

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use souk_tenants::{Role, TenantId};

/// A value that failed its parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// A vendor's URL name: 3–48 characters of lower-case letters and digits in
/// groups joined by single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let slug = raw.trim();
        let shaped = slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !(3..=48).contains(&slug.len()) || !shaped {
            return Err(InvalidValue(
                "a slug has 3 to 48 lower-case letters and digits, in groups joined by single hyphens".into(),
            ));
        }
        Ok(Self(slug.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A vendor's display name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorName(String);

impl VendorName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(InvalidValue("a vendor name has 1 to 100 characters".into()));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantStatus {
    Pending,
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Pending => "pending",
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(TenantStatus::Pending),
            "active" => Some(TenantStatus::Active),
            "suspended" => Some(TenantStatus::Suspended),
            _ => None,
        }
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: TenantId,
    pub name: String,
    pub slug: String,
    pub status: TenantStatus,
    pub created_at: DateTime<Utc>,
}

/// A person's role in a vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant: TenantId,
    pub user: Uuid,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A vendor role's rank: owner above manager above staff.
pub fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 3,
        Role::Manager => 2,
        Role::Staff => 1,
        Role::PlatformAdmin | Role::Customer => 0,
    }
}

/// A vendor role from its stored name.
pub fn vendor_role(raw: &str) -> Option<Role> {
    match raw {
        "owner" => Some(Role::Owner),
        "manager" => Some(Role::Manager),
        "staff" => Some(Role::Staff),
        _ => None,
    }
}

pub use souk_tenants::InternalError;

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("that slug is taken")]
    SlugTaken,
    #[error("no such vendor")]
    VendorNotFound,
    #[error("you are not a member of that vendor")]
    NotMember,
    #[error("the vendor is suspended")]
    Suspended,
    #[error("that person is already a member")]
    AlreadyMember,
    #[error("no such member")]
    MemberNotFound,
    #[error("a vendor keeps at least one owner")]
    LastOwner,
    #[error("your role may not do this")]
    Forbidden,
    #[error("a key's role may not be higher than its creator's")]
    RoleTooHigh,
    #[error("no such API key")]
    KeyNotFound,
    #[error("the vendor is not in a state that allows this (it is {0})")]
    InvalidStatus(TenantStatus),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<sqlx::Error> for TenancyError {
    fn from(err: sqlx::Error) -> Self {
        TenancyError::Internal(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["abc", "atlas-apparel", "a1-b2-c3"] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ab",
            "Atlas",
            "a--b",
            "-abc",
            "abc-",
            "a b c",
            "ünï",
            &"a".repeat(49),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
