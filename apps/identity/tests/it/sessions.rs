use souk_identity::domain::IdentityError;
use souk_identity::Identity;

use crate::support::{Fixture, PASSWORD};

#[tokio::test]
async fn a_replayed_refresh_token_ends_the_session_and_its_newest_token() {
    let fx = Fixture::new().await;
    fx.user("replay@example.com").await;
    let first = fx
        .identity
        .login("replay@example.com", PASSWORD)
        .await
        .expect("sign in");
    let session = fx.session_of(&first.access_token);
    assert!(fx.identity.session_live(session).await.expect("live"));

    let second = fx
        .identity
        .refresh(&first.refresh_token)
        .await
        .expect("rotate");
    assert_eq!(fx.session_of(&second.access_token), session);
    let replay = fx.identity.refresh(&first.refresh_token).await;
    assert!(
        matches!(replay, Err(IdentityError::InvalidRefreshToken)),
        "{replay:?}"
    );
    let newest = fx.identity.refresh(&second.refresh_token).await;
    assert!(
        matches!(newest, Err(IdentityError::InvalidRefreshToken)),
        "{newest:?}"
    );
    assert!(!fx.identity.session_live(session).await.expect("live"));

    for junk in ["", "not-a-token", &"x".repeat(10_000)] {
        let result = fx.identity.refresh(junk).await;
        assert!(
            matches!(result, Err(IdentityError::InvalidRefreshToken)),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn of_concurrent_refreshes_of_one_token_at_most_one_session_survives() {
    let fx = Fixture::new().await;
    fx.user("twice@example.com").await;
    let session = fx
        .identity
        .login("twice@example.com", PASSWORD)
        .await
        .expect("sign in");
    let id = fx.session_of(&session.access_token);
    let results =
        futures::future::join_all((0..4).map(|_| fx.identity.refresh(&session.refresh_token)))
            .await;
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert!(won.len() <= 1, "{} rotations of one token", won.len());
    // A reuse was seen, so the session is over for everyone, the winner included.
    assert!(!fx.identity.session_live(id).await.expect("live"));
    for winner in won {
        let next = fx.identity.refresh(&winner.refresh_token).await;
        assert!(next.is_err(), "{next:?}");
    }
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_logout_ends_its_own() {
    let fx = Fixture::new().await;
    let user = fx.user("many@example.com").await;
    let phone = fx
        .identity
        .login("many@example.com", PASSWORD)
        .await
        .expect("a");
    let laptop = fx
        .identity
        .login("many@example.com", PASSWORD)
        .await
        .expect("b");
    let (phone_id, laptop_id) = (
        fx.session_of(&phone.access_token),
        fx.session_of(&laptop.access_token),
    );
    fx.identity
        .change_password(
            user.id,
            Some(laptop_id),
            PASSWORD,
            "an entirely new passphrase",
        )
        .await
        .expect("change");
    assert!(!fx.identity.session_live(phone_id).await.expect("live"));
    assert!(fx.identity.session_live(laptop_id).await.expect("live"));
    assert!(fx.identity.refresh(&phone.refresh_token).await.is_err());
    assert!(fx
        .identity
        .login("many@example.com", PASSWORD)
        .await
        .is_err());

    fx.identity
        .logout(&laptop.refresh_token)
        .await
        .expect("logout");
    assert!(!fx.identity.session_live(laptop_id).await.expect("live"));
    assert!(fx.identity.refresh(&laptop.refresh_token).await.is_err());
}
