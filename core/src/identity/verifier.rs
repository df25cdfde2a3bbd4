//! Bearer-token verification (decisions 11, 12, 14).
//!
//! * Algorithms: **ES256 and RS256 only**. `none`, HS256 (e.g. signed with the public key as
//!   the HMAC secret) and everything else are refused before any key is looked at.
//! * Keys: from a [`JwksSource`], cached in memory by `kid`. The header's `alg` only selects
//!   from the allow-list; the key must be of the matching type (an RSA key verifies RS256
//!   only, a P-256 key ES256 only) and, when the JWK names an `alg`, that one.
//! * Refresh: an unknown `kid` refetches the key set, **at most once every
//!   [`REFETCH_INTERVAL`] (10 s)** (once a second until a first fetch succeeded), so a flood of
//!   tokens with random `kid`s cannot turn into a flood of JWKS requests. Keys older than
//!   [`MAX_KEY_AGE`] (10 min) are refetched on the next request (kept if the fetch fails).
//! * Signature: checked with aws-lc-rs against public keys parsed **once**, when the key set is
//!   cached (`ParsedPublicKey`), so a request pays for the signature check only.
//! * Claims (after the signature): `aud` must be or contain `authenticated`, `iss` must equal
//!   the configured issuer, `exp` is required and `nbf` honoured, both with [`LEEWAY_SECS`]
//!   (30 s) of clock skew; `sub` and `email` are required.
//! * Header: a `crit` member is refused (we implement no JWS extension), before any key is
//!   looked up.
//! * Text claims: `sub`, `email`, `app_metadata.role` and the `user_metadata` name claims must
//!   not contain NUL (PostgreSQL TEXT refuses it).
//! * Role: `app_metadata.role` only (`teacher`/`parent`/`admin` exactly, else student);
//!   `user_metadata` is never used for authorization (it only supplies a display name).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use serde::Deserialize;

use super::jwks::JwksSource;
use super::{AUDIENCE, Role};

/// Minimum time between two JWKS fetches triggered by unknown `kid`s.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Until a first fetch succeeds, retries are allowed this often.
pub const INITIAL_RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// Keys older than this are refetched (the old ones stay if that fails).
pub const MAX_KEY_AGE: Duration = Duration::from_secs(600);
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;
/// Verified tokens kept (by SHA-256 of the whole token) so that a client's next requests skip
/// the signature check; emptied when full.
pub const MAX_VERIFIED: usize = 10_000;

/// Why a token was refused. Every variant is a 401 for the client; the variant is for logs
/// and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    /// The header has a `crit` member (RFC 7515 §4.1.11): it names extensions that must be
    /// understood, and we understand none.
    #[error("unsupported critical header parameter")]
    CriticalHeader,
    #[error("token has no kid")]
    MissingKid,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("the signing key does not match the algorithm")]
    KeyMismatch,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("missing or invalid claim: {0}")]
    InvalidClaims(String),
    #[error("signing keys unavailable")]
    KeysUnavailable,
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The provider's user id (`users.supabase_uid`).
    pub sub: String,
    /// As in the token (not normalised).
    pub email: String,
    /// From `app_metadata.role` only.
    pub role: Role,
    /// Display name: `user_metadata.full_name`, `name` or `display_name` (first non-blank,
    /// trimmed), else the part of the email before `@`.
    pub name: String,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
}

/// The JOSE header members the verifier reads, decoded once from the header segment. (Not with
/// `jsonwebtoken::decode_header`: it accepts any `crit`.) A duplicated member is malformed.
#[derive(Deserialize)]
struct JoseHeader {
    /// Only names jsonwebtoken knows deserialize (`none` does not: malformed).
    alg: Algorithm,
    #[serde(default)]
    kid: Option<String>,
    /// Whether the header has a `crit` member, whatever its value (RFC 7515 §4.1.11: it lists
    /// extensions the recipient must understand, and we understand none; an empty or non-array
    /// `crit` is invalid anyway).
    #[serde(default, deserialize_with = "member_present")]
    crit: bool,
}

impl JoseHeader {
    fn decode(segment: &str) -> Result<Self, VerifyError> {
        let json = URL_SAFE_NO_PAD
            .decode(segment)
            .map_err(|_| VerifyError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed)
    }
}

/// `true` for a member that is present, with any value (even `null`).
fn member_present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
    /// A string or an array of strings.
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    app_metadata: Option<serde_json::Value>,
    #[serde(default)]
    user_metadata: Option<serde_json::Value>,
}

