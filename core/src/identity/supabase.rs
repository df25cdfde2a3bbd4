//! The Supabase Auth adapter: GoTrue's REST API under `<SUPABASE_URL>/auth/v1`.
//!
//! | Operation | GoTrue call |
//! |---|---|
//! | create user | `POST /admin/users` (service-role key) with `email_confirm: true` and `app_metadata.role` — the role lives where only the server can write it (decision 12) |
//! | password grant | `POST /token?grant_type=password` (anon key when configured, else the service-role key) |
//! | refresh grant | `POST /token?grant_type=refresh_token` |
//! | logout | `POST /logout?scope=global` with the caller's own access token (revokes all their refresh tokens) |
//! | set password | `PUT /admin/users/{uid}` (service-role key), then a password grant with the new password and a global logout, which revokes every older session |
//!
//! GoTrue's 4xx answers to grants become [`IdentityError::InvalidCredentials`] /
//! [`IdentityError::InvalidRefreshToken`] (401s, never 500s); 5xx, 429 and transport errors
//! become [`IdentityError::Unavailable`].

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{
    Account, IdentityError, IdentityProvider, ProviderKind, ProviderUser, Role, TokenPair,
};
use crate::config::SupabaseSettings;

pub struct SupabaseProvider {
    http: reqwest::Client,
    settings: SupabaseSettings,
    base: String,
}

#[derive(Deserialize)]
struct Session {
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    email: Option<String>,
}

/// GoTrue's error body (both the older `error`/`error_description` and the newer
/// `error_code`/`msg` shapes).
#[derive(Deserialize, Default)]
struct GoTrueError {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl GoTrueError {
    fn text(&self) -> String {
        [
            &self.msg,
            &self.message,
            &self.error_description,
            &self.error,
            &self.error_code,
        ]
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default()
    }
}

impl SupabaseProvider {
    pub fn new(http: reqwest::Client, settings: SupabaseSettings) -> Self {
        let base = format!("{}/auth/v1", settings.url.as_str().trim_end_matches('/'));
        SupabaseProvider {
            http,
            settings,
            base,
        }
    }

    /// A request with the service-role key (admin API).
    fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("apikey", &self.settings.service_role_key)
            .bearer_auth(&self.settings.service_role_key)
    }

    /// A request with the public key (the anon key when configured).
    fn public(&self, method: Method, path: &str) -> RequestBuilder {
        let key = self
            .settings
            .anon_key
            .as_deref()
            .unwrap_or(&self.settings.service_role_key);
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("apikey", key)
    }

    async fn send(&self, req: RequestBuilder) -> Result<Response, IdentityError> {
        let resp = req
            .send()
            .await
            .map_err(|e| IdentityError::Unavailable(e.to_string()))?;
        let status = resp.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(IdentityError::Unavailable(format!(
                "GoTrue answered {status}"
            )));
        }
        Ok(resp)
    }

    async fn grant(
        &self,
        grant_type: &str,
        body: serde_json::Value,
    ) -> Result<Result<TokenPair, GoTrueError>, IdentityError> {
        let req = self
            .public(Method::POST, "/token")
            .query(&[("grant_type", grant_type)])
            .json(&body);
        let resp = self.send(req).await?;
        if resp.status().is_success() {
            let s: Session = resp.json().await.map_err(|e| {
                IdentityError::Unavailable(format!("unexpected token response: {e}"))
            })?;
            return Ok(Ok(TokenPair {
                access_token: s.access_token,
                refresh_token: s.refresh_token,
                expires_in: s.expires_in.unwrap_or(super::ACCESS_TOKEN_TTL_SECS),
            }));
        }
        Ok(Err(resp.json().await.unwrap_or_default()))
    }

    async fn logout_token(&self, access_token: &str) -> Result<(), IdentityError> {
        let req = self
            .public(Method::POST, "/logout")
            .query(&[("scope", "global")])
            .bearer_auth(access_token);
        let resp = self.send(req).await?;
        // 401/403/404: the session is already gone, which is what logout wants.
        if resp.status().is_success() || resp.status().is_client_error() {
            Ok(())
        } else {
            Err(IdentityError::Unavailable(format!(
                "logout answered {}",
                resp.status()
            )))
        }
    }
}

#[async_trait]
impl IdentityProvider for SupabaseProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Supabase
    }

    async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<ProviderUser, IdentityError> {
        let body = json!({
            "email": email,
            "password": password,
            "email_confirm": true,
            "app_metadata": {"provider": "email", "providers": ["email"], "role": role.as_str()},
            "user_metadata": {},
        });
        let resp = self
            .send(self.admin(Method::POST, "/admin/users").json(&body))
            .await?;
        let status = resp.status();
        if status.is_success() {
            let user: User = resp.json().await.map_err(|e| {
                IdentityError::Unavailable(format!("unexpected user response: {e}"))
            })?;
            return Ok(ProviderUser {
                uid: user.id,
                email: user.email.unwrap_or_else(|| email.to_owned()),
            });
        }
        let err: GoTrueError = resp.json().await.unwrap_or_default();
        let text = err.text();
        let taken = err.error_code.as_deref() == Some("email_exists")
            || err.error_code.as_deref() == Some("user_already_exists")
            || text.contains("already been registered")
            || text.contains("already registered")
            || text.contains("already exists");
        if taken {
            Err(IdentityError::EmailTaken)
        } else if status.is_client_error()
            && status != StatusCode::UNAUTHORIZED
            && status != StatusCode::FORBIDDEN
        {
            Err(IdentityError::Rejected(if text.is_empty() {
                "the identity provider refused the account".into()
            } else {
                text
            }))
        } else {
            Err(IdentityError::Unavailable(format!(
                "create user answered {status}: {text}"
            )))
        }
    }

    async fn password_grant(
        &self,
        email: &str,
        password: &str,
    ) -> Result<TokenPair, IdentityError> {
        self.grant("password", json!({"email": email, "password": password}))
            .await?
            .map_err(|_| IdentityError::InvalidCredentials)
    }

    async fn refresh_grant(&self, refresh_token: &str) -> Result<TokenPair, IdentityError> {
        self.grant("refresh_token", json!({"refresh_token": refresh_token}))
            .await?
            .map_err(|_| IdentityError::InvalidRefreshToken)
    }

    async fn logout(&self, _account: &Account, access_token: &str) -> Result<(), IdentityError> {
        self.logout_token(access_token).await
    }

    async fn set_password(
        &self,
        account: &Account,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        let path = format!("/admin/users/{}", account.uid);
        let resp = self
            .send(
                self.admin(Method::PUT, &path)
                    .json(&json!({"password": new_password})),
            )
            .await?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.json::<GoTrueError>().await.unwrap_or_default().text();
            return Err(
                if status.is_client_error()
                    && status != StatusCode::UNAUTHORIZED
                    && status != StatusCode::FORBIDDEN
                {
                    IdentityError::Rejected(if text.is_empty() {
                        "the identity provider refused the password".into()
                    } else {
                        text
                    })
                } else {
                    IdentityError::Unavailable(format!("update user answered {status}: {text}"))
                },
            );
        }
        // Revoke every older session: sign in with the new password and log out globally.
        match self
            .grant(
                "password",
                json!({"email": account.email, "password": new_password}),
            )
            .await?
        {
            Ok(session) => self.logout_token(&session.access_token).await,
            Err(e) => {
                tracing::warn!(error = %e.text(), "password changed but older sessions could not be revoked");
                Ok(())
            }
        }
    }
}
