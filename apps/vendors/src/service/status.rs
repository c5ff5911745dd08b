//! A vendor's status, moved by platform admins: approve, suspend, reactivate.

use serde_json::json;

use super::PgTenancy;
use crate::store;
use crate::{TenancyError, TenantStatus, Vendor};
use souk_tenants::audit::{self, Entry};
use souk_tenants::{PlatformTx, TenantId};

impl PgTenancy {
    /// Moves the vendor from one of `from` to `to`, audited.
    pub(super) async fn transition(
        &self,
        id: TenantId,
        from: &[TenantStatus],
        to: TenantStatus,
        action: &'static str,
    ) -> Result<Vendor, TenancyError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        if let Some(vendor) = store::set_status(&mut tx, id, from, to).await? {
            let entry = Entry::new(action, "vendor", id.to_string())
                .details(json!({ "status": to.as_str() }));
            audit::record(&mut tx, Some(id), entry).await?;
            tx.commit().await?;
            // After the commit: a read still under way cannot store the old status.
            self.statuses.invalidate(&id);
            tracing::info!(tenant_id = %id, status = %to, "vendor status changed");
            return Ok(vendor);
        }
        drop(tx);
        match store::status(&self.pool, id).await? {
            None => Err(TenancyError::VendorNotFound),
            Some(current) => Err(TenancyError::InvalidStatus(current)),
        }
    }
}
