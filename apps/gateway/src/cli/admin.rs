//! `souk admin create-user`: the first platform admin.

use souk_identity::domain::{Email, Password, PersonName, Registration};
use souk_identity::Identity;

use super::{connect, identity};
use crate::config::Settings;

/// Creates (or promotes) a platform admin. The password comes from
/// `SOUK_ADMIN_PASSWORD`; without it, a random one is generated and printed once.
pub(super) async fn create_admin(
    settings: &Settings,
    email: &str,
    first: &str,
    last: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let pool = connect(settings).await?;
    let identity = identity(settings, &pool)?;
    if let Some(user) = identity.promote_to_admin(&email).await? {
        println!("{} is now a platform admin", user.email);
        return Ok(());
    }
    let (password, generated) = match std::env::var("SOUK_ADMIN_PASSWORD") {
        Ok(password) => (password, false),
        Err(_) => {
            let mut bytes = [0_u8; 18];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            (
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes),
                true,
            )
        }
    };
    let registration = Registration {
        password: Password::parse(&password, &email)
            .map_err(|e| anyhow::anyhow!("SOUK_ADMIN_PASSWORD: {e}"))?,
        email,
        first_name: PersonName::parse(first).map_err(|e| anyhow::anyhow!("--first-name: {e}"))?,
        last_name: PersonName::parse(last).map_err(|e| anyhow::anyhow!("--last-name: {e}"))?,
        phone: None,
    };
    let user = identity
        .create_account(registration, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    pool.close().await;
    println!("created platform admin {}", user.email);
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}
