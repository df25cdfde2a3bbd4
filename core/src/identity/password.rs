//! Secrets: Argon2id password hashes (PHC strings in `users.password_hash`), random tokens and
//! their SHA-256 digests (what is stored for refresh tokens and reset codes).
//!
//! Hashing is CPU-heavy by design; async callers run it with `spawn_blocking`
//! ([`hash_password_async`], [`verify_password_async`]).

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::IdentityError;

/// Hashes a password with Argon2id (the crate's defaults: m = 19 MiB, t = 2, p = 1, as OWASP
/// recommends) and a random salt.
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| IdentityError::Internal(format!("cannot hash a password: {e}")))
}

/// True when `password` matches `stored`. A missing or non-Argon2 value (the seed's
/// placeholder, the reference's scrypt strings) never matches, but costs the same time as a
/// real check, so response times do not tell whether an account exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    match stored.filter(|s| s.starts_with("$argon2")) {
        Some(hash) => Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok(),
        None => {
            let _ = Argon2::default().verify_password(password.as_bytes(), dummy_hash());
            false
        }
    }
}

pub async fn hash_password_async(password: String) -> Result<String, IdentityError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))?
}

pub async fn verify_password_async(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
}

/// A hash of a random password, to spend the time of a real verification.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// 32 random bytes, base64url without padding (43 characters): refresh tokens, reset codes.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, lowercase hex: how refresh tokens and reset codes are stored (they are
/// high-entropy, so a fast hash is enough and lookups can be by equality).
pub fn sha256_hex(secret: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_placeholders_never_match() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse", Some(&hash)));
        assert!(!verify_password(
            "demo_hash_not_for_prod",
            Some("demo_hash_not_for_prod")
        ));
        assert!(!verify_password("x", None));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
