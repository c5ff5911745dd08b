//! A vendor registered: the tenant, then its founder as its owner.

use uuid::Uuid;

use super::PgTenancy;
use crate::store;
use crate::{Slug, TenancyError, TenantStatus, Vendor, VendorName};
use souk_tenants::{Role, TenantId};

pub(super) async fn register_vendor(
    tenancy: &PgTenancy,
    founder: Uuid,
    name: VendorName,
    slug: Slug,
) -> Result<Vendor, TenancyError> {
    let status = if tenancy.approval_required {
        TenantStatus::Pending
    } else {
        TenantStatus::Active
    };
    let mut tx = tenancy.scoped(TenantId::generate()).await?;
    let vendor =
        match store::insert_vendor(&mut tx, name.as_str(), slug.as_str(), status, founder).await {
            Ok(vendor) => vendor,
            Err(err) if is_unique_violation(&err, "tenants_slug_key") => {
                return Err(TenancyError::SlugTaken)
            }
            Err(err) => return Err(err.into()),
        };
    store::insert_membership(&mut tx, founder, Role::Owner).await?;
    tx.commit().await?;
    Ok(vendor)
}

fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.code().as_deref() == Some("23505") && e.constraint() == Some(constraint))
}
