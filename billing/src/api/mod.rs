//! Billing's GraphQL: plans for everyone to read and platform admins to run,
//! a vendor's subscription, usage and invoice preview for its owners, and every
//! tenant's for platform admins.

mod objects;

use async_graphql::{Context, Object, Result, ID};
use chrono::Utc;

use crate::domain::{Period, PlanDraft};
use crate::service::{Billing, BillingError};
use objects::{InvoicePreviewView, PlanInput, PlanView, SubscriptionView, UsageView};
use souk_edge::{principal, service, ApiError};
use souk_tenants::{AccessError, Role, TenantId};

fn billing<'a>(ctx: &'a Context<'_>) -> Result<&'a std::sync::Arc<Billing>, ApiError> {
    service::<Billing>(ctx)
}

impl From<BillingError> for ApiError {
    fn from(err: BillingError) -> Self {
        match err {
            BillingError::Invalid(invalid) => {
                ApiError::invalid_argument(invalid.field, invalid.message)
            }
            BillingError::UnknownPlan(code) => {
                ApiError::new("PLAN_NOT_FOUND", format!("there is no plan {code}"))
            }
            BillingError::PlanRetired(code) => ApiError::new(
                "PLAN_RETIRED",
                format!("plan {code} is retired and takes no new subscribers"),
            ),
            BillingError::PlanExists(code) => {
                ApiError::new("PLAN_EXISTS", format!("a plan with code {code} exists"))
            }
            BillingError::NoSubscription => {
                ApiError::new("NOT_FOUND", "this vendor has no subscription")
            }
            BillingError::Internal(err) => ApiError::failure(&err),
        }
    }
}

/// Whose billing a caller may see or change: their own vendor's (owners, or any
/// vendor role with `any_vendor_role`), or any vendor's named by `tenant`
/// (platform admins).
fn whose(
    ctx: &Context<'_>,
    tenant: Option<ID>,
    any_vendor_role: bool,
) -> Result<TenantId, ApiError> {
    let caller = principal(ctx).ok_or_else(|| ApiError::from(AccessError::Unauthenticated))?;
    match (caller.role, caller.tenant, tenant) {
        (Role::PlatformAdmin, _, Some(id)) => {
            TenantId::parse(&id).map_err(|_| ApiError::invalid_argument("tenant", "not an id"))
        }
        (Role::PlatformAdmin, _, None) => Err(ApiError::invalid_argument(
            "tenant",
            "platform admins name the vendor",
        )),
        (role, Some(own), None) if role == Role::Owner || (any_vendor_role && role.is_vendor()) => {
            Ok(own)
        }
        _ => Err(AccessError::Forbidden.into()),
    }
}

fn period(raw: Option<String>) -> Result<Period, ApiError> {
    match raw {
        None => Ok(Period::containing(Utc::now())),
        Some(raw) => {
            Period::parse(&raw).map_err(|e| ApiError::invalid_argument(e.field, e.message))
        }
    }
}

async fn usage_of(
    ctx: &Context<'_>,
    tenant: TenantId,
    period: Option<String>,
) -> Result<UsageView> {
    let usage = billing(ctx)?
        .usage(tenant, self::period(period)?)
        .await
        .map_err(ApiError::from)?;
    Ok(UsageView(usage))
}

