use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The identifier of a tenant (a vendor's store). Opaque outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Uuid);

/// A tenant id that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant id must be a UUID")]
pub struct ParseTenantIdError;

impl TenantId {
    /// A fresh tenant id (UUID v7, so ids sort by creation time).
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// Parses the textual form; anything but a UUID is rejected.
    pub fn parse(raw: &str) -> Result<Self, ParseTenantIdError> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| ParseTenantIdError)
    }
}

impl FromStr for TenantId {
    type Err = ParseTenantIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn display_round_trips(bytes in any::<[u8; 16]>()) {
            let id = TenantId::from_uuid(Uuid::from_bytes(bytes));
            prop_assert_eq!(TenantId::parse(&id.to_string()), Ok(id));
        }

        #[test]
        fn rejects_non_uuids(raw in "[^0-9a-fA-F-]{1,40}") {
            prop_assert_eq!(TenantId::parse(&raw), Err(ParseTenantIdError));
        }
    }
}
