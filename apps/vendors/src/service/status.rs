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
        let _forget = Forget(self, id);
        let mut tx = PlatformTx::begin(&self.platform).await?;
        if let Some(vendor) = store::set_status(&mut tx, id, from, to).await? {
            let entry = Entry::new(action, "vendor", id.to_string())
                .details(json!({ "status": to.as_str() }));
            audit::record(&mut tx, Some(id), entry).await?;
            tx.commit().await?;
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

/// Forgets the vendor's cached status when dropped: after the commit (a read
/// still under way cannot store the old status then), after a commit that
/// failed (it may have been applied), and when the caller stops waiting.
struct Forget<'a>(&'a PgTenancy, TenantId);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.statuses.invalidate(&self.1);
    }
}
