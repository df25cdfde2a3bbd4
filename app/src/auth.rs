//! The accounts behind `/auth/*` (decision 13): a thin, safe front for the identity provider
//! whose tokens work on every protected route, and the callers those tokens resolve to.
//!
//! * [`register`] creates the account at the provider (student, teacher or parent) and never
//!   overwrites: an email known here is a conflict.
//! * [`login`] / [`refresh`]: bad credentials, unknown emails and bad refresh tokens are one
//!   [`AppError::Unauthorized`].
//! * [`forgot_password`] takes the same time and says the same thing whatever the email; for a
//!   known account it stores the SHA-256 of a single-use random code valid
//!   [`RESET_CODE_MINUTES`] and e-mails the link `<app origin>/auth/reset?token=<base64url
//!   {"email","code"}>` — within the request (nothing runs after the answer on Lambda).
//! * [`confirm_forgot_password`] uses the code up, sets the password at the provider, revokes
//!   the account's sessions and bumps `token_version`.
//! * [`logout`] revokes the caller's refresh tokens at the provider.
//!
//! [`Callers`] resolves a verified token to its [`Caller`]: the first request of a user
//! provisions their `users` row and role profile (decision 15); later ones are served from
//! memory, so authenticated requests do not write.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use innova_core::db::accounts::{self, ProvisionError, Provisioned};
use innova_core::db::{self, PgPool, users};
use innova_core::identity::password::{random_token, sha256_hex};
use innova_core::identity::{
    Account, Identity, IdentityError, ProviderKind, TokenPair, VerifiedToken, normalize_email,
};
use innova_core::mail::{self, Mailer};
use innova_domain::ids::{StudentId, UserId};

use crate::authz::{Caller, Permit, Profile, Role, op};
use crate::{App, AppError, AppResult};

/// Lifetime of a password-reset code.
pub const RESET_CODE_MINUTES: u32 = 15;
/// Where reset links point when `PUBLIC_APP_URL` is not set (local use only: the
/// configuration requires it when e-mails really go out).
pub const DEFAULT_APP_URL: &str = "http://localhost:5173";
/// The least time a `forgot-password` answer takes: longer than looking the account up and
/// sending its e-mail usually take, so that known and unknown emails answer alike.
pub const RESET_ANSWER_FLOOR: Duration = Duration::from_millis(800);
/// Longest refresh token looked up (longer ones are refused unread).
pub const MAX_REFRESH_TOKEN_LEN: usize = 4096;

/// The identity side of the API: the provider, the mailer and the resolved callers.
pub struct Accounts {
    /// Token verification and the identity provider (Supabase or embedded).
    pub identity: Identity,
    /// Password-reset e-mails (Resend, or the log).
    pub mailer: Arc<dyn Mailer>,
    /// Resolved callers by token `sub`.
    pub callers: Callers,
}

/// A new session: the provider's tokens and the caller they resolve to.
#[derive(Debug, Clone)]
pub struct Session {
    pub tokens: TokenPair,
    pub caller: Caller,
    /// The reference's `profileId` ([`profile_id`]).
    pub profile_id: Option<String>,
}

/// Identity-provider failures as the caller sees them: bad credentials and bad refresh tokens
/// are 401s, never 500s (decision 13).
impl From<IdentityError> for AppError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::InvalidCredentials => {
                AppError::Unauthorized("Invalid email or password".into())
            }
            IdentityError::InvalidRefreshToken => {
                AppError::Unauthorized("Invalid refresh token".into())
            }
            IdentityError::EmailTaken => {
                AppError::Conflict("An account with this email already exists".into())
            }
            IdentityError::Rejected(message) => AppError::Rejected(message),
            IdentityError::Unavailable(cause) => {
                tracing::error!(error = %cause, "identity provider unavailable");
                AppError::Unavailable(
                    "The identity provider is unavailable, try again later".into(),
                )
            }
            IdentityError::Db(e) => AppError::Db(e),
            IdentityError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

/// Provisioning the caller (decision 15): an email owned by another account is a conflict, a
/// disabled account unauthorized.
impl From<ProvisionError> for AppError {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::EmailTaken(_) => {
                AppError::Conflict("This email already belongs to another account".into())
            }
            ProvisionError::Disabled => AppError::Unauthorized("This account is disabled".into()),
            ProvisionError::Db(e) => AppError::Db(e),
        }
    }
}

// ---- the public routes ---------------------------------------------------------------------