#[derive(Debug, Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The plans on sale, cheapest first; platform admins may include retired ones.
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_retired: bool,
    ) -> Result<Vec<PlanView>> {
        if include_retired {
            souk_edge::platform_admin(ctx)?;
        }
        let plans = billing(ctx)?
            .plans(include_retired)
            .await
            .map_err(ApiError::from)?;
        Ok(plans.into_iter().map(PlanView).collect())
    }

    /// The caller's vendor's subscription (any vendor role), or, for platform
    /// admins, the named vendor's.
    async fn subscription(
        &self,
        ctx: &Context<'_>,
        tenant: Option<ID>,
    ) -> Result<SubscriptionView> {
        let tenant = whose(ctx, tenant, true)?;
        let (subscription, plan) = billing(ctx)?
            .subscription(tenant)
            .await
            .map_err(ApiError::from)?;
        Ok(SubscriptionView { subscription, plan })
    }

    /// Owners: their vendor's requests in a period (`YYYY-MM`, default this month),
    /// per day. Counts reach the database within about a second.
    async fn usage(&self, ctx: &Context<'_>, period: Option<String>) -> Result<UsageView> {
        usage_of(ctx, whose(ctx, None, false)?, period).await
    }

    /// Platform admins: a vendor's requests in a period, per day.
    async fn tenant_usage(
        &self,
        ctx: &Context<'_>,
        tenant: ID,
        period: Option<String>,
    ) -> Result<UsageView> {
        souk_edge::platform_admin(ctx)?;
        usage_of(ctx, whose(ctx, Some(tenant), false)?, period).await
    }

    /// What a period costs so far, line by line: each plan held, pro-rated, then
    /// overage. Owners see their vendor's; platform admins name the vendor.
    async fn invoice_preview(
        &self,
        ctx: &Context<'_>,
        period: Option<String>,
        tenant: Option<ID>,
    ) -> Result<InvoicePreviewView> {
        let tenant = whose(ctx, tenant, false)?;
        let preview = billing(ctx)?
            .invoice_preview(tenant, self::period(period)?)
            .await
            .map_err(ApiError::from)?;
        Ok(InvoicePreviewView(preview))
    }
}

#[derive(Debug, Default)]
pub struct BillingMutation;

fn draft(input: PlanInput) -> Result<PlanDraft, ApiError> {
    let invalid = |e: crate::domain::Invalid| ApiError::invalid_argument(e.field, e.message);
    let commission = match (input.commission_bps, input.commission_fixed) {
        (None, None) => None,
        (bps, fixed) => Some(
            crate::domain::Commission::parse(bps.unwrap_or(0), fixed.unwrap_or(0))
                .map_err(invalid)?,
        ),
    };
    let mut draft = PlanDraft::parse(
        &input.name,
        input.price,
        &input.currency,
        input.included_requests,
        input.overage_per_thousand,
        input.rate_per_second,
        input.burst,
        input.over_quota.into(),
        input.stripe_price_id.as_deref(),
    )
    .map_err(invalid)?;
    draft.commission = commission;
    Ok(draft)
}

#[Object]
impl BillingMutation {
    /// Platform admins: a new plan.
    async fn create_plan(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: PlanInput,
    ) -> Result<PlanView> {
        souk_edge::platform_admin(ctx)?;
        let plan = billing(ctx)?
            .create_plan(&code, draft(input)?)
            .await
            .map_err(ApiError::from)?;
        Ok(PlanView(plan))
    }

    /// Platform admins: changes a plan; subscribers get the new terms at once.
    async fn update_plan(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: PlanInput,
    ) -> Result<PlanView> {
        souk_edge::platform_admin(ctx)?;
        let plan = billing(ctx)?
            .update_plan(&code, draft(input)?)
            .await
            .map_err(ApiError::from)?;
        Ok(PlanView(plan))
    }

    /// Platform admins: takes a plan off sale; its subscribers keep it until they move.
    async fn retire_plan(&self, ctx: &Context<'_>, code: String) -> Result<PlanView> {
        souk_edge::platform_admin(ctx)?;
        let plan = billing(ctx)?
            .retire_plan(&code)
            .await
            .map_err(ApiError::from)?;
        Ok(PlanView(plan))
    }

    /// Owners (or platform admins, naming the vendor): moves to `plan` now; the
    /// period's invoice is pro-rated.
    async fn change_plan(
        &self,
        ctx: &Context<'_>,
        plan: String,
        tenant: Option<ID>,
    ) -> Result<SubscriptionView> {
        let tenant = whose(ctx, tenant, false)?;
        let (subscription, plan) = billing(ctx)?
            .change_plan(tenant, plan.trim())
            .await
            .map_err(ApiError::from)?;
        Ok(SubscriptionView { subscription, plan })
    }

    /// Owners (or platform admins, naming the vendor): ends the subscription at
    /// the end of the period.
    async fn cancel_plan(&self, ctx: &Context<'_>, tenant: Option<ID>) -> Result<SubscriptionView> {
        let tenant = whose(ctx, tenant, false)?;
        let (subscription, plan) = billing(ctx)?
            .cancel_plan(tenant)
            .await
            .map_err(ApiError::from)?;
        Ok(SubscriptionView { subscription, plan })
    }
}
