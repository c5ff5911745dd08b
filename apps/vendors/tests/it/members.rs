use souk_tenants::Role;
use souk_vendors::service::Tenancy;
use souk_vendors::{Slug, TenancyError, VendorName};
use uuid::Uuid;

use crate::support::{actor, user_of, Fixture};

#[tokio::test]
async fn the_founder_owns_the_vendor_and_a_taken_slug_creates_nothing() {
    let fx = Fixture::new().await;
    let (vendor, owner) = fx.vendor("atlas-apparel").await;
    assert_eq!(
        fx.tenancy
            .member_role(vendor.id, user_of(&owner))
            .await
            .expect("role"),
        Some(Role::Owner)
    );

    let someone = Uuid::new_v4();
    let again = fx
        .tenancy
        .register_vendor(
            someone,
            VendorName::parse("Another Atlas").expect("name"),
            Slug::parse("atlas-apparel").expect("slug"),
        )
        .await;
    assert!(matches!(again, Err(TenancyError::SlugTaken)), "{again:?}");
    assert!(fx
        .tenancy
        .my_vendors(someone)
        .await
        .expect("mine")
        .is_empty());
    let found = fx
        .tenancy
        .vendor_by_slug("atlas-apparel")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(found.id, vendor.id);
}

#[tokio::test]
async fn an_owner_of_one_vendor_cannot_see_or_change_another_vendors_members() {
    let fx = Fixture::new().await;
    let (a, owner_a) = fx.vendor("vendor-a").await;
    let (b, owner_b) = fx.vendor("vendor-b").await;
    let staff_b = fx.member(&owner_b, Role::Staff).await;

    let seen = fx.tenancy.members(&owner_a).await.expect("members");
    assert_eq!(seen.len(), 1);
    assert!(seen.iter().all(|m| m.tenant == a.id));

    // Owner A acting on B's member, in A's scope, finds nobody.
    let removed = fx.tenancy.remove_member(&owner_a, user_of(&staff_b)).await;
    assert!(
        matches!(removed, Err(TenancyError::MemberNotFound)),
        "{removed:?}"
    );
    let changed = fx
        .tenancy
        .change_role(&owner_a, user_of(&staff_b), Role::Manager)
        .await;
    assert!(
        matches!(changed, Err(TenancyError::MemberNotFound)),
        "{changed:?}"
    );
    assert_eq!(
        fx.tenancy
            .member_role(b.id, user_of(&staff_b))
            .await
            .expect("role"),
        Some(Role::Staff)
    );
    assert_eq!(
        fx.tenancy
            .member_role(a.id, user_of(&owner_b))
            .await
            .expect("role"),
        None
    );
    let selected = fx.tenancy.select_vendor(user_of(&owner_b), a.id).await;
    assert!(
        matches!(selected, Err(TenancyError::NotMember)),
        "{selected:?}"
    );
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let fx = Fixture::new().await;
    let (vendor, owner) = fx.vendor("quick-removal").await;
    let manager = fx.member(&owner, Role::Manager).await;
    let user = user_of(&manager);
    // Warm the role cache: the removal must be seen despite it.
    assert_eq!(
        fx.tenancy.member_role(vendor.id, user).await.expect("role"),
        Some(Role::Manager)
    );
    let (_, token) = fx
        .tenancy
        .create_key(&manager, "ci", Role::Staff)
        .await
        .expect("key");
    assert!(fx
        .tenancy
        .authenticate_key(&token)
        .await
        .expect("auth")
        .is_some());

    fx.tenancy
        .remove_member(&owner, user)
        .await
        .expect("remove");

    assert_eq!(
        fx.tenancy.member_role(vendor.id, user).await.expect("role"),
        None
    );
    let selected = fx.tenancy.select_vendor(user, vendor.id).await;
    assert!(
        matches!(selected, Err(TenancyError::NotMember)),
        "{selected:?}"
    );
    assert!(fx.tenancy.my_vendors(user).await.expect("mine").is_empty());
    assert!(
        fx.tenancy
            .authenticate_key(&token)
            .await
            .expect("auth")
            .is_none(),
        "a key outlives its creator's membership"
    );
}

#[tokio::test]
async fn only_owners_manage_members_and_a_refusal_changes_nothing() {
    let fx = Fixture::new().await;
    let (_, owner) = fx.vendor("role-gates").await;
    let manager = fx.member(&owner, Role::Manager).await;
    let newcomer = Uuid::new_v4();

    let added = fx.tenancy.add_member(&manager, newcomer, Role::Staff).await;
    assert!(matches!(added, Err(TenancyError::Forbidden)), "{added:?}");
    let promoted = fx
        .tenancy
        .change_role(&manager, user_of(&manager), Role::Owner)
        .await;
    assert!(
        matches!(promoted, Err(TenancyError::Forbidden)),
        "{promoted:?}"
    );
    let members = fx.tenancy.members(&owner).await.expect("members");
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m.user != newcomer));
    assert!(members
        .iter()
        .any(|m| m.user == user_of(&manager) && m.role == Role::Manager));

    let twice = fx
        .tenancy
        .add_member(&owner, user_of(&manager), Role::Staff)
        .await;
    assert!(
        matches!(twice, Err(TenancyError::AlreadyMember)),
        "{twice:?}"
    );
}

#[tokio::test]
async fn the_last_owner_can_be_neither_removed_nor_demoted() {
    let fx = Fixture::new().await;
    let (vendor, owner) = fx.vendor("one-owner").await;
    let user = user_of(&owner);
    let removed = fx.tenancy.remove_member(&owner, user).await;
    assert!(
        matches!(removed, Err(TenancyError::LastOwner)),
        "{removed:?}"
    );
    let demoted = fx.tenancy.change_role(&owner, user, Role::Manager).await;
    assert!(
        matches!(demoted, Err(TenancyError::LastOwner)),
        "{demoted:?}"
    );
    assert_eq!(fx.tenancy.owners(vendor.id).await.expect("owners"), [user]);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let fx = Fixture::new().await;
    let (vendor, first) = fx.vendor("two-owners").await;
    let second = fx.member(&first, Role::Owner).await;
    for _ in 0..5 {
        let (x, y) = futures::join!(
            fx.tenancy
                .change_role(&first, user_of(&second), Role::Staff),
            fx.tenancy
                .change_role(&second, user_of(&first), Role::Staff),
        );
        let owners = fx.tenancy.owners(vendor.id).await.expect("owners");
        assert_eq!(
            owners.len(),
            1,
            "owners left: {owners:?} after {x:?} / {y:?}"
        );
        assert_eq!(
            [&x, &y].iter().filter(|r| r.is_ok()).count(),
            1,
            "{x:?} / {y:?}"
        );
        assert!(
            [&x, &y]
                .iter()
                .any(|r| matches!(r, Err(TenancyError::LastOwner))),
            "{x:?} / {y:?}"
        );
        // Put both back as owners for the next round.
        let survivor = actor(vendor.id, owners[0], Role::Owner);
        let demoted = if owners[0] == user_of(&first) {
            user_of(&second)
        } else {
            user_of(&first)
        };
        fx.tenancy
            .change_role(&survivor, demoted, Role::Owner)
            .await
            .expect("promote back");
    }
}