/// Creates the account (an email known here — seeded, provisioned, registered earlier — is
/// taken even if the provider has never seen it) and signs it in.
pub async fn register(
    app: &App,
    accounts: &Accounts,
    email: &str,
    password: &str,
    role: Role,
) -> AppResult<Session> {
    let email = normalize_email(email);
    if users::user_by_email(&app.db, &email).await?.is_some() {
        return Err(IdentityError::EmailTaken.into());
    }
    let provider = &accounts.identity.provider;
    provider.create_user(&email, password, role).await?;
    let tokens = provider.password_grant(&email, password).await?;
    session(app, accounts, tokens).await
}

pub async fn login(
    app: &App,
    accounts: &Accounts,
    email: &str,
    password: &str,
) -> AppResult<Session> {
    let email = normalize_email(email);
    let tokens = accounts
        .identity
        .provider
        .password_grant(&email, password)
        .await?;
    session(app, accounts, tokens).await
}

pub async fn refresh(app: &App, accounts: &Accounts, refresh_token: &str) -> AppResult<Session> {
    let token = refresh_token.trim();
    if token.len() > MAX_REFRESH_TOKEN_LEN {
        return Err(IdentityError::InvalidRefreshToken.into());
    }
    let tokens = accounts.identity.provider.refresh_grant(token).await?;
    session(app, accounts, tokens).await
}

/// Sends the reset e-mail of a known account; answers no sooner than [`RESET_ANSWER_FLOOR`]
/// whatever the email, and a failure to send is logged, never told.
pub async fn forgot_password(app: &App, accounts: &Accounts, email: &str) {
    let email = normalize_email(email);
    let answer_at = tokio::time::Instant::now() + RESET_ANSWER_FLOOR;
    let app_url = app.config.public_app_url.as_ref().map(|u| u.to_string());
    let needs_uid = accounts.identity.provider.kind() == ProviderKind::Supabase;
    if let Err(e) = send_reset(
        &app.db,
        accounts.mailer.as_ref(),
        app_url.as_deref(),
        &email,
        needs_uid,
    )
    .await
    {
        tracing::error!(error = %e, "password-reset e-mail failed");
    }
    tokio::time::sleep_until(answer_at).await;
}

async fn send_reset(
    db: &PgPool,
    mailer: &dyn Mailer,
    app_url: Option<&str>,
    email: &str,
    needs_uid: bool,
) -> anyhow::Result<()> {
    let Some(user) = users::user_by_email(db, email).await? else {
        return Ok(());
    };
    if user.deleted_at.is_some() || (needs_uid && user.supabase_uid.is_none()) {
        return Ok(());
    }
    let code = random_token();
    let expires_at = db::now() + chrono::Duration::minutes(RESET_CODE_MINUTES.into());
    accounts::set_reset_code(db, &user.id, &sha256_hex(&code), expires_at).await?;
    let link = reset_link(app_url.unwrap_or(DEFAULT_APP_URL), &user.email, &code);
    mailer
        .send(&mail::password_reset_email(
            &user.email,
            &link,
            RESET_CODE_MINUTES,
        ))
        .await?;
    Ok(())
}

/// `<origin of app_url>/auth/reset?token=<base64url of {"email","code"}>` (the reference's link).
pub fn reset_link(app_url: &str, email: &str, code: &str) -> String {
    let origin = url::Url::parse(app_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| app_url.trim_end_matches('/').to_owned());
    let token =
        URL_SAFE_NO_PAD.encode(serde_json::json!({"email": email, "code": code}).to_string());
    format!("{origin}/auth/reset?token={token}")
}

/// Uses the reset code up and sets the new password; any bad code is
/// [`AppError::Unauthorized`] `Invalid or expired password reset code`.
pub async fn confirm_forgot_password(
    app: &App,
    accounts: &Accounts,
    email: &str,
    code: &str,
    new_password: &str,
) -> AppResult<()> {
    let email = normalize_email(email);
    let user = accounts::take_reset_code(&app.db, &email, &sha256_hex(code.trim()), db::now())
        .await?
        .ok_or_else(|| AppError::Unauthorized("Invalid or expired password reset code".into()))?;
    let account = Account {
        uid: user.supabase_uid.clone().unwrap_or_default(),
        user_id: user.id.clone(),
        email: user.email.clone(),
    };
    accounts
        .identity
        .provider
        .set_password(&account, new_password)
        .await?;
    accounts::bump_token_version(&app.db, &user.id).await?;
    if let Some(uid) = &user.supabase_uid {
        accounts.callers.forget(uid);
    }
    Ok(())
}

// ---- the caller's routes -------------------------------------------------------------------

