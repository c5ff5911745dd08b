//! A tenant's usage in a period and what the period costs so far.

use chrono::NaiveDate;

use super::{Billing, BillingError, Usage};
use crate::domain::{invoice_preview, InvoicePreview, Period};
use crate::store;
use souk_tenants::{TenantId, TenantTx};

impl Billing {
    /// The tenant's requests in `period`, per day.
    pub async fn usage(&self, tenant: TenantId, period: Period) -> Result<Usage, BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let (_, plan) = self.current(&mut tx).await?;
        let days = daily(&mut tx, period).await?;
        tx.commit().await?;
        Ok(Usage {
            period,
            requests: days.iter().map(|(_, n)| n).sum(),
            included: plan.included_requests,
            days,
        })
    }

    /// What `period` costs so far.
    pub async fn invoice_preview(
        &self,
        tenant: TenantId,
        period: Period,
    ) -> Result<InvoicePreview, BillingError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let requests = daily(&mut tx, period).await?.iter().map(|(_, n)| n).sum();
        let held = store::plans_held(&mut tx, tenant, period.start(), period.end()).await?;
        tx.commit().await?;
        Ok(invoice_preview(period, &held, requests))
    }
}

/// The transaction's tenant's requests per day of `period`.
async fn daily(tx: &mut TenantTx, period: Period) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    let tenant = tx.tenant();
    store::daily_usage(tx, tenant, period.first_day(), period.next().first_day()).await
}
