//! Usage reported to Stripe as meter events, by a background task.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Billing, BillingError};
use crate::store;
use souk_tenants::PlatformTx;

impl Billing {
    /// Reports closed usage windows to Stripe as meter events; returns how many.
    pub async fn report_usage_once(&self) -> Result<usize, BillingError> {
        let Some(stripe) = &self.stripe else {
            return Ok(0);
        };
        let pending = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let pending = store::pending_reports(&mut tx, 100).await?;
            tx.commit().await?;
            pending
        };
        let mut sent = 0;
        for report in pending {
            match stripe
                .report_usage(
                    &report.stripe_customer_id,
                    report.requests,
                    &report.identifier,
                    report.window_start,
                )
                .await
            {
                Ok(()) => {
                    let mut tx = PlatformTx::begin(&self.platform).await?;
                    store::mark_reported(&mut tx, &report.identifier).await?;
                    tx.commit().await?;
                    sent += 1;
                }
                Err(err) => {
                    tracing::warn!(error = %err, identifier = %report.identifier, "usage not reported; retried later");
                    break;
                }
            }
        }
        Ok(sent)
    }

    /// Reports usage to Stripe every `interval` until `stop`.
    pub async fn run_reporter(self, interval: Duration, stop: CancellationToken) {
        if self.stripe.is_none() {
            return;
        }
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {
                    if let Err(err) = self.sync_unsynced().await {
                        tracing::warn!(error = %err, "Stripe subscriptions not brought in step");
                    }
                    if let Err(err) = self.report_usage_once().await {
                        tracing::warn!(error = %err, "usage reporting failed");
                    }
                }
            }
        }
    }
}
