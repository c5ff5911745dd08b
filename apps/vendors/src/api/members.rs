//! A vendor's members: listing them, and the owners adding, re-ranking and
//! removing them.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::{parse_id, tenancy, Directory, RoleView};
use crate::Membership;
use souk_edge::{client_ip, service, throttle, vendor, ApiError, Bucket};

/// A member of the caller's vendor.
#[derive(Debug)]
pub struct MemberView(Membership);

#[Object(name = "VendorMember")]
impl MemberView {
    async fn user_id(&self) -> ID {
        ID(self.0.user.to_string())
    }
    async fn role(&self) -> RoleView {
        RoleView::of(self.0.role)
    }
    async fn since(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The member's email address.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let directory = service::<dyn Directory>(ctx)?;
        Ok(directory
            .email_of(self.0.user)
            .await
            .map_err(|cause| ApiError::failure(&cause))?)
    }
}

#[derive(Debug, Default)]
pub struct MembersQuery;

#[Object]
impl MembersQuery {
    /// The members of the caller's vendor.
    async fn vendor_members(&self, ctx: &Context<'_>) -> Result<Vec<MemberView>> {
        let actor = vendor(ctx)?;
        let members = tenancy(ctx)?
            .members(&actor)
            .await
            .map_err(ApiError::from)?;
        Ok(members.into_iter().map(MemberView).collect())
    }
}

#[derive(Debug, Default)]
pub struct MembersMutation;

#[Object]
impl MembersMutation {
    /// Owners: adds a person (by the email of their account) to the vendor. Since
    /// the answer tells whether the email has an account, it is rate limited per
    /// client address together with `accountExists` and `register`.
    async fn add_vendor_member(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: RoleView,
    ) -> Result<MemberView> {
        let actor = vendor(ctx)?;
        throttle(ctx, Bucket::LookupPerIp, &client_ip(ctx)).await?;
        let directory = service::<dyn Directory>(ctx)?;
        let user = directory
            .user_id_by_email(&email)
            .await
            .map_err(|cause| ApiError::failure(&cause))?
            .ok_or_else(|| ApiError::new("NOT_FOUND", "no account with that email address"))?;
        let added = tenancy(ctx)?
            .add_member(&actor, user, role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(MemberView(added))
    }

    /// Owners: changes a member's role; a vendor keeps at least one owner.
    async fn change_vendor_member_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: RoleView,
    ) -> Result<MemberView> {
        let actor = vendor(ctx)?;
        let user = parse_id(&user_id, "userId")?;
        let changed = tenancy(ctx)?
            .change_role(&actor, user, role.into())
            .await
            .map_err(ApiError::from)?;
        Ok(MemberView(changed))
    }

    /// Owners: removes a member; a vendor keeps at least one owner.
    async fn remove_vendor_member(&self, ctx: &Context<'_>, user_id: ID) -> Result<bool> {
        let actor = vendor(ctx)?;
        let user = parse_id(&user_id, "userId")?;
        tenancy(ctx)?
            .remove_member(&actor, user)
            .await
            .map_err(ApiError::from)?;
        Ok(true)
    }
}
