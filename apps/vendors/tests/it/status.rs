use souk_tenants::{Role, TenantId};
use souk_vendors::service::Tenancy;
use souk_vendors::{TenancyError, TenantStatus};

use crate::support::{user_of, Fixture};

#[tokio::test]
async fn a_vendor_waits_for_approval_and_a_suspension_shuts_its_members_out() {
    let fx = Fixture::with_approval(true).await;
    let (vendor, owner) = fx.vendor("needs-approval").await;
    assert_eq!(vendor.status, TenantStatus::Pending);
    assert_eq!(
        fx.tenancy.inactive_vendors().await.expect("inactive"),
        [vendor.id]
    );

    let approved = fx.tenancy.approve(vendor.id).await.expect("approve");
    assert_eq!(approved.status, TenantStatus::Active);
    let twice = fx.tenancy.approve(vendor.id).await;
    assert!(
        matches!(
            twice,
            Err(TenancyError::InvalidStatus(TenantStatus::Active))
        ),
        "{twice:?}"
    );
    let (_, role) = fx
        .tenancy
        .select_vendor(user_of(&owner), vendor.id)
        .await
        .expect("select");
    assert_eq!(role, Role::Owner);

    fx.tenancy.suspend(vendor.id).await.expect("suspend");
    let selected = fx.tenancy.select_vendor(user_of(&owner), vendor.id).await;
    assert!(
        matches!(selected, Err(TenancyError::Suspended)),
        "{selected:?}"
    );
    assert_eq!(
        fx.tenancy.status(vendor.id).await.expect("status"),
        Some(TenantStatus::Suspended)
    );

    fx.tenancy.reactivate(vendor.id).await.expect("reactivate");
    assert!(fx
        .tenancy
        .inactive_vendors()
        .await
        .expect("inactive")
        .is_empty());
}

#[tokio::test]
async fn status_changes_to_an_unknown_vendor_are_refused() {
    let fx = Fixture::new().await;
    let nobody = TenantId::generate();
    for result in [
        fx.tenancy.approve(nobody).await,
        fx.tenancy.suspend(nobody).await,
        fx.tenancy.reactivate(nobody).await,
    ] {
        assert!(
            matches!(result, Err(TenancyError::VendorNotFound)),
            "{result:?}"
        );
    }
    let (vendor, _) = fx.vendor("active-one").await;
    let reactivated = fx.tenancy.reactivate(vendor.id).await;
    assert!(
        matches!(
            reactivated,
            Err(TenancyError::InvalidStatus(TenantStatus::Active))
        ),
        "{reactivated:?}"
    );
}
