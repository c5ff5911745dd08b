use souk_tenants::Role;
use souk_vendors::service::Tenancy;
use souk_vendors::TenancyError;

use crate::support::{user_of, Fixture};

#[tokio::test]
async fn a_key_acts_with_the_lower_of_its_role_and_its_creators_current_role() {
    let fx = Fixture::new().await;
    let (vendor, owner) = fx.vendor("key-roles").await;
    let manager = fx.member(&owner, Role::Manager).await;

    let too_high = fx.tenancy.create_key(&manager, "admin", Role::Owner).await;
    assert!(
        matches!(too_high, Err(TenancyError::RoleTooHigh)),
        "{too_high:?}"
    );
    let customer = fx
        .tenancy
        .create_key(&manager, "shop", Role::Customer)
        .await;
    assert!(
        matches!(customer, Err(TenancyError::RoleTooHigh)),
        "{customer:?}"
    );

    let (key, token) = fx
        .tenancy
        .create_key(&manager, "deploys", Role::Manager)
        .await
        .expect("key");
    assert!(
        !format!("{key:?}").contains(&token),
        "a listed key shows its secret"
    );
    let principal = fx
        .tenancy
        .authenticate_key(&token)
        .await
        .expect("auth")
        .expect("a live key");
    assert_eq!(principal.tenant, Some(vendor.id));
    assert_eq!(principal.role, Role::Manager);

    fx.tenancy
        .change_role(&owner, user_of(&manager), Role::Staff)
        .await
        .expect("demote");
    let principal = fx
        .tenancy
        .authenticate_key(&token)
        .await
        .expect("auth")
        .expect("still a member");
    assert_eq!(principal.role, Role::Staff);
}

#[tokio::test]
async fn staff_cannot_mint_keys_and_malformed_or_revoked_keys_authenticate_nobody() {
    let fx = Fixture::new().await;
    let (_, owner) = fx.vendor("key-gates").await;
    let staff = fx.member(&owner, Role::Staff).await;
    let refused = fx.tenancy.create_key(&staff, "mine", Role::Staff).await;
    assert!(
        matches!(refused, Err(TenancyError::Forbidden)),
        "{refused:?}"
    );
    assert!(fx.tenancy.keys(&owner).await.expect("keys").is_empty());

    for junk in ["", "souk_", "souk_not-a-key", "Bearer x", &"a".repeat(4096)] {
        assert!(
            fx.tenancy
                .authenticate_key(junk)
                .await
                .expect("auth")
                .is_none(),
            "{junk:?}"
        );
    }

    let (key, token) = fx
        .tenancy
        .create_key(&owner, "old", Role::Staff)
        .await
        .expect("key");
    // A wrong secret for a real key id.
    let mut forged = token.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert!(fx
        .tenancy
        .authenticate_key(&forged)
        .await
        .expect("auth")
        .is_none());

    fx.tenancy.revoke_key(&owner, key.id).await.expect("revoke");
    assert!(fx
        .tenancy
        .authenticate_key(&token)
        .await
        .expect("auth")
        .is_none());
}

#[tokio::test]
async fn a_vendor_cannot_list_or_revoke_another_vendors_keys() {
    let fx = Fixture::new().await;
    let (_, owner_a) = fx.vendor("keys-a").await;
    let (b, owner_b) = fx.vendor("keys-b").await;
    let (key_b, token_b) = fx
        .tenancy
        .create_key(&owner_b, "b's", Role::Staff)
        .await
        .expect("key");

    assert!(fx.tenancy.keys(&owner_a).await.expect("keys").is_empty());
    let revoked = fx.tenancy.revoke_key(&owner_a, key_b.id).await;
    assert!(
        matches!(revoked, Err(TenancyError::KeyNotFound)),
        "{revoked:?}"
    );
    let principal = fx
        .tenancy
        .authenticate_key(&token_b)
        .await
        .expect("auth")
        .expect("b's key still works");
    assert_eq!(principal.tenant, Some(b.id));
}
