//! `/auth/*` (api.md §2.2, decision 13): a thin, safe front for the identity provider whose
//! tokens work on every protected route.
//!
//! * `register` creates the account at the provider (role student, teacher or parent — `admin`
//!   is a 400 like any value outside the list) and never overwrites: an existing email is 409.
//! * `login` / `refresh`: bad credentials, unknown emails and bad refresh tokens are one 401.
//! * `forgot-password` answers 202 with the same message whatever the email; for a known
//!   account it stores the SHA-256 of a single-use random code valid 15 minutes and e-mails
//!   the link `<PUBLIC_APP_URL origin>/auth/reset?token=<base64url {"email","code"}>`, within
//!   the request (nothing runs after the answer on Lambda); every answer takes at least
//!   [`RESET_ANSWER_FLOOR`], so response times do not tell whether the email has an account.
//! * `confirm-forgot-password` uses the code up, sets the password at the provider, revokes
//!   the account's sessions and bumps `token_version`; any bad code is one 401.
//! * `logout` revokes the caller's refresh tokens at the provider.
//! * The public routes are rate-limited per client IP and per email (429 + `Retry-After`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

use dropshot::{Body, RequestContext};
use http::{Response, StatusCode};
use innova_core::db::{self, accounts, users};
use innova_core::identity::password::{random_token, sha256_hex};
use innova_core::identity::{IdentityError, TokenPair, VerifiedToken, normalize_email};
use innova_core::mail;

use crate::api::types::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, MAX_REFRESH_TOKEN_LEN, Me,
    RefreshRequest, RegisterRequest, Session, SessionUser,
};
use crate::api::types::common::MessageResponse;
use crate::auth::{self, Caller, Role, rate_limit::client_ip};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;

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
/// The least time a `forgot-password` answer takes: longer than looking the account up and
/// sending its e-mail usually take, so that known and unknown emails answer alike.
pub const RESET_ANSWER_FLOOR: Duration = Duration::from_millis(800);

// ---- handlers ------------------------------------------------------------------------------

pub async fn register(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<RegisterRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let role = body.role().unwrap_or(Role::Student);
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;
    // An email known here (seeded, provisioned, registered earlier) is taken even if the
    // provider has never seen it.
    if users::user_by_email(&ctx.db, &email).await?.is_some() {
        return Err(IdentityError::EmailTaken.into());
    }
    let provider = &ctx.identity.provider;
    provider.create_user(&email, &body.password, role).await?;
    let tokens = provider.password_grant(&email, &body.password).await?;
    envelope::created(&rqctx, session(ctx, tokens).await?)
}

pub async fn login(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<LoginRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;
    let tokens = ctx
        .identity
        .provider
        .password_grant(&email, &body.password)
        .await?;
    envelope::created(&rqctx, session(ctx, tokens).await?)
}

pub async fn refresh(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<RefreshRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let token = body.refresh_token.trim();
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), None)?;
    if token.len() > MAX_REFRESH_TOKEN_LEN {
        return Err(IdentityError::InvalidRefreshToken.into());
    }
    let tokens = ctx.identity.provider.refresh_grant(token).await?;
    envelope::created(&rqctx, session(ctx, tokens).await?)
}

pub async fn forgot_password(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<ForgotPasswordRequest>,
) -> ApiAccepted<MessageResponse> {
    let body = body.parse()?;
    let email = normalize_email(&body.email);
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), Some(&email))?;

    // Same answer, and no sooner than the floor, for every email: the work is done here, before
    // answering, because nothing runs after the answer on Lambda.
    let answer_at = tokio::time::Instant::now() + RESET_ANSWER_FLOOR;
    let app_url = ctx.config.public_app_url.as_ref().map(|u| u.to_string());
    let needs_uid = ctx.identity.provider.kind() == innova_core::identity::ProviderKind::Supabase;
    if let Err(e) = send_reset(
        &ctx.db,
        ctx.mailer.as_ref(),
        app_url.as_deref(),
        &email,
        needs_uid,
    )
    .await
    {
        tracing::error!(error = %e, "password-reset e-mail failed");
    }
    tokio::time::sleep_until(answer_at).await;
    envelope::accepted(&rqctx, MessageResponse::new(RESET_REQUESTED_MESSAGE))
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
    body: JsonBody<ConfirmForgotPasswordRequest>,
) -> ApiCreated<MessageResponse> {
    let body = body.parse()?;
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
    envelope::created(&rqctx, MessageResponse::new(PASSWORD_UPDATED_MESSAGE))
}

pub async fn me(rqctx: RequestContext<ApiContext>) -> ApiOk<Me> {
    let caller = auth::authorize(&rqctx).await?.role_only()?.clone();
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
    let gate = auth::authorize(&rqctx).await?;
    let caller = gate.role_only()?;
    let ctx = rqctx.context();
    ctx.identity
        .provider
        .logout(&caller.account(), &caller.access_token)
        .await?;
    envelope::created(&rqctx, MessageResponse::new(LOGGED_OUT_MESSAGE))
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
        use crate::validate::validated;
        let e = validated(RegisterRequest {
            email: "nope".into(),
            password: "short".into(),
            role: "admin".into(),
        })
        .unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "email must be an email".into(),
                "password must be longer than or equal to 8 characters".into(),
                "role must be one of the following values: student, teacher, parent".into(),
            ])
        );
        let e = validated(ConfirmForgotPasswordRequest {
            email: "a@b.co".into(),
            code: "c".into(),
            new_password: "x".repeat(2000),
        })
        .unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "newPassword must be shorter than or equal to 1024 characters".into()
            ])
        );
    }
}