/// The caller and their `profileId`.
pub async fn me(app: &App, permit: &Permit<op::AuthMe>) -> AppResult<(Caller, Option<String>)> {
    let caller = permit.caller()?;
    Ok((caller.clone(), profile_id(app, caller).await?))
}

/// Revokes the caller's sessions at the provider.
pub async fn logout(accounts: &Accounts, permit: &Permit<op::AuthLogout>) -> AppResult<()> {
    let caller = permit.caller()?;
    accounts
        .identity
        .provider
        .logout(&caller.account(), &caller.access_token)
        .await?;
    Ok(())
}

// ---- sessions ------------------------------------------------------------------------------

/// The session for fresh tokens: the access token goes through the same verification as on
/// every protected route (proving it works there) and provisions the user.
async fn session(app: &App, accounts: &Accounts, tokens: TokenPair) -> AppResult<Session> {
    let verified = accounts
        .identity
        .verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| {
            AppError::internal(format!(
                "the identity provider issued a token this server refuses: {e}"
            ))
        })?;
    let caller = accounts
        .callers
        .refresh(&app.db, &verified, &tokens.access_token)
        .await?;
    let profile_id = profile_id(app, &caller).await?;
    Ok(Session {
        tokens,
        caller,
        profile_id,
    })
}

/// The reference's `profileId`: the role's profile, and for admins a student row if any.
async fn profile_id(app: &App, caller: &Caller) -> AppResult<Option<String>> {
    match caller.role {
        Role::Admin => Ok(users::student_by_user_id(&app.db, &caller.user_id)
            .await?
            .map(|s| StudentId::into_string(s.id))),
        _ => Ok(caller.profile.id().map(str::to_owned)),
    }
}

// ---- resolved callers ----------------------------------------------------------------------

/// How long a resolved caller is trusted without looking at the database again (profile rows
/// created or removed meanwhile are picked up after this).
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Entries kept at most; the cache is emptied when it is full.
const CACHE_MAX: usize = 10_000;

#[derive(Clone)]
struct Cached {
    user_id: UserId,
    role: Role,
    profile: Profile,
    token_version: i32,
    at: Instant,
}

/// Resolved callers by `sub`.
#[derive(Default)]
pub struct Callers {
    entries: RwLock<HashMap<String, Cached>>,
}

impl Callers {
    /// The caller for a verified token, from the cache when fresh and for the same role.
    pub async fn caller(&self, db: &PgPool, token: &VerifiedToken, raw: &str) -> AppResult<Caller> {
        let hit = self
            .entries
            .read()
            .ok()
            .and_then(|m| m.get(&token.sub).cloned())
            .filter(|c| c.role == token.role && c.at.elapsed() < CACHE_TTL);
        let cached = match hit {
            Some(c) => c,
            None => self.store(token, provision(db, token).await?),
        };
        Ok(Caller {
            user_id: cached.user_id,
            supabase_uid: token.sub.clone(),
            email: normalize_email(&token.email),
            role: token.role,
            name: token.name.clone(),
            profile: cached.profile,
            token_version: cached.token_version,
            access_token: raw.to_owned(),
        })
    }

    /// Provisions (or re-reads) the caller, bypassing and then refreshing the cache.
    pub async fn refresh(
        &self,
        db: &PgPool,
        token: &VerifiedToken,
        raw: &str,
    ) -> AppResult<Caller> {
        self.forget(&token.sub);
        self.caller(db, token, raw).await
    }

    pub fn forget(&self, sub: &str) {
        if let Ok(mut m) = self.entries.write() {
            m.remove(sub);
        }
    }

    fn store(&self, token: &VerifiedToken, p: Provisioned) -> Cached {
        let cached = Cached {
            user_id: p.user.id,
            role: token.role,
            profile: p.profile,
            token_version: p.user.token_version,
            at: Instant::now(),
        };
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert(token.sub.clone(), cached.clone());
        }
        cached
    }
}

async fn provision(db: &PgPool, token: &VerifiedToken) -> AppResult<Provisioned> {
    let email = normalize_email(&token.email);
    let who = accounts::Identity {
        uid: &token.sub,
        email: &email,
        role: token.role,
        name: &token.name,
    };
    Ok(accounts::provision(db, &who).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_links_use_the_app_origin_and_carry_email_and_code() {
        let link = reset_link("https://app.example.com/some/path?x=1", "a@b.co", "c0de");
        let token = link
            .strip_prefix("https://app.example.com/auth/reset?token=")
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token).unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"email": "a@b.co", "code": "c0de"}));
    }
}
