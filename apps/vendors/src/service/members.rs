//! A vendor's members: added, their role changed, removed; a vendor never loses
//! its last owner. Every change is audited.

use serde_json::json;
use uuid::Uuid;

use super::{require, PgTenancy};
use crate::store;
use crate::{Membership, TenancyError};
use souk_tenants::audit::{self, Entry};
use souk_tenants::{Role, VendorActor};

pub(super) async fn add_member(
    tenancy: &PgTenancy,
    actor: &VendorActor,
    user: Uuid,
    role: Role,
) -> Result<Membership, TenancyError> {
    require(actor, Role::Owner)?;
    let mut tx = tenancy.scoped(actor.tenant).await?;
    let added = store::insert_membership(&mut tx, user, role)
        .await?
        .ok_or(TenancyError::AlreadyMember)?;
    let entry = Entry::new("member.add", "user", user.to_string())
        .details(json!({ "role": role.as_str() }));
    audit::record(&mut tx, Some(actor.tenant), entry).await?;
    tx.commit().await?;
    tenancy.roles.invalidate(&(actor.tenant, user));
    Ok(added)
}

impl PgTenancy {
    /// Runs `change` on a member while the vendor's owner rows are locked, refusing
    /// any change that would leave the vendor without an owner.
    pub(super) async fn change_member(
        &self,
        actor: &VendorActor,
        user: Uuid,
        new_role: Option<Role>,
    ) -> Result<Option<Membership>, TenancyError> {
        require(actor, Role::Owner)?;
        let mut tx = self.scoped(actor.tenant).await?;
        let owners = store::lock_owners(&mut tx).await?;
        let current = store::role_of(&mut tx, user)
            .await?
            .ok_or(TenancyError::MemberNotFound)?;
        let stays_owner = new_role == Some(Role::Owner);
        if current == Role::Owner && !stays_owner && owners.len() <= 1 {
            return Err(TenancyError::LastOwner);
        }
        let (changed, entry) = match new_role {
            Some(role) => (
                store::set_role(&mut tx, user, role).await?,
                Entry::new("member.change_role", "user", user.to_string())
                    .details(json!({ "from": current.as_str(), "to": role.as_str() })),
            ),
            None => {
                store::delete_membership(&mut tx, user).await?;
                let entry = Entry::new("member.remove", "user", user.to_string())
                    .details(json!({ "role": current.as_str() }));
                (None, entry)
            }
        };
        audit::record(&mut tx, Some(actor.tenant), entry).await?;
        tx.commit().await?;
        self.roles.invalidate(&(actor.tenant, user));
        Ok(changed)
    }
}