struct VerifyKey {
    alg: Algorithm,
    key: ParsedPublicKey,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<VerifyKey>>,
    fetched_at: Option<Instant>,
}

#[derive(Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
}

/// Verifies tokens of one issuer against its JWKS.
pub struct Verifier {
    source: Arc<dyn JwksSource>,
    issuer: String,
    cache: RwLock<Arc<KeyCache>>,
    /// Tokens already verified, by the SHA-256 of the token: the same bytes verify the same way
    /// until they expire (checked again on every hit), so only their first request pays for
    /// the signature check. A key rotated out of the set keeps its tokens valid until they
    /// expire, as it would for a client holding them.
    verified: RwLock<HashMap<[u8; 32], VerifiedToken>>,
    refresh: tokio::sync::Mutex<RefreshState>,
    refetch_interval: Duration,
}

impl Verifier {
    pub fn new(source: Arc<dyn JwksSource>, issuer: String) -> Self {
        Verifier {
            source,
            issuer,
            cache: RwLock::new(Arc::new(KeyCache::default())),
            verified: RwLock::default(),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            refetch_interval: REFETCH_INTERVAL,
        }
    }

    /// Overrides the minimum interval between refetches (tests).
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies a bearer token (without the `Bearer ` prefix).
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        let digest: [u8; 32] =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
                .as_ref()
                .try_into()
                .expect("SHA-256 is 32 bytes");
        let known = self
            .verified
            .read()
            .ok()
            .and_then(|v| v.get(&digest).cloned());
        if let Some(known) = known {
            if known.expires_at + LEEWAY_SECS >= jsonwebtoken::get_current_timestamp() {
                return Ok(known);
            }
            if let Ok(mut v) = self.verified.write() {
                v.remove(&digest);
            }
            return Err(VerifyError::Expired);
        }
        let verified = self.verify_signature(token).await?;
        if let Ok(mut v) = self.verified.write() {
            if v.len() >= MAX_VERIFIED {
                v.clear();
            }
            v.insert(digest, verified.clone());
        }
        Ok(verified)
    }

    /// [`Self::verify`] without the cache: the signature and the claims.
    async fn verify_signature(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        // header.payload.signature, nothing more.
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        let header = JoseHeader::decode(header)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(VerifyError::AlgorithmNotAllowed);
        }
        if header.crit {
            return Err(VerifyError::CriticalHeader);
        }
        let kid = header.kid.as_deref().ok_or(VerifyError::MissingKid)?;

        let cache = self.cached();
        let stale = cache.fetched_at.is_none_or(|t| t.elapsed() > MAX_KEY_AGE);
        let key = match cache.keys.get(kid) {
            Some(key) if !stale => key.clone(),
            found => {
                // Unknown kid, or keys due for a refresh: refetch (rate-limited), then look again.
                let refreshed = self.refresh().await;
                match self
                    .cached()
                    .keys
                    .get(kid)
                    .cloned()
                    .or_else(|| found.cloned())
                {
                    Some(key) => key,
                    None if refreshed.is_err() && self.cached().fetched_at.is_none() => {
                        return Err(VerifyError::KeysUnavailable);
                    }
                    None => return Err(VerifyError::UnknownKey),
                }
            }
        };
        if key.alg != header.alg {
            return Err(VerifyError::KeyMismatch);
        }

        let signed = &token[..token.len() - signature.len() - 1];
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| VerifyError::Malformed)?;
        key.key
            .verify_sig(signed.as_bytes(), &signature)
            .map_err(|_| VerifyError::BadSignature)?;

        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| VerifyError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload)
            .map_err(|e| VerifyError::InvalidClaims(e.to_string()))?;
        self.check_registered_claims(&claims, jsonwebtoken::get_current_timestamp())?;
        claims_to_token(claims)
    }

    /// `exp` (required) and `nbf` with leeway, `aud` and `iss` (both required).
    fn check_registered_claims(&self, claims: &Claims, now: u64) -> Result<(), VerifyError> {
        let now = now as f64;
        let leeway = LEEWAY_SECS as f64;
        let exp = claims
            .exp
            .ok_or_else(|| VerifyError::InvalidClaims("exp".into()))?;
        if exp + leeway < now {
            return Err(VerifyError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway) {
            return Err(VerifyError::NotYetValid);
        }
        let audience_ok = match &claims.aud {
            None => return Err(VerifyError::InvalidClaims("aud".into())),
            Some(serde_json::Value::String(a)) => a == AUDIENCE,
            Some(serde_json::Value::Array(list)) => {
                list.iter().any(|a| a.as_str() == Some(AUDIENCE))
            }
            Some(_) => false,
        };
        if !audience_ok {
            return Err(VerifyError::WrongAudience);
        }
        match &claims.iss {
            None => Err(VerifyError::InvalidClaims("iss".into())),
            Some(iss) if *iss == self.issuer => Ok(()),
            Some(_) => Err(VerifyError::WrongIssuer),
        }
    }

    fn cached(&self) -> Arc<KeyCache> {
        self.cache
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Refetches the key set unless another refetch happened too recently. Concurrent callers
    /// wait for the one fetch in flight instead of starting their own.
    async fn refresh(&self) -> Result<(), VerifyError> {
        let mut state = self.refresh.lock().await;
        let interval = if self.cached().fetched_at.is_none() {
            INITIAL_RETRY_INTERVAL.min(self.refetch_interval)
        } else {
            self.refetch_interval
        };
        if state.last_attempt.is_some_and(|t| t.elapsed() < interval) {
            return Ok(());
        }
        state.last_attempt = Some(Instant::now());
        match self.source.fetch().await {
            Ok(set) => {
                let keys = usable_keys(&set);
                if keys.is_empty() {
                    tracing::warn!(issuer = %self.issuer, "the JWKS has no usable ES256/RS256 key");
                }
                let fresh = Arc::new(KeyCache {
                    keys,
                    fetched_at: Some(Instant::now()),
                });
                match self.cache.write() {
                    Ok(mut c) => *c = fresh,
                    Err(p) => *p.into_inner() = fresh,
                }
                Ok(())
            }
            Err(e) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "cannot fetch the signing keys");
                Err(VerifyError::KeysUnavailable)
            }
        }
    }
}

