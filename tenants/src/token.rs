//! Access tokens: Ed25519-signed JWTs (EdDSA, pinned). Services hold only the
//! public key, published by the gateway at `/.well-known/jwks.json`; the issuer
//! holds the private key.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::{Principal, Role, TenantId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The claims of a Souk access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The tenant the token acts in; absent for customers and platform-wide admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The session (refresh-token family) the token was issued in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// A key that is not what the configuration promised.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

/// Why a request's credentials were refused. The client sees only that they were.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the access token is invalid or expired")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error("the access token names an invalid tenant")]
    BadTenant,
}

/// The RFC 7638 thumbprint of an Ed25519 public key, used as its `kid`.
fn thumbprint(public: &VerifyingKey) -> String {
    let x = URL_SAFE_NO_PAD.encode(public.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// How far a token's `nbf` may lie ahead of this clock: the clocks of the
/// gateways that sign and check tokens may differ. `exp` is checked exactly.
const NOT_BEFORE_LEEWAY: i64 = 30;

/// Whether a token's time claims hold at `now`: not expired (exactly), and not
/// before its `nbf` (allowing [`NOT_BEFORE_LEEWAY`]).
fn in_time(exp: i64, nbf: Option<i64>, now: i64) -> bool {
    exp >= now && nbf.is_none_or(|nbf| nbf <= now.saturating_add(NOT_BEFORE_LEEWAY))
}

/// How many verified tokens a verifier remembers.
const VERIFIED_CACHED: usize = 8192;

/// A token whose signature and claims verified, kept so that the next request
/// with the same token skips the signature check (Ed25519 verification is the
/// costliest step of authenticating a request). Its time claims are checked
/// again on every use.
#[derive(Debug, Clone)]
struct Verified {
    principal: Principal,
    exp: i64,
    nbf: Option<i64>,
}

/// Verifies access tokens.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    public: VerifyingKey,
    verified: Mutex<HashMap<String, Verified>>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("kid", &thumbprint(&self.public))
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    pub fn from_public_pem(pem: &str, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let public = VerifyingKey::from_public_key_pem(pem.trim())
            .map_err(|_| KeyError("not an Ed25519 public key in PEM (SPKI) form".into()))?;
        Ok(Self::new(public, issuer, audience))
    }

    fn new(public: VerifyingKey, issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` exactly; `nbf` with [`NOT_BEFORE_LEEWAY`], in `in_time`.
        validation.validate_nbf = false;
        validation.leeway = 0;
        Self {
            key: DecodingKey::from_ed_der(public.as_bytes()),
            validation,
            public,
            verified: Mutex::new(HashMap::new()),
        }
    }

    fn verified(&self) -> MutexGuard<'_, HashMap<String, Verified>> {
        self.verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The principal behind a valid token. A token verified before is not
    /// verified again while its time claims hold: the same bytes under the same
    /// key always verify the same way, and anything altered is another token.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        if let Some(known) = self.verified().get(token) {
            if self.in_time(known, now) {
                return Ok(known.principal.clone());
            }
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(AuthError::Invalid)?;
        let claims = data.claims;
        if !in_time(claims.exp, claims.nbf, now) {
            return Err(AuthError::Invalid(
                jsonwebtoken::errors::ErrorKind::ImmatureSignature.into(),
            ));
        }
        let tenant = claims
            .tid
            .as_deref()
            .map(TenantId::parse)
            .transpose()
            .map_err(|_| AuthError::BadTenant)?;
        let principal = Principal {
            subject: claims.sub,
            tenant,
            role: claims.role,
            session: claims.sid,
        };
        let known = Verified {
            principal: principal.clone(),
            exp: claims.exp,
            nbf: claims.nbf,
        };
        let mut verified = self.verified();
        if verified.len() >= VERIFIED_CACHED {
            verified.retain(|_, known| self.in_time(known, now));
            if verified.len() >= VERIFIED_CACHED {
                verified.clear();
            }
        }
        verified.insert(token.to_string(), known);
        Ok(principal)
    }

    fn in_time(&self, known: &Verified, now: i64) -> bool {
        in_time(known.exp, known.nbf, now)
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(self.public.as_bytes()),
                "use": "sig",
                "alg": "EdDSA",
                "kid": thumbprint(&self.public),
            }]
        })
    }
}

/// Signs access tokens.
pub struct TokenIssuer {
    key: EncodingKey,
    kid: String,
    public: VerifyingKey,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    pub fn from_private_pem(
        pem: &SecretString,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, KeyError> {
        let signing = SigningKey::from_pkcs8_pem(pem.expose_secret().trim())
            .map_err(|_| KeyError("not an Ed25519 private key in PKCS#8 PEM form".into()))?;
        let der = signing
            .to_pkcs8_der()
            .map_err(|_| KeyError("cannot encode the private key".into()))?;
        let public = signing.verifying_key();
        Ok(Self {
            key: EncodingKey::from_ed_der(der.as_bytes()),
            kid: thumbprint(&public),
            public,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// A verifier for the tokens this issuer signs.
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier::new(self.public, &self.issuer, &self.audience)
    }

    /// Signs a token for `subject`, valid for `ttl` from now.
    pub fn issue(
        &self,
        subject: &str,
        tenant: Option<TenantId>,
        role: Role,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_in_session(subject, tenant, role, None, ttl)
    }

    /// Signs a token for `subject` within a session (refresh-token family).
    pub fn issue_in_session(
        &self,
        subject: &str,
        tenant: Option<TenantId>,
        role: Role,
        session: Option<&str>,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_string(),
            tid: tenant.map(|t| t.to_string()),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: Some(now),
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            sid: session.map(str::to_string),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
    }

    /// Signs arbitrary claims (tests use it to build expired or foreign tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
    }
}

/// A new Ed25519 key pair: (private PKCS#8 PEM, public SPKI PEM).
pub fn generate_keypair() -> Result<(SecretString, String), KeyError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let private = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError("cannot encode the private key".into()))?;
    let public = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyError("cannot encode the public key".into()))?;
    Ok((SecretString::from(private.to_string()), public))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        let (private, _) = generate_keypair().expect("keys");
        TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer")
    }

    #[test]
    fn a_signed_token_verifies_to_its_principal() {
        let issuer = issuer();
        let tenant = TenantId::generate();
        let token = issuer
            .issue("u1", Some(tenant), Role::Staff, Duration::from_secs(60))
            .expect("token");
        let principal = issuer.verifier().verify(&token).expect("valid");
        assert_eq!(principal.tenant, Some(tenant));
        assert_eq!(principal.role, Role::Staff);
        assert_eq!(principal.subject, "u1");
    }

    #[test]
    fn a_remembered_token_still_expires_and_an_altered_one_is_refused() {
        let issuer = issuer();
        let verifier = issuer.verifier();
        let now = chrono::Utc::now().timestamp();
        let claims = |exp: i64| Claims {
            sub: "u1".into(),
            tid: None,
            role: Role::Customer,
            iss: "souk".into(),
            aud: "souk".into(),
            iat: now - 100,
            exp,
            nbf: None,
            sid: None,
        };
        let token = issuer.sign(&claims(now + 60)).expect("token");
        assert!(verifier.verify(&token).is_ok());
        assert!(verifier.verify(&token).is_ok(), "remembered");
        let mut altered = token.clone();
        altered.pop();
        altered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(verifier.verify(&altered).is_err(), "another signature");
        let known = verifier
            .verified()
            .get(&token)
            .cloned()
            .expect("remembered");
        assert!(verifier.in_time(&known, now));
        assert!(verifier.in_time(&known, now + 60), "until exp");
        assert!(!verifier.in_time(&known, now + 61), "expired, exactly");
        let expired = issuer.sign(&claims(now - 1)).expect("token");
        assert!(verifier.verify(&expired).is_err(), "no leeway on exp");
        assert!(verifier.verified().get(&expired).is_none());
        let early = |nbf: i64| Claims {
            nbf: Some(nbf),
            ..claims(now + 600)
        };
        let skewed = issuer.sign(&early(now + 20)).expect("token");
        assert!(
            verifier.verify(&skewed).is_ok(),
            "a signer's clock a little ahead"
        );
        let future = issuer.sign(&early(now + 120)).expect("token");
        assert!(verifier.verify(&future).is_err(), "not valid yet");
        assert!(verifier.verified().get(&future).is_none());
    }

    #[test]
    fn a_token_from_another_key_is_refused() {
        let token = issuer()
            .issue("u1", None, Role::Customer, Duration::from_secs(60))
            .expect("token");
        assert!(issuer().verifier().verify(&token).is_err());
    }

    #[test]
    fn public_pem_round_trips() {
        let (private, public) = generate_keypair().expect("keys");
        let issuer = TokenIssuer::from_private_pem(&private, "souk", "souk").expect("issuer");
        let verifier = TokenVerifier::from_public_pem(&public, "souk", "souk").expect("verifier");
        let token = issuer
            .issue("u1", None, Role::PlatformAdmin, Duration::from_secs(60))
            .expect("token");
        assert!(verifier.verify(&token).is_ok());
        assert!(TokenVerifier::from_public_pem("garbage", "souk", "souk").is_err());
    }
}
