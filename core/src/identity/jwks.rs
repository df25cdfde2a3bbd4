//! Where the verifier gets its public keys: a JWKS document, over HTTP (Supabase:
//! `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`) or in process (the embedded provider's own
//! key set). Both go through the same verification code (decision 14).

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};

/// Why keys could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
#[error("JWKS unavailable: {0}")]
pub struct JwksError(pub String);

/// A source of the issuer's current public keys.
#[async_trait]
pub trait JwksSource: Send + Sync {
    async fn fetch(&self) -> Result<JwkSet, JwksError>;
}

/// A JWKS document fetched over HTTP.
pub struct HttpJwks {
    http: reqwest::Client,
    url: String,
}

impl HttpJwks {
    pub fn new(http: reqwest::Client, url: String) -> Self {
        HttpJwks { http, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let resp = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| JwksError(format!("GET {}: {e}", self.url)))?;
        if !resp.status().is_success() {
            return Err(JwksError(format!(
                "GET {}: HTTP {}",
                self.url,
                resp.status()
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| JwksError(format!("GET {}: {e}", self.url)))?;
        parse_jwks(&bytes)
    }
}

/// A fixed key set (the embedded provider's).
pub struct StaticJwks(JwkSet);

impl StaticJwks {
    pub fn new(set: JwkSet) -> Self {
        StaticJwks(set)
    }
}

#[async_trait]
impl JwksSource for StaticJwks {
    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        Ok(self.0.clone())
    }
}

/// Parses a JWKS document leniently: keys this crate cannot represent (other key types,
/// unknown parameters) are skipped rather than failing the whole set.
pub fn parse_jwks(bytes: &[u8]) -> Result<JwkSet, JwksError> {
    #[derive(serde::Deserialize)]
    struct Raw {
        keys: Vec<serde_json::Value>,
    }
    let raw: Raw = serde_json::from_slice(bytes)
        .map_err(|e| JwksError(format!("not a JWKS document: {e}")))?;
    let keys = raw
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .collect();
    Ok(JwkSet { keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_skipped_not_fatal() {
        let doc = br#"{"keys":[
            {"kty":"RSA","kid":"r1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"},
            {"kty":"weird","kid":"w1"},
            {"kty":"EC","kid":"e1","crv":"P-256","x":"AQ","y":"AQ","alg":"ES256"}
        ]}"#;
        let set = parse_jwks(doc).unwrap();
        let kids: Vec<_> = set
            .keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect();
        assert!(
            kids.contains(&"r1".to_string()) && kids.contains(&"e1".to_string()),
            "{kids:?}"
        );
        assert!(parse_jwks(b"<html>").is_err());
    }
}
