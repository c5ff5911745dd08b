use souk_identity::domain::AddressError;
use souk_identity::Identity;

use crate::support::{address, Fixture};

#[tokio::test]
async fn one_persons_address_is_invisible_and_unchangeable_to_another() {
    let fx = Fixture::new().await;
    let alice = fx.user("alice@example.com").await;
    let mallory = fx.user("mallory@example.com").await;
    let home = fx
        .identity
        .add_address(alice.id, address("1 Home Street"))
        .await
        .expect("add");

    let read = fx.identity.address(mallory.id, home.id).await;
    assert!(matches!(read, Err(AddressError::NotFound)), "{read:?}");
    let updated = fx
        .identity
        .update_address(mallory.id, home.id, address("9 Stolen Road"))
        .await;
    assert!(
        matches!(updated, Err(AddressError::NotFound)),
        "{updated:?}"
    );
    let defaulted = fx.identity.set_default_address(mallory.id, home.id).await;
    assert!(
        matches!(defaulted, Err(AddressError::NotFound)),
        "{defaulted:?}"
    );
    let deleted = fx.identity.delete_address(mallory.id, home.id).await;
    assert!(
        matches!(deleted, Err(AddressError::NotFound)),
        "{deleted:?}"
    );
    assert!(fx
        .identity
        .addresses(mallory.id)
        .await
        .expect("list")
        .is_empty());

    let still = fx.identity.address(alice.id, home.id).await.expect("read");
    assert_eq!(still.fields.line1, "1 Home Street");
    assert!(still.is_default);
}

#[tokio::test]
async fn addresses_added_at_once_still_have_exactly_one_default() {
    let fx = Fixture::new().await;
    let user = fx.user("busy@example.com").await;
    let added = futures::future::join_all((0..8).map(|i| {
        fx.identity
            .add_address(user.id, address(&format!("{i} Parallel Lane")))
    }))
    .await;
    assert!(added.iter().all(Result::is_ok), "{added:?}");
    let list = fx.identity.addresses(user.id).await.expect("list");
    assert_eq!(list.len(), 8);
    assert_eq!(list.iter().filter(|a| a.is_default).count(), 1);

    let default = list.iter().find(|a| a.is_default).expect("a default");
    fx.identity
        .delete_address(user.id, default.id)
        .await
        .expect("delete");
    let list = fx.identity.addresses(user.id).await.expect("list");
    assert_eq!(list.len(), 7);
    assert_eq!(list.iter().filter(|a| a.is_default).count(), 1);
}

#[tokio::test]
async fn an_account_keeps_at_most_fifty_addresses_even_under_a_burst() {
    let fx = Fixture::new().await;
    let user = fx.user("hoarder@example.com").await;
    let max = souk_identity::service::MAX_ADDRESSES;
    let added = futures::future::join_all((0..max + 5).map(|i| {
        fx.identity
            .add_address(user.id, address(&format!("{i} Burst Road")))
    }))
    .await;
    let refused = added
        .iter()
        .filter(|r| matches!(r, Err(AddressError::TooMany(n)) if *n == max))
        .count();
    assert_eq!(refused, 5, "{added:?}");
    assert_eq!(
        fx.identity.addresses(user.id).await.expect("list").len(),
        max
    );
}
