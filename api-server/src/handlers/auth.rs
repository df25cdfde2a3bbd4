//! `/auth/*` (api.md §2.2, decision 13): a thin, safe front for the identity provider whose
//! tokens work on every protected route.
//!
//! * `register` creates the account at the provider (role student, teacher or parent — `admin`
//!   is a 400 like any value outside the list) and never overwrites: an existing email is 409.
//! * `login` / `refresh`: bad credentials, unknown emails and bad refresh tokens are one 401.
//! * `forgot-password` answers 202 with the same message whatever the email; for a known
//!   account it stores the SHA-256 of a single-use random code valid 15 minutes and e-mails
//!   the link `<PUBLIC_APP_URL origin>/auth/reset?token=<base64url {"email","code"}>` — the
//!   work happens after the answer, so response times do not tell either.
//! * `confirm-forgot-password` uses the code up, sets the password at the provider, revokes
//!   the account's sessions and bumps `token_version`; any bad code is one 401.
//! * `logout` revokes the caller's refresh tokens at the provider.
//! * The public routes are rate-limited per client IP and per email (429 + `Retry-After`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dropshot::{Body, RequestContext, TypedBody};
use http::{Response, StatusCode};
use innova_core::db::{self, accounts, users};
use innova_core::identity::password::{random_token, sha256_hex};
use innova_core::identity::{
    IdentityError, TokenPair, VerifiedToken, is_valid_email, normalize_email,
};
use innova_core::mail;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Caller, Role, rate_limit::client_ip};
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;

/// Minimum password length (the reference's validation).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (bounds the hashing work a request can cause).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Lifetime of a password-reset code.
pub const RESET_CODE_MINUTES: u32 = 15;
/// Where reset links point when `PUBLIC_APP_URL` is not set (local use only: the
/// configuration requires it when e-mails really go out).
pub const DEFAULT_APP_URL: &str = "http://localhost:5173";

/// The answer of `forgot-password`, whatever the email (the reference's text).
pub const RESET_REQUESTED_MESSAGE: &str =
    "A password reset link has been sent to your email. Check your inbox and spam folder.";
pub const PASSWORD_UPDATED_MESSAGE: &str = "Password updated successfully";
pub const LOGGED_OUT_MESSAGE: &str = "Session revoked successfully";
pub const BAD_RESET_CODE_MESSAGE: &str = "Invalid or expired password reset code";

// ---- request and response types ------------------------------------------------------------

/// A role, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Student,
    Teacher,
    Parent,
    Admin,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Student => RoleName::Student,
            Role::Teacher => RoleName::Teacher,
            Role::Parent => RoleName::Parent,
            Role::Admin => RoleName::Admin,
        }
    }
}

/// `POST /auth/register`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterRequest {
    #[schemars(email)]
    pub email: String,
    /// At least 8 characters.
    #[schemars(length(min = 8, max = 1024))]
    pub password: String,
    /// `student`, `teacher` or `parent` (never `admin`).
    #[schemars(schema_with = "registrable_role_schema")]
    pub role: String,
}

