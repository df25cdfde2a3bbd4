//! The embedded identity provider (decision 14): used when no `SUPABASE_URL` is configured.
//!
//! * Issuer: [`super::embedded_issuer`]; tokens signed RS256 with the key of [`super::keys`],
//!   whose JWKS the API serves at `/auth/v1/.well-known/jwks.json` and the verifier reads in
//!   process — the same verification path as Supabase tokens.
//! * Accounts are the `users` rows: Argon2id hashes in `users.password_hash`, the token's `sub`
//!   is `users.supabase_uid` (generated, a UUID, for rows that have none).
//! * Refresh tokens: 32 random bytes (base64url), stored as SHA-256 in
//!   `innova_local.refresh_tokens`, valid [`REFRESH_TOKEN_TTL`], **single use** (each refresh
//!   rotates), revoked all at once by logout and by a password change.

use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::OnceCell;

use super::keys::SigningKey;
use super::password::{hash_password_async, random_token, sha256_hex, verify_password_async};
use super::{
    ACCESS_TOKEN_TTL_SECS, AUDIENCE, Account, IdentityError, IdentityProvider, ProviderKind,
    ProviderUser, Role, TokenPair,
};
use crate::db::{self, accounts};

/// How long an embedded refresh token lives (unless used or revoked first).
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct EmbeddedProvider {
    pool: PgPool,
    key: SigningKey,
    issuer: String,
    schema: OnceCell<()>,
}

impl EmbeddedProvider {
    pub fn new(pool: PgPool, key: SigningKey, issuer: String) -> Self {
        EmbeddedProvider {
            pool,
            key,
            issuer,
            schema: OnceCell::new(),
        }
    }

    /// The public keys (served as the JWKS).
    pub fn jwks(&self) -> JwkSet {
        self.key.jwks()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// An access token for an existing account, valid `ttl_secs` (also what `innova token`
    /// prints). Gives the account a provider id first if it has none.
    pub async fn access_token_for(
        &self,
        creds: &accounts::Credentials,
        ttl_secs: u64,
    ) -> Result<String, IdentityError> {
        let uid = match &creds.supabase_uid {
            Some(uid) => uid.clone(),
            None => accounts::ensure_uid(&self.pool, &creds.user_id, &db::new_id()).await?,
        };
        let now = jsonwebtoken::get_current_timestamp();
        let role = Role::from_claim(creds.auth_role.as_deref());
        let mut user_metadata = json!({});
        if let Some(name) = creds
            .display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        {
            user_metadata["display_name"] = json!(name);
        }
        let claims = json!({
            "iss": self.issuer,
            "sub": uid,
            "aud": AUDIENCE,
            "exp": now + ttl_secs,
            "iat": now,
            "email": creds.email,
            "role": "authenticated",
            "aal": "aal1",
            "is_anonymous": false,
            "app_metadata": {"provider": "email", "providers": ["email"], "role": role.as_str()},
            "user_metadata": user_metadata,
        });
        self.key.sign(&claims)
    }

    async fn ready(&self) -> Result<(), IdentityError> {
        self.schema
            .get_or_try_init(|| async { accounts::ensure_local_schema(&self.pool).await })
            .await?;
        Ok(())
    }

    async fn session(&self, creds: &accounts::Credentials) -> Result<TokenPair, IdentityError> {
        self.ready().await?;
        let access_token = self.access_token_for(creds, ACCESS_TOKEN_TTL_SECS).await?;
        let refresh_token = random_token();
        let expires_at =
            db::now() + chrono::Duration::from_std(REFRESH_TOKEN_TTL).unwrap_or_default();
        accounts::insert_refresh_token(
            &self.pool,
            &sha256_hex(&refresh_token),
            &creds.user_id,
            expires_at,
        )
        .await?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: ACCESS_TOKEN_TTL_SECS,
        })
    }
}

#[async_trait]
impl IdentityProvider for EmbeddedProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Embedded
    }

    async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<ProviderUser, IdentityError> {
        let hash = hash_password_async(password.to_owned()).await?;
        let uid = db::new_id();
        match accounts::insert_user_if_absent(
            &self.pool,
            Some(&uid),
            email,
            Some(role.as_str()),
            Some(&hash),
        )
        .await?
        {
            Some(user) => Ok(ProviderUser {
                uid: user.supabase_uid.unwrap_or(uid),
                email: user.email,
            }),
            None => Err(IdentityError::EmailTaken),
        }
    }

    async fn password_grant(
        &self,
        email: &str,
        password: &str,
    ) -> Result<TokenPair, IdentityError> {
        let creds = accounts::credentials_by_email(&self.pool, email).await?;
        let stored = creds.as_ref().and_then(|c| c.password_hash.clone());
        // Verified even without an account (against a dummy hash), so timing tells nothing.
        let matches = verify_password_async(password.to_owned(), stored).await;
        match creds {
            Some(creds) if matches && creds.deleted_at.is_none() => self.session(&creds).await,
            _ => Err(IdentityError::InvalidCredentials),
        }
    }

    async fn refresh_grant(&self, refresh_token: &str) -> Result<TokenPair, IdentityError> {
        self.ready().await?;
        let user_id =
            accounts::use_refresh_token(&self.pool, &sha256_hex(refresh_token), db::now())
                .await?
                .ok_or(IdentityError::InvalidRefreshToken)?;
        match accounts::credentials_by_user_id(&self.pool, &user_id).await? {
            Some(creds) if creds.deleted_at.is_none() => self.session(&creds).await,
            _ => Err(IdentityError::InvalidRefreshToken),
        }
    }

    async fn logout(&self, account: &Account, _access_token: &str) -> Result<(), IdentityError> {
        self.ready().await?;
        accounts::revoke_refresh_tokens(&self.pool, &account.user_id, db::now()).await?;
        Ok(())
    }

    async fn set_password(
        &self,
        account: &Account,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        self.ready().await?;
        let hash = hash_password_async(new_password.to_owned()).await?;
        accounts::set_password_hash(&self.pool, &account.user_id, &hash).await?;
        accounts::revoke_refresh_tokens(&self.pool, &account.user_id, db::now()).await?;
        Ok(())
    }
}
