//! The embedded provider's signing key: RSA-2048, generated once and kept as a PKCS#8 PEM file
//! at `<data dir>/identity/jwt-key.pem` (mode 0600), reused on every start. Its public half is
//! published as a JWKS whose `kid` is the key's RFC 7638 thumbprint.

use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::IdentityError;

/// Where the key lives, relative to the data directory.
pub const KEY_FILE: &str = "identity/jwt-key.pem";

/// A private key that signs RS256 tokens, with its public JWK.
#[derive(Clone)]
pub struct SigningKey {
    encoding: EncodingKey,
    kid: String,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key under `data_dir`, created (once) when missing. Creation is atomic: a key file
    /// that exists is complete, and two processes starting at once end up with the same key.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, IdentityError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(pem) => Self::from_pem(&pem)
                .map_err(|e| IdentityError::Internal(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pem = generate_rsa_pem()?;
                write_new(&path, pem.as_bytes())?;
                // Another process may have won the race: use whatever is on disk.
                let pem = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
                Self::from_pem(&pem)
            }
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// An RSA private key in PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<Self, IdentityError> {
        let encoding = EncodingKey::from_rsa_pem(pem)
            .map_err(|e| IdentityError::Internal(format!("not an RSA private key: {e}")))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| IdentityError::Internal(format!("cannot derive the public key: {e}")))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| IdentityError::Internal(format!("cannot compute the key id: {e}")))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(SigningKey { encoding, kid, jwk })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key set (one key).
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, IdentityError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| IdentityError::Internal(format!("cannot sign a token: {e}")))
    }
}

/// A new RSA-2048 private key as a PKCS#8 PEM document.
pub fn generate_rsa_pem() -> Result<String, IdentityError> {
    let failed = |what: &str| IdentityError::Internal(format!("cannot {what} an RSA key"));
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| failed("generate"))?;
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(&pair)
        .map_err(|_| failed("encode"))?;
    Ok(pem_encode("PRIVATE KEY", der.as_ref()))
}

/// A new P-256 private key as PKCS#8 DER (tests sign ES256 tokens with such keys).
pub fn generate_ec_p256_pkcs8() -> Result<Vec<u8>, IdentityError> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| IdentityError::Internal("cannot generate an EC key".into()))?;
    let doc = pair
        .to_pkcs8v1()
        .map_err(|_| IdentityError::Internal("cannot encode an EC key".into()))?;
    Ok(doc.as_ref().to_vec())
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Writes `bytes` to `path` unless it exists: written to a private temporary file first, then
/// hard-linked into place (which fails, harmlessly, if another process got there first).
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let tmp: PathBuf = dir.join(format!(".jwt-key-{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    result.map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> IdentityError {
    IdentityError::Internal(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("innova-keys-{}", uuid::Uuid::new_v4()));
        let first = SigningKey::load_or_create(&dir).unwrap();
        let second = SigningKey::load_or_create(&dir).unwrap();
        assert_eq!(first.kid(), second.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let jwks = first.jwks();
        assert_eq!(jwks.keys.len(), 1);
        let json = serde_json::to_value(&jwks).unwrap();
        assert_eq!(json["keys"][0]["kty"], "RSA");
        assert_eq!(json["keys"][0]["alg"], "RS256");
        assert_eq!(json["keys"][0]["use"], "sig");
        assert_eq!(json["keys"][0]["kid"], first.kid());
        assert!(json["keys"][0].get("d").is_none(), "no private part");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_key_file_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("innova-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("identity")).unwrap();
        std::fs::write(dir.join(KEY_FILE), "not a key").unwrap();
        let err = SigningKey::load_or_create(&dir).unwrap_err().to_string();
        assert!(err.contains("jwt-key.pem"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