fn registrable_role_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        enum_values: Some(vec!["student".into(), "teacher".into(), "parent".into()]),
        ..Default::default()
    }
    .into()
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginRequest {
    #[schemars(email)]
    pub email: String,
    pub password: String,
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /auth/forgot-password`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ForgotPasswordRequest {
    #[schemars(email)]
    pub email: String,
}

/// `POST /auth/confirm-forgot-password`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfirmForgotPasswordRequest {
    #[schemars(email)]
    pub email: String,
    /// The code from the reset link's `token` (base64url JSON `{email, code}`).
    pub code: String,
    /// At least 8 characters.
    #[schemars(length(min = 8, max = 1024))]
    pub new_password: String,
}

/// The user of a session.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    /// `users.id`.
    pub id: String,
    pub email: String,
    pub role: RoleName,
    /// Teacher id for teachers, parent id for parents, otherwise the student id (also for
    /// admins, as the reference); null when there is none.
    pub profile_id: Option<String>,
    /// The identity provider's user id (the tokens' `sub`).
    pub supabase_uid: Option<String>,
    pub token_version: i32,
}

/// Tokens and the signed-in user (`register`, `login`, `refresh`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Bearer token for every protected route.
    pub access_token: String,
    /// Single use: `refresh` returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token.
    pub expires_in_seconds: u64,
    pub user: SessionUser,
}

/// The current user.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// `users.id`.
    pub id: String,
    pub email: String,
    /// From the token's metadata, else the email's local part.
    pub name: String,
    pub role: RoleName,
    /// As in [`SessionUser::profile_id`].
    pub profile_id: Option<String>,
}

/// A plain confirmation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageResponse {
    pub message: String,
}

fn message(text: &str) -> MessageResponse {
    MessageResponse {
        message: text.to_owned(),
    }
}

// ---- validation ----------------------------------------------------------------------------

fn check_email(email: &str, errors: &mut Vec<String>) {
    if !is_valid_email(email) {
        errors.push("email must be an email".into());
    }
}

fn check_password(field: &str, password: &str, errors: &mut Vec<String>) {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        errors.push(format!(
            "{field} must be longer than or equal to {MIN_PASSWORD_LEN} characters"
        ));
    } else if len > MAX_PASSWORD_LEN {
        errors.push(format!(
            "{field} must be shorter than or equal to {MAX_PASSWORD_LEN} characters"
        ));
    }
}

fn validated(errors: Vec<String>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn registrable_role(role: &str) -> Option<Role> {
    match role {
        "student" => Some(Role::Student),
        "teacher" => Some(Role::Teacher),
        "parent" => Some(Role::Parent),
        _ => None,
    }
}

// ---- handlers ------------------------------------------------------------------------------

pub async fn register(
    rqctx: RequestContext<ApiContext>,
    body: TypedBody<RegisterRequest>,
) -> ApiCreated<Session> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    check_email(&body.email, &mut errors);
    check_password("password", &body.password, &mut errors);
    let role = registrable_role(&body.role);
    if role.is_none() {
        errors.push("role must be one of the following values: student, teacher, parent".into());
    }
    validated(errors)?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;

    // An email known here (seeded, provisioned, registered earlier) is taken even if the
    // provider has never seen it.
    if users::user_by_email(&ctx.db, &email).await?.is_some() {
        return Err(IdentityError::EmailTaken.into());
    }
    let role = role.unwrap_or(Role::Student);
    ctx.identity
        .provider
        .create_user(&email, &body.password, role)
        .await?;
    let tokens = ctx
        .identity
        .provider
        .password_grant(&email, &body.password)
        .await?;
    let session = session(ctx, tokens).await?;
    envelope::created(&rqctx, session)
}

pub async fn login(
    rqctx: RequestContext<ApiContext>,
    body: TypedBody<LoginRequest>,
) -> ApiCreated<Session> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    check_email(&body.email, &mut errors);
    if body.password.is_empty() {
        errors.push("password should not be empty".into());
    } else if body.password.chars().count() > MAX_PASSWORD_LEN {
        errors.push(format!(
            "password must be shorter than or equal to {MAX_PASSWORD_LEN} characters"
        ));
    }
    validated(errors)?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;
    let tokens = ctx
        .identity
        .provider
        .password_grant(&email, &body.password)
        .await?;
    let session = session(ctx, tokens).await?;
    envelope::created(&rqctx, session)
}

pub async fn refresh(
    rqctx: RequestContext<ApiContext>,
    body: TypedBody<RefreshRequest>,
) -> ApiCreated<Session> {
    let body = body.into_inner();
    let token = body.refresh_token.trim();
    if token.is_empty() {
        return Err(ApiError::validation(vec![
            "refreshToken should not be empty".into(),
        ]));
    }
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), None)?;
    if token.len() > 4096 {
        return Err(IdentityError::InvalidRefreshToken.into());
    }
    let tokens = ctx.identity.provider.refresh_grant(token).await?;
    let session = session(ctx, tokens).await?;
    envelope::created(&rqctx, session)
}

pub async fn forgot_password(
    rqctx: RequestContext<ApiContext>,
    body: TypedBody<ForgotPasswordRequest>,
) -> ApiAccepted<MessageResponse> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    check_email(&body.email, &mut errors);
    validated(errors)?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;

    // Everything else happens after the answer: same response, same timing, for every email.
    let db = ctx.db.clone();
    let mailer = ctx.mailer.clone();
    let app_url = ctx.config.public_app_url.as_ref().map(|u| u.to_string());
    let needs_uid = ctx.identity.provider.kind() == innova_core::identity::ProviderKind::Supabase;
    tokio::spawn(async move {
        if let Err(e) =
            send_reset(&db, mailer.as_ref(), app_url.as_deref(), &email, needs_uid).await
        {
            tracing::error!(error = %e, "password-reset e-mail failed");
        }
    });
    envelope::accepted(&rqctx, message(RESET_REQUESTED_MESSAGE))
}

async fn send_reset(
    db: &db::PgPool,
    mailer: &dyn mail::Mailer,
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

pub async fn confirm_forgot_password(
    rqctx: RequestContext<ApiContext>,
    body: TypedBody<ConfirmForgotPasswordRequest>,
) -> ApiCreated<MessageResponse> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    check_email(&body.email, &mut errors);
    if body.code.trim().is_empty() {
        errors.push("code should not be empty".into());
    }
    check_password("newPassword", &body.new_password, &mut errors);
    validated(errors)?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;

    let bad_code = || ApiError::unauthorized(BAD_RESET_CODE_MESSAGE);
    let user = accounts::take_reset_code(&ctx.db, &email, &sha256_hex(body.code.trim()), db::now())
        .await?
        .ok_or_else(bad_code)?;
    let account = innova_core::identity::Account {
        uid: user.supabase_uid.clone().unwrap_or_default(),
        user_id: user.id.clone(),
        email: user.email.clone(),
    };
    ctx.identity
        .provider
        .set_password(&account, &body.new_password)
        .await?;
    accounts::bump_token_version(&ctx.db, &user.id).await?;
    if let Some(uid) = &user.supabase_uid {
        ctx.callers.forget(uid);
    }
    envelope::created(&rqctx, message(PASSWORD_UPDATED_MESSAGE))
}

pub async fn me(rqctx: RequestContext<ApiContext>) -> ApiOk<Me> {
    let auth = auth::authorize(&rqctx).await?;
    let caller = auth.caller;
    let profile_id = profile_id(&rqctx.context().db, &caller).await?;
    let me = Me {
        id: caller.user_id,
        email: caller.email,
        name: caller.name,
        role: caller.role.into(),
        profile_id,
    };
    envelope::ok(&rqctx, me)
}

pub async fn logout(rqctx: RequestContext<ApiContext>) -> ApiCreated<MessageResponse> {
    let auth = auth::authorize(&rqctx).await?;
    let ctx = rqctx.context();
    ctx.identity
        .provider
        .logout(&auth.caller.account(), &auth.caller.access_token)
        .await?;
    envelope::created(&rqctx, message(LOGGED_OUT_MESSAGE))
}

/// The embedded provider's public keys (`GET /auth/v1/.well-known/jwks.json`); 404 when
/// Supabase issues the tokens (its JWKS is at Supabase).
pub async fn jwks(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
    let Some(embedded) = &rqctx.context().identity.embedded else {
        return Err(ApiError::not_found("This server does not issue tokens"));
    };
    let body = serde_json::to_vec(&embedded.jwks()).map_err(ApiError::internal)?;
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::from(body))
        .map_err(ApiError::internal)
}

// ---- sessions ------------------------------------------------------------------------------

/// The session answer for fresh tokens: the access token goes through the same verification
/// as on every protected route (proving it works there) and provisions the user.
async fn session(ctx: &ApiContext, tokens: TokenPair) -> Result<Session, ApiError> {
    let verified: VerifiedToken = ctx
        .identity
        .verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| {
            ApiError::internal(format!(
                "the identity provider issued a token this server refuses: {e}"
            ))
        })?;
    let caller = ctx
        .callers
        .refresh(&ctx.db, &verified, &tokens.access_token)
        .await?;
    let profile_id = profile_id(&ctx.db, &caller).await?;
    Ok(Session {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".into(),
        expires_in_seconds: tokens.expires_in,
        user: SessionUser {
            id: caller.user_id,
            email: caller.email,
            role: caller.role.into(),
            profile_id,
            supabase_uid: Some(caller.supabase_uid),
            token_version: caller.token_version,
        },
    })
}

/// The reference's `profileId`: the role's profile, and for admins a student row if any.
async fn profile_id(db: &db::PgPool, caller: &Caller) -> Result<Option<String>, ApiError> {
    match caller.role {
        Role::Admin => Ok(users::student_by_user_id(db, &caller.user_id)
            .await?
            .map(|s| s.id)),
        _ => Ok(caller.profile.id().map(str::to_owned)),
    }
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

    #[test]
    fn validation_names_the_fields() {
        let mut e = Vec::new();
        check_email("nope", &mut e);
        check_password("password", "short", &mut e);
        check_password("newPassword", &"x".repeat(2000), &mut e);
        assert_eq!(
            e,
            [
                "email must be an email",
                "password must be longer than or equal to 8 characters",
                "newPassword must be shorter than or equal to 1024 characters"
            ]
        );
        assert_eq!(registrable_role("admin"), None);
        assert_eq!(registrable_role("teacher"), Some(Role::Teacher));
    }
}
