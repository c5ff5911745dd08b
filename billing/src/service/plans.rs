//! Plans, written by platform admins and read by everyone; every write is
//! audited.

use serde_json::json;

use super::{Billing, BillingError};
use crate::domain::{Plan, PlanDraft};
use crate::store;
use souk_tenants::audit::{self, Entry};
use souk_tenants::PlatformTx;

impl Billing {
    pub async fn plans(&self, include_retired: bool) -> Result<Vec<Plan>, BillingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(store::plans(&mut conn, include_retired).await?)
    }

    pub async fn plan(&self, code: &str) -> Result<Option<Plan>, BillingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(store::plan(&mut conn, code).await?)
    }

    pub async fn create_plan(&self, code: &str, draft: PlanDraft) -> Result<Plan, BillingError> {
        let code = crate::domain::parse_code(code)?;
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::insert_plan(&mut tx, &code, &draft)
            .await?
            .ok_or_else(|| BillingError::PlanExists(code.clone()))?;
        audit::record(&mut tx, None, plan_entry("plan.create", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    pub async fn update_plan(&self, code: &str, draft: PlanDraft) -> Result<Plan, BillingError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::update_plan(&mut tx, code, &draft)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(code.to_string()))?;
        audit::record(&mut tx, None, plan_entry("plan.update", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Takes a plan off sale; its subscribers keep it until they move.
    pub async fn retire_plan(&self, code: &str) -> Result<Plan, BillingError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let plan = store::retire_plan(&mut tx, code)
            .await?
            .ok_or_else(|| BillingError::UnknownPlan(code.to_string()))?;
        audit::record(&mut tx, None, plan_entry("plan.retire", &plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }
}

fn plan_entry(action: &'static str, plan: &Plan) -> Entry {
    Entry::new(action, "plan", plan.code.clone()).details(json!({
        "name": plan.name,
        "price": plan.price,
        "currency": plan.currency,
        "includedRequests": plan.included_requests,
        "ratePerSecond": plan.rate_per_second,
        "burst": plan.burst,
        "overQuota": plan.over_quota.as_str(),
    }))
}

impl Billing {
    /// Platform admins: what subscriptions earned in `[from, to)`, per currency.
    pub async fn subscription_revenue(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, i64)>, BillingError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let revenue = store::subscription_revenue(&mut tx, from, to).await?;
        tx.commit().await?;
        Ok(revenue)
    }
}
