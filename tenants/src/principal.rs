use serde::{Deserialize, Serialize};

use crate::TenantId;

/// A caller's role: platform-wide, within a tenant, or a shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    Owner,
    Manager,
    Staff,
    Customer,
}

impl Role {
    /// Vendor-side roles act inside one tenant.
    pub fn is_vendor(self) -> bool {
        matches!(self, Role::Owner | Role::Manager | Role::Staff)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Customer => "customer",
        }
    }
}

/// The verified identity behind a request. Built by the gateway from a verified
/// token only; never from an unverified header or argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The subject (user id) of the credentials.
    pub subject: String,
    /// The tenant the credentials were issued for, if any.
    pub tenant: Option<TenantId>,
    pub role: Role,
    /// The sign-in session the credentials belong to, if any.
    pub session: Option<String>,
}

/// Who acts, in which tenant: what every tenant-scoped operation takes. `actor`
/// names the caller in ledgers and audit entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub tenant: TenantId,
    pub actor: String,
}

/// A vendor-side caller acting inside one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorActor {
    pub tenant: TenantId,
    pub subject: String,
    pub role: Role,
}

/// Why a caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("sign in to do this")]
    Unauthenticated,
    #[error("your role may not do this")]
    Forbidden,
}

impl Principal {
    /// The vendor-side scope of this caller: a vendor role with a tenant claim.
    /// Customers, platform-wide admins and tenant-less tokens are refused.
    pub fn vendor(&self) -> Result<VendorActor, AccessError> {
        match (self.role.is_vendor(), self.tenant) {
            (true, Some(tenant)) => Ok(VendorActor {
                tenant,
                subject: self.subject.clone(),
                role: self.role,
            }),
            _ => Err(AccessError::Forbidden),
        }
    }
}

/// The vendor scope of an optional principal (`None` is an anonymous caller).
pub fn require_vendor(principal: Option<&Principal>) -> Result<VendorActor, AccessError> {
    principal.ok_or(AccessError::Unauthenticated)?.vendor()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, tenant: Option<TenantId>) -> Principal {
        Principal {
            subject: "u1".into(),
            tenant,
            role,
            session: None,
        }
    }

    #[test]
    fn only_vendor_roles_with_a_tenant_get_a_vendor_scope() {
        let tenant = TenantId::generate();
        for role in [Role::Owner, Role::Manager, Role::Staff] {
            let actor = principal(role, Some(tenant)).vendor().expect("vendor role");
            assert_eq!(actor.tenant, tenant);
            assert_eq!(principal(role, None).vendor(), Err(AccessError::Forbidden));
        }
        for role in [Role::Customer, Role::PlatformAdmin] {
            assert_eq!(
                principal(role, Some(tenant)).vendor(),
                Err(AccessError::Forbidden)
            );
        }
        assert_eq!(require_vendor(None), Err(AccessError::Unauthenticated));
    }
}
