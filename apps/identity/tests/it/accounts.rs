use souk_identity::domain::{IdentityError, LoginError, ProfileChange, RegisterError, UserId};
use souk_identity::Identity;

use crate::support::{email, registration, Fixture, PASSWORD};

#[tokio::test]
async fn an_email_registers_once_whatever_its_case_even_when_two_race() {
    let fx = Fixture::new().await;
    let (a, b) = futures::join!(
        fx.identity
            .register(registration("Race@Example.com", PASSWORD)),
        fx.identity
            .register(registration("race@example.com", PASSWORD)),
    );
    assert_eq!(
        [&a, &b].iter().filter(|r| r.is_ok()).count(),
        1,
        "{a:?} / {b:?}"
    );
    assert!(
        [&a, &b]
            .iter()
            .any(|r| matches!(r, Err(RegisterError::EmailTaken))),
        "{a:?} / {b:?}"
    );
    let again = fx
        .identity
        .register(registration("RACE@example.COM", PASSWORD))
        .await;
    assert!(matches!(again, Err(RegisterError::EmailTaken)), "{again:?}");
    let users = fx
        .identity
        .users(Some("race"), None, 10)
        .await
        .expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email.as_str(), "race@example.com");
}

#[tokio::test]
async fn a_wrong_email_and_a_wrong_password_fail_alike() {
    let fx = Fixture::new().await;
    fx.user("known@example.com").await;
    for (who, password) in [
        ("known@example.com", "not the password at all"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
        ("known@example.com", ""),
    ] {
        let result = fx.identity.login(who, password).await;
        assert!(
            matches!(result, Err(LoginError::InvalidCredentials)),
            "{who}: {result:?}"
        );
    }
    let session = fx
        .identity
        .login("KNOWN@example.com", PASSWORD)
        .await
        .expect("sign in");
    assert_eq!(session.user.email.as_str(), "known@example.com");
}

#[tokio::test]
async fn a_refused_password_change_keeps_the_old_password() {
    let fx = Fixture::new().await;
    let user = fx.user("careful@example.com").await;
    let wrong = fx
        .identity
        .change_password(
            user.id,
            None,
            "a guess that is wrong",
            "a new long passphrase",
        )
        .await;
    assert!(
        matches!(wrong, Err(IdentityError::WrongPassword)),
        "{wrong:?}"
    );
    let weak = fx
        .identity
        .change_password(user.id, None, PASSWORD, "short")
        .await;
    assert!(
        matches!(weak, Err(IdentityError::WeakPassword(_))),
        "{weak:?}"
    );
    fx.identity
        .login("careful@example.com", PASSWORD)
        .await
        .expect("the old password still works");
    let nobody = fx
        .identity
        .update_profile(UserId::generate(), ProfileChange::default())
        .await;
    assert!(matches!(nobody, Err(IdentityError::NotFound)), "{nobody:?}");
}

#[tokio::test]
async fn a_platform_admin_is_made_only_through_the_platform_role() {
    let fx = Fixture::new().await;
    let user = fx.user("root@example.com").await;
    assert!(!user.platform_admin);
    let without = souk_identity::PgIdentity::new(
        fx.db.app.clone(),
        souk_identity::hashing::PasswordHasher::new(1),
        None,
        Default::default(),
    );
    assert!(without.promote_to_admin(&user.email).await.is_err());
    assert!(
        !fx.identity
            .user(user.id)
            .await
            .expect("read")
            .expect("exists")
            .platform_admin
    );
    let promoted = fx
        .identity
        .promote_to_admin(&email("root@example.com"))
        .await
        .expect("promote")
        .expect("exists");
    assert!(promoted.platform_admin);
    assert!(fx
        .identity
        .promote_to_admin(&email("ghost@example.com"))
        .await
        .expect("promote")
        .is_none());
}