/// The keys of a set that can verify ES256 or RS256 tokens, by `kid`.
fn usable_keys(set: &JwkSet) -> HashMap<String, Arc<VerifyKey>> {
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            continue;
        }
        let Some(alg) = key_algorithm(jwk) else {
            continue;
        };
        let Some(key) = parse_key(jwk) else {
            continue;
        };
        keys.insert(kid, Arc::new(VerifyKey { alg, key }));
    }
    keys
}

/// The JWK's public key, parsed once for aws-lc-rs: RSA from `n`/`e`, P-256 from `x`/`y`.
fn parse_key(jwk: &Jwk) -> Option<ParsedPublicKey> {
    let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let (n, e) = (b64(&p.n)?, b64(&p.e)?);
            PublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .ok()
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let (x, y) = (b64(&p.x)?, b64(&p.y)?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).ok()
        }
        _ => None,
    }
}

/// The one algorithm a JWK may verify: RS256 for RSA keys, ES256 for P-256 keys; `None` for
/// anything else, or when the JWK's own `alg` says otherwise.
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let (alg, named) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (Algorithm::RS256, KeyAlgorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            (Algorithm::ES256, KeyAlgorithm::ES256)
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(alg),
        Some(a) if a == named => Some(alg),
        Some(_) => None,
    }
}

/// The identity claims. Besides being present, `sub`, `email`, `app_metadata.role` and the name
/// claims of `user_metadata` must not contain NUL: they are stored in TEXT columns, which refuse
/// it (a token carrying one would otherwise fail as a database error, not as a bad token).
fn claims_to_token(claims: Claims) -> Result<VerifiedToken, VerifyError> {
    let invalid = |claim: &str| VerifyError::InvalidClaims(claim.into());
    let sub = claims
        .sub
        .filter(|s| !s.trim().is_empty() && !s.contains('\0'))
        .ok_or_else(|| invalid("sub"))?;
    let email = claims
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty() && !e.contains('\0'))
        .ok_or_else(|| invalid("email"))?;
    let role_claim = claims
        .app_metadata
        .as_ref()
        .and_then(|m| m.get("role"))
        .and_then(|r| r.as_str());
    if role_claim.is_some_and(|r| r.contains('\0')) {
        return Err(invalid("app_metadata.role"));
    }
    let role = Role::from_claim(role_claim);
    if let Some(metadata) = &claims.user_metadata {
        for key in NAME_CLAIMS {
            if metadata
                .get(key)
                .and_then(|v| v.as_str())
                .is_some_and(|v| v.contains('\0'))
            {
                return Err(invalid(&format!("user_metadata.{key}")));
            }
        }
    }
    let name = display_name(claims.user_metadata.as_ref(), &email);
    Ok(VerifiedToken {
        sub,
        email,
        role,
        name,
        expires_at: claims.exp.unwrap_or_default() as u64,
    })
}

