//! Identity: verifying bearer tokens, and the identity-provider port behind `/auth/*`.
//!
//! * [`verifier`]: every bearer token is verified the same way, through a JWKS
//!   ([`jwks::JwksSource`]): the Supabase project's (fetched over HTTP) or the embedded
//!   provider's (in process). ES256 and RS256 only, `aud = authenticated`, the configured
//!   issuer, `exp`/`nbf` with 30 s of leeway; the role comes from `app_metadata.role` only
//!   (decisions 11–12, 14).
//! * [`IdentityProvider`]: accounts, password and refresh grants, logout, password changes.
//!   Two adapters, chosen by configuration: [`supabase::SupabaseProvider`] (GoTrue REST with
//!   the service-role key) when `SUPABASE_URL` is set, else [`embedded::EmbeddedProvider`] (its
//!   own RS256 issuer, decision 14).
//! * [`password`]: Argon2id hashes, random secrets and their SHA-256 digests.
//!
//! The tokens of both providers have Supabase's claim shape: `sub`, `email`,
//! `aud: "authenticated"`, `iss`, `iat`, `exp`, `role: "authenticated"`, `app_metadata.role`,
//! `user_metadata`.

pub mod embedded;
pub mod jwks;
pub mod keys;
pub mod password;
pub mod supabase;
pub mod verifier;

use std::sync::Arc;

use async_trait::async_trait;
pub use innova_domain::access::{Profile, Role};
use sqlx::PgPool;

use crate::config::Config;
pub use verifier::{VerifiedToken, Verifier, VerifyError};

/// The `aud` of every accepted token (Supabase's value for signed-in users).
pub const AUDIENCE: &str = "authenticated";

/// Lifetime of the access tokens the embedded provider issues (Supabase's default too).
pub const ACCESS_TOKEN_TTL_SECS: u64 = 3600;

/// The issuer of tokens for this configuration: `<SUPABASE_URL>/auth/v1` with Supabase;
/// otherwise the embedded provider's `<PUBLIC_API_URL>/auth/v1`, or `http://localhost:<PORT>/auth/v1`
/// when `PUBLIC_API_URL` is unset (the API itself serves the JWKS under that path).
pub fn issuer(config: &Config) -> String {
    match &config.supabase {
        Some(s) => format!("{}/auth/v1", s.url.as_str().trim_end_matches('/')),
        None => embedded_issuer(config),
    }
}

/// The embedded provider's issuer (also when Supabase is configured, for `innova token`'s
/// refusal message).
pub fn embedded_issuer(config: &Config) -> String {
    match &config.public_api_url {
        Some(url) => format!("{}/auth/v1", url.as_str().trim_end_matches('/')),
        None => format!("http://localhost:{}/auth/v1", config.port),
    }
}

/// Which adapter serves identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Supabase,
    Embedded,
}

/// Tokens returned by a grant.
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token, in seconds.
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An account at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUser {
    /// The provider's id: the tokens' `sub`, `users.supabase_uid`.
    pub uid: String,
    pub email: String,
}

/// Errors of the identity port. The API maps them once (`impl From<IdentityError> for ApiError`).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong email or password, or no such account (never told apart).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Unknown, expired, revoked or malformed refresh token.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// `register` with an email that already has an account.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// The provider refused the request's content (e.g. a password it considers too weak).
    #[error("{0}")]
    Rejected(String),
    /// The provider does not answer, or answers something unexpected.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// Local failure (key file, hashing…).
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Db(e.into())
    }
}

/// The account an operation is about, as our database knows it.
#[derive(Debug, Clone)]
pub struct Account {
    /// `users.id`.
    pub user_id: innova_domain::ids::UserId,
    /// `users.supabase_uid`: the provider's id.
    pub uid: String,
    pub email: String,
}

/// The identity provider behind `/auth/*`.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// Creates an account with this role in `app_metadata` (never overwrites: an existing email
    /// is [`IdentityError::EmailTaken`]). The email is already normalised.
    async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<ProviderUser, IdentityError>;

    /// Exchanges email and password for tokens.
    async fn password_grant(&self, email: &str, password: &str)
    -> Result<TokenPair, IdentityError>;

    /// Exchanges a refresh token for new tokens (the old refresh token is used up).
    async fn refresh_grant(&self, refresh_token: &str) -> Result<TokenPair, IdentityError>;

    /// Revokes every refresh token of the account. `access_token` is the caller's own token
    /// (GoTrue's logout needs it).
    async fn logout(&self, account: &Account, access_token: &str) -> Result<(), IdentityError>;

    /// Sets a new password and revokes the account's sessions.
    async fn set_password(
        &self,
        account: &Account,
        new_password: &str,
    ) -> Result<(), IdentityError>;
}

