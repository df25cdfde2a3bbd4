//! `/auth/*` (api.md §2.2, decision 13): the identity routes ([`innova_app::auth`]). The public
//! ones are rate-limited per client IP and per email (429 + `Retry-After`) here, at the edge of
//! the use cases.

use dropshot::{Body, RequestContext};
use http::{Response, StatusCode};
use innova_app::auth as accounts;
use innova_app::authz::op;
use innova_core::identity::normalize_email;

use crate::api::types::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, Me, RefreshRequest,
    RegisterRequest, Session, SessionUser,
};
use crate::api::types::common::MessageResponse;
use crate::auth::{self, Role, rate_limit::client_ip};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;

/// The answer of `forgot-password`, whatever the email (the reference's text).
pub const RESET_REQUESTED_MESSAGE: &str =
    "A password reset link has been sent to your email. Check your inbox and spam folder.";
pub const PASSWORD_UPDATED_MESSAGE: &str = "Password updated successfully";
pub const LOGGED_OUT_MESSAGE: &str = "Session revoked successfully";

pub async fn register(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<RegisterRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let role = body.role().unwrap_or(Role::Student);
    let ctx = rqctx.context();
    ctx.auth_limits
        .check(&client_ip(&rqctx), Some(&normalize_email(&body.email)))?;
    let session = accounts::register(ctx, &ctx.accounts, &body.email, &body.password, role).await?;
    envelope::created(&rqctx, session.into())
}

pub async fn login(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<LoginRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let ctx = rqctx.context();
    ctx.auth_limits
        .check(&client_ip(&rqctx), Some(&normalize_email(&body.email)))?;
    let session = accounts::login(ctx, &ctx.accounts, &body.email, &body.password).await?;
    envelope::created(&rqctx, session.into())
}

pub async fn refresh(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<RefreshRequest>,
) -> ApiCreated<Session> {
    let body = body.parse()?;
    let ctx = rqctx.context();
    ctx.auth_limits.check(&client_ip(&rqctx), None)?;
    let session = accounts::refresh(ctx, &ctx.accounts, &body.refresh_token).await?;
    envelope::created(&rqctx, session.into())
}

pub async fn forgot_password(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<ForgotPasswordRequest>,
) -> ApiAccepted<MessageResponse> {
    let body = body.parse()?;
    let ctx = rqctx.context();
    ctx.auth_limits
        .check(&client_ip(&rqctx), Some(&normalize_email(&body.email)))?;
    accounts::forgot_password(ctx, &ctx.accounts, &body.email).await;
    envelope::accepted(&rqctx, MessageResponse::new(RESET_REQUESTED_MESSAGE))
}

pub async fn confirm_forgot_password(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<ConfirmForgotPasswordRequest>,
) -> ApiCreated<MessageResponse> {
    let body = body.parse()?;
    let ctx = rqctx.context();
    ctx.auth_limits
        .check(&client_ip(&rqctx), Some(&normalize_email(&body.email)))?;
    accounts::confirm_forgot_password(
        ctx,
        &ctx.accounts,
        &body.email,
        &body.code,
        &body.new_password,
    )
    .await?;
    envelope::created(&rqctx, MessageResponse::new(PASSWORD_UPDATED_MESSAGE))
}

pub async fn me(rqctx: RequestContext<ApiContext>) -> ApiOk<Me> {
    let permit = auth::admit::<op::AuthMe>(&rqctx).await?;
    let (caller, profile_id) = accounts::me(rqctx.context(), &permit).await?;
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
    let permit = auth::admit::<op::AuthLogout>(&rqctx).await?;
    accounts::logout(&rqctx.context().accounts, &permit).await?;
    envelope::created(&rqctx, MessageResponse::new(LOGGED_OUT_MESSAGE))
}

/// The embedded provider's public keys (`GET /auth/v1/.well-known/jwks.json`); 404 when
/// Supabase issues the tokens (its JWKS is at Supabase).
pub async fn jwks(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
    let Some(embedded) = &rqctx.context().accounts.identity.embedded else {
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

impl From<accounts::Session> for Session {
    fn from(s: accounts::Session) -> Self {
        let caller = s.caller;
        Session {
            access_token: s.tokens.access_token,
            refresh_token: s.tokens.refresh_token,
            token_type: "Bearer".into(),
            expires_in_seconds: s.tokens.expires_in,
            user: SessionUser {
                id: caller.user_id,
                email: caller.email,
                role: caller.role.into(),
                profile_id: s.profile_id,
                supabase_uid: Some(caller.supabase_uid),
                token_version: caller.token_version,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