/// The `user_metadata` members a display name is taken from, in order of preference.
const NAME_CLAIMS: [&str; 3] = ["full_name", "name", "display_name"];

/// First non-blank of `full_name`, `name`, `display_name` (trimmed), else the email's local part.
pub fn display_name(user_metadata: Option<&serde_json::Value>, email: &str) -> String {
    NAME_CLAIMS
        .iter()
        .filter_map(|k| user_metadata?.get(*k)?.as_str())
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::super::jwks::{JwksError, StaticJwks};
    use super::super::keys::{SigningKey, generate_ec_p256_pkcs8, generate_rsa_pem};
    use super::*;

    const ISS: &str = "http://issuer.test/auth/v1";

    fn rsa_pem() -> &'static str {
        static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        PEM.get_or_init(|| generate_rsa_pem().unwrap())
    }

    fn rsa_key() -> SigningKey {
        SigningKey::from_pem(rsa_pem().as_bytes()).unwrap()
    }

    /// A token with exactly this JOSE header (raw JSON), correctly RS256-signed by [`rsa_key`].
    fn sign_with_raw_header(header: &str, claims: &serde_json::Value) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let message = format!("{}.{}", b64.encode(header), b64.encode(claims.to_string()));
        let key = EncodingKey::from_rsa_pem(rsa_pem().as_bytes()).unwrap();
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).unwrap();
        format!("{message}.{signature}")
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims() -> serde_json::Value {
        json!({
            "sub": "u-1", "email": "a@b.co", "aud": "authenticated", "iss": ISS,
            "iat": now(), "exp": now() + 600, "role": "authenticated",
            "app_metadata": {"role": "teacher"}, "user_metadata": {"full_name": "  Ana  "}
        })
    }

    fn verifier_for(key: &SigningKey) -> Verifier {
        Verifier::new(Arc::new(StaticJwks::new(key.jwks())), ISS.into())
    }

    #[tokio::test]
    async fn a_good_token_verifies_and_the_role_comes_from_app_metadata() {
        let key = rsa_key();
        let v = verifier_for(&key);
        let t = v.verify(&key.sign(&claims()).unwrap()).await.unwrap();
        assert_eq!(
            (t.sub.as_str(), t.email.as_str(), t.role, t.name.as_str()),
            ("u-1", "a@b.co", Role::Teacher, "Ana")
        );

        let mut c = claims();
        c["app_metadata"] = json!({});
        c["user_metadata"] = json!({"role": "admin"});
        let t = v.verify(&key.sign(&c).unwrap()).await.unwrap();
        assert_eq!(t.role, Role::Student, "user_metadata never grants a role");
        assert_eq!(t.name, "a", "email local part when no name");
    }

    #[tokio::test]
    async fn time_and_audience_claims_are_enforced_with_30s_leeway() {
        let key = rsa_key();
        let v = verifier_for(&key);
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims();
            f(&mut c);
            key.sign(&c).unwrap()
        };
        let cases: Vec<(String, Result<(), VerifyError>)> = vec![
            (
                with(&|c| c["exp"] = json!(now() - 31 - 5)),
                Err(VerifyError::Expired),
            ),
            (with(&|c| c["exp"] = json!(now() - 10)), Ok(())),
            (
                with(&|c| c["nbf"] = json!(now() + 300)),
                Err(VerifyError::NotYetValid),
            ),
            (with(&|c| c["nbf"] = json!(now() + 10)), Ok(())),
            (
                with(&|c| c["aud"] = json!("anon")),
                Err(VerifyError::WrongAudience),
            ),
            (
                with(&|c| c["iss"] = json!("http://evil/auth/v1")),
                Err(VerifyError::WrongIssuer),
            ),
            (
                with(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
                Err(VerifyError::InvalidClaims("exp".into())),
            ),
            (
                with(&|c| {
                    c.as_object_mut().unwrap().remove("email");
                }),
                Err(VerifyError::InvalidClaims("email".into())),
            ),
        ];
        for (i, (token, want)) in cases.into_iter().enumerate() {
            assert_eq!(v.verify(&token).await.map(|_| ()), want, "case {i}");
        }
    }

    #[tokio::test]
    async fn algorithm_confusion_is_refused() {
        let key = rsa_key();
        let v = verifier_for(&key);
        // HS256 with the public key's modulus as the secret.
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(key.kid().into());
        let secret = serde_json::to_vec(&key.jwks()).unwrap();
        let hs = jsonwebtoken::encode(&h, &claims(), &EncodingKey::from_secret(&secret).unwrap())
            .unwrap();
        assert_eq!(v.verify(&hs).await, Err(VerifyError::AlgorithmNotAllowed));
        // alg none: header {"alg":"none"}, no signature.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!(
            "{}.{}.",
            b64.encode(format!(
                r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
                key.kid()
            )),
            b64.encode(claims().to_string())
        );
        assert_eq!(v.verify(&none).await, Err(VerifyError::Malformed));
        // An ES256 token whose kid names the RSA key.
        let ec = EncodingKey::from_ec_der(&generate_ec_p256_pkcs8().unwrap());
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(key.kid().into());
        let es = jsonwebtoken::encode(&h, &claims(), &ec).unwrap();
        assert_eq!(v.verify(&es).await, Err(VerifyError::KeyMismatch));
        // A token signed by another RSA key under our kid.
        let other_pem = generate_rsa_pem().unwrap();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(key.kid().into());
        let other = EncodingKey::from_rsa_pem(other_pem.as_bytes()).unwrap();
        let forged = jsonwebtoken::encode(&h, &claims(), &other).unwrap();
        assert_eq!(v.verify(&forged).await, Err(VerifyError::BadSignature));
        // A valid token whose signature was tampered with.
        let good = key.sign(&claims()).unwrap();
        let tampered = format!("{}AAAA", &good[..good.len() - 4]);
        assert_eq!(v.verify(&tampered).await, Err(VerifyError::BadSignature));
        assert_eq!(v.verify("garbage").await, Err(VerifyError::Malformed));
    }

    #[tokio::test]
    async fn a_crit_header_is_refused_even_when_correctly_signed() {
        let key = rsa_key();
        let v = verifier_for(&key);
        let encoding = EncodingKey::from_rsa_pem(rsa_pem().as_bytes()).unwrap();
        let header = |crit: Option<&[&str]>| {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some(key.kid().into());
            h.extras.insert("x-custom", "anything");
            h.crit = crit.map(|c| c.iter().map(|s| s.to_string()).collect());
            h
        };
        let sign = |h: &Header| jsonwebtoken::encode(h, &claims(), &encoding).unwrap();

        // The same token without `crit` (but with the custom member) is fine.
        assert!(v.verify(&sign(&header(None))).await.is_ok());
        for crit in [&["exp"][..], &["x-custom"], &["b64"], &["x-custom", "exp"]] {
            assert_eq!(
                v.verify(&sign(&header(Some(crit)))).await,
                Err(VerifyError::CriticalHeader),
                "crit {crit:?}"
            );
        }
        // Whatever its value: we understand no extension, and an empty or non-array `crit` is
        // invalid anyway (RFC 7515 §4.1.11).
        let kid = key.kid();
        for crit in ["[]", "null", r#""x-custom""#, "{}"] {
            let h = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}","crit":{crit}}}"#);
            assert_eq!(
                v.verify(&sign_with_raw_header(&h, &claims())).await,
                Err(VerifyError::CriticalHeader),
                "crit {crit}"
            );
        }
        let plain = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#);
        assert!(
            v.verify(&sign_with_raw_header(&plain, &claims()))
                .await
                .is_ok()
        );
        // A duplicated member is not a header we can trust either.
        let dup = format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"{kid}"}}"#);
        assert_eq!(
            v.verify(&sign_with_raw_header(&dup, &claims())).await,
            Err(VerifyError::Malformed)
        );
    }

    #[tokio::test]
    async fn a_crit_header_is_refused_before_any_key_is_looked_up() {
        let source = Arc::new(Counting {
            sets: std::sync::Mutex::new(vec![]),
            calls: AtomicUsize::new(0),
        });
        let v = Verifier::new(source.clone(), ISS.into()).with_refetch_interval(Duration::ZERO);
        let h = r#"{"alg":"RS256","kid":"unknown","crit":["x-custom"],"x-custom":1}"#;
        assert_eq!(
            v.verify(&sign_with_raw_header(h, &claims())).await,
            Err(VerifyError::CriticalHeader)
        );
        assert_eq!(source.calls.load(Ordering::SeqCst), 0, "no JWKS fetch");
    }

    #[tokio::test]
    async fn nul_bytes_in_identity_claims_are_refused() {
        let key = rsa_key();
        let v = verifier_for(&key);
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims();
            f(&mut c);
            key.sign(&c).unwrap()
        };
        let cases: Vec<(String, &str)> = vec![
            (with(&|c| c["sub"] = json!("u-1\u{0}")), "sub"),
            (with(&|c| c["sub"] = json!("\u{0}")), "sub"),
            (with(&|c| c["email"] = json!("a\u{0}@b.co")), "email"),
            (
                with(&|c| c["app_metadata"]["role"] = json!("teacher\u{0}")),
                "app_metadata.role",
            ),
            (
                with(&|c| c["user_metadata"]["full_name"] = json!("An\u{0}a")),
                "user_metadata.full_name",
            ),
            (
                with(&|c| c["user_metadata"] = json!({"name": "\u{0}"})),
                "user_metadata.name",
            ),
            (
                with(&|c| c["user_metadata"] = json!({"display_name": "x\u{0}y"})),
                "user_metadata.display_name",
            ),
        ];
        for (token, claim) in cases {
            assert_eq!(
                v.verify(&token).await,
                Err(VerifyError::InvalidClaims(claim.into())),
                "{claim}"
            );
        }
        // Other control characters are not a storage problem: they pass as before.
        let tab = with(&|c| c["user_metadata"]["full_name"] = json!("An\ta"));
        assert_eq!(v.verify(&tab).await.unwrap().name, "An\ta");
    }

    struct Counting {
        sets: std::sync::Mutex<Vec<JwkSet>>,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl JwksSource for Counting {
        async fn fetch(&self) -> Result<JwkSet, JwksError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let sets = self.sets.lock().unwrap();
            Ok(sets.last().cloned().unwrap_or_default())
        }
    }

    #[tokio::test]
    async fn unknown_kids_refetch_at_most_once_per_interval() {
        let old = rsa_key();
        let new = SigningKey::from_pem(generate_rsa_pem().unwrap().as_bytes()).unwrap();
        let source = Arc::new(Counting {
            sets: std::sync::Mutex::new(vec![old.jwks()]),
            calls: AtomicUsize::new(0),
        });
        let v = Verifier::new(source.clone(), ISS.into());
        assert!(v.verify(&old.sign(&claims()).unwrap()).await.is_ok());
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // Cached: no fetch.
        assert!(v.verify(&old.sign(&claims()).unwrap()).await.is_ok());
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // A rotated key appears; within the interval, unknown kids do not refetch.
        source.sets.lock().unwrap().push(new.jwks());
        for _ in 0..20 {
            assert_eq!(
                v.verify(&new.sign(&claims()).unwrap()).await,
                Err(VerifyError::UnknownKey)
            );
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);

        // With no interval, the unknown kid triggers one refetch and then verifies.
        let v = Verifier::new(source.clone(), ISS.into()).with_refetch_interval(Duration::ZERO);
        assert!(v.verify(&new.sign(&claims()).unwrap()).await.is_ok());
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_until_it_expires() {
        let key = rsa_key();
        let v = verifier_for(&key);
        let token = key.sign(&claims()).unwrap();
        let first = v.verify(&token).await.unwrap();
        assert_eq!(v.verified.read().unwrap().len(), 1);
        assert_eq!(v.verify(&token).await.unwrap(), first, "served from memory");
        assert_eq!(v.verified.read().unwrap().len(), 1);
        // Another token is another entry; a bad one is never remembered.
        let mut c = claims();
        c["sub"] = json!("u-2");
        v.verify(&key.sign(&c).unwrap()).await.unwrap();
        let mid = token.len() - 10;
        let swap = if &token[mid..=mid] == "A" { "B" } else { "A" };
        let tampered = format!("{}{swap}{}", &token[..mid], &token[mid + 1..]);
        assert!(v.verify(&tampered).await.is_err());
        assert_eq!(v.verified.read().unwrap().len(), 2);
        // A remembered token past its expiry (and leeway) is refused and forgotten.
        let digest: [u8; 32] =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
                .as_ref()
                .try_into()
                .unwrap();
        v.verified
            .write()
            .unwrap()
            .get_mut(&digest)
            .unwrap()
            .expires_at = now() - LEEWAY_SECS - 5;
        assert_eq!(v.verify(&token).await, Err(VerifyError::Expired));
        assert_eq!(v.verified.read().unwrap().len(), 1);
    }
}