/// The identity services of a process, built from configuration.
#[derive(Clone)]
pub struct Identity {
    pub verifier: Arc<Verifier>,
    pub provider: Arc<dyn IdentityProvider>,
    /// The embedded provider, when it is the one in use (it also serves the JWKS).
    pub embedded: Option<Arc<embedded::EmbeddedProvider>>,
}

impl Identity {
    /// Supabase when configured, else the embedded provider (its key is created under the data
    /// directory on first use). No network or database access happens here.
    pub fn from_config(config: &Config, pool: PgPool) -> Result<Self, IdentityError> {
        let issuer = issuer(config);
        match &config.supabase {
            Some(settings) => {
                let http = http_client()?;
                let jwks_url = format!("{issuer}/.well-known/jwks.json");
                let source = Arc::new(jwks::HttpJwks::new(http.clone(), jwks_url));
                let verifier = Arc::new(Verifier::new(source, issuer));
                let provider = Arc::new(supabase::SupabaseProvider::new(http, settings.clone()));
                Ok(Identity {
                    verifier,
                    provider,
                    embedded: None,
                })
            }
            None => {
                let key = keys::SigningKey::load_or_create(&config.data_dir)?;
                let embedded = Arc::new(embedded::EmbeddedProvider::new(pool, key, issuer.clone()));
                let source = Arc::new(jwks::StaticJwks::new(embedded.jwks()));
                let verifier = Arc::new(Verifier::new(source, issuer));
                Ok(Identity {
                    verifier,
                    provider: embedded.clone(),
                    embedded: Some(embedded),
                })
            }
        }
    }
}

// The identity provider's timeouts (Supabase Auth and its JWKS), stated once
// (docs/architecture.md, "Timeouts"). Their caller is the API: sign-in, sign-up, refresh and
// logout wait on Supabase Auth, and a token signed by a key not cached yet waits on the JWKS,
// inside API Gateway's 29 s.

/// Opening a connection to the provider: 5 s.
pub const HTTP_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// One request, answer included: 10 s, leaving the route the rest of the 29 s.
pub const HTTP_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTP client of the identity adapters: rustls, [`HTTP_CONNECT_TIMEOUT`],
/// [`HTTP_REQUEST_TIMEOUT`].
pub fn http_client() -> Result<reqwest::Client, IdentityError> {
    reqwest::Client::builder()
        .connect_timeout(HTTP_CONNECT_TIMEOUT)
        .timeout(HTTP_REQUEST_TIMEOUT)
        .build()
        .map_err(|e| IdentityError::Internal(format!("cannot build the HTTP client: {e}")))
}

/// Normalises an email the way accounts are stored: trimmed and lowercased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces,
/// at most 254 characters. (Deliverability is the provider's business.)
pub fn is_valid_email(email: &str) -> bool {
    let email = email.trim();
    if email.is_empty()
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        for ok in ["a@b.co", "Student1@Innova.Demo", " x.y+z@sub.example.org "] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.co", "a@b@c.co", "a@b..co",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
        assert_eq!(
            normalize_email("  Student1@Innova.DEMO "),
            "student1@innova.demo"
        );
    }

    #[test]
    fn the_issuer_follows_the_configuration() {
        let db = ("DATABASE_URL", "postgres://u@h/db");
        let c = Config::from_vars([db]).unwrap();
        assert_eq!(issuer(&c), "http://localhost:3000/auth/v1");
        let c = Config::from_vars([db, ("PORT", "4000")]).unwrap();
        assert_eq!(issuer(&c), "http://localhost:4000/auth/v1");
        let c = Config::from_vars([db, ("PUBLIC_API_URL", "https://api.example.com/")]).unwrap();
        assert_eq!(issuer(&c), "https://api.example.com/auth/v1");
        let c = Config::from_vars([
            db,
            ("SUPABASE_URL", "https://abc.supabase.co"),
            ("SUPABASE_SERVICE_ROLE_KEY", "k"),
        ])
        .unwrap();
        assert_eq!(issuer(&c), "https://abc.supabase.co/auth/v1");
    }
}
