//! API key secrets: `souk_<key id>_<secret>`, stored only as the secret's SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const PREFIX: &str = "souk_";

/// A freshly made key: its id, the full secret (shown once) and the hash to store.
#[derive(Debug)]
pub struct NewKey {
    pub id: Uuid,
    pub token: String,
    pub hash: Vec<u8>,
    /// What lists show: `souk_` and the first 8 characters of the id.
    pub display_prefix: String,
}

pub fn generate() -> NewKey {
    let id = Uuid::now_v7();
    let mut secret = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let simple = id.simple().to_string();
    NewKey {
        id,
        token: format!("{PREFIX}{simple}_{secret}"),
        hash: Sha256::digest(secret.as_bytes()).to_vec(),
        display_prefix: format!("{PREFIX}{}", &simple[..8]),
    }
}

/// Splits a presented key into its id and the hash of its secret.
pub fn parse(token: &str) -> Option<(Uuid, Vec<u8>)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.is_empty() || secret.len() > 128 {
        return None;
    }
    let id = Uuid::parse_str(id).ok()?;
    Some((id, Sha256::digest(secret.as_bytes()).to_vec()))
}

/// Compares two hashes in time that does not depend on where they differ.
pub fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_reject_garbage() {
        let key = generate();
        let (id, hash) = parse(&key.token).expect("parses");
        assert_eq!(id, key.id);
        assert!(same_hash(&hash, &key.hash));
        assert!(key.token.starts_with(&key.display_prefix));
        for bad in [
            "",
            "souk_",
            "souk_abc_def",
            "other_key",
            &format!("souk_{}_", key.id.simple()),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let (_, wrong) = parse(&format!("souk_{}_wrong", key.id.simple())).expect("shape");
        assert!(!same_hash(&wrong, &key.hash));
    }
}
