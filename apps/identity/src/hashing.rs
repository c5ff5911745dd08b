//! Password hashing: argon2id (19 MiB, t=2, p=1) on the blocking pool.
//!
//! Hashing is deliberately slow, so a semaphore bounds how many hashes run at once
//! (by default half the cores): a burst of sign-ins queues here instead of taking
//! every core from the requests that do not hash. Unknown accounts are checked
//! against a dummy hash, so an answer takes as long whether the account exists.

use souk_tenants::IntErr;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::{InternalError, Password};

fn argon2() -> Result<Argon2<'static>, InternalError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| InternalError::msg(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies passwords with bounded concurrency.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new((cores / 2).max(1))
    }
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// A PHC-format argon2id hash of `password`.
    pub async fn hash(&self, password: &Password) -> Result<String, InternalError> {
        let password = password.clone();
        self.blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()?
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| InternalError::msg(e.to_string()))
        })
        .await
    }

    /// Whether `password` matches `stored`; with no stored hash (an unknown
    /// account) it checks a dummy hash and answers `false`, in about the same time.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<String>,
    ) -> Result<bool, InternalError> {
        let password = password.clone();
        let known = stored.is_some();
        let stored = match stored {
            Some(stored) => stored,
            None => dummy_hash()?.to_string(),
        };
        self.blocking(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| InternalError::msg(e.to_string()))?;
            let matches = argon2()?
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok();
            Ok(matches && known)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, InternalError> + Send + 'static,
    ) -> Result<T, InternalError> {
        // The permit moves into the blocking work, so it is held until the hash is
        // done even if the request that asked is dropped (its client hung up):
        // hang-ups cannot run more hashes at once than the bound.
        let permit = self.permits.clone().acquire_owned().await.int_err()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .int_err()?
    }
}

fn dummy_hash() -> Result<&'static str, InternalError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2()?
        .hash_password(b"souk dummy password for unknown accounts", &salt)
        .map_err(|e| InternalError::msg(e.to_string()))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = PasswordHasher::new(1);
        let email = Email::parse("a@example.com").expect("email");
        let password = Password::parse("a long passphrase", &email).expect("password");
        let hash = hasher.hash(&password).await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify(&password, Some(hash.clone()))
            .await
            .expect("verify"));
        let wrong = Password::candidate("another passphrase").expect("candidate");
        assert!(!hasher.verify(&wrong, Some(hash)).await.expect("verify"));
        assert!(!hasher.verify(&password, None).await.expect("dummy"));
    }

    #[tokio::test]
    async fn a_dropped_caller_keeps_the_permit_until_its_hash_is_done() {
        let hasher = PasswordHasher::new(1);
        let password = Password::candidate("a long passphrase").expect("candidate");
        let dropped =
            tokio::time::timeout(std::time::Duration::from_millis(1), hasher.hash(&password)).await;
        assert!(dropped.is_err(), "a hash takes longer than a millisecond");
        assert_eq!(
            hasher.permits.available_permits(),
            0,
            "the abandoned hash still runs, so it still counts against the bound"
        );
        let freed =
            tokio::time::timeout(std::time::Duration::from_secs(30), hasher.permits.acquire())
                .await;
        assert!(freed.is_ok(), "the permit comes back when the hash is done");
    }
}
