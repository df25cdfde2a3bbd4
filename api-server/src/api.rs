//! The HTTP contract: one dropshot API trait. `openapi.yaml` at the repository root is generated
//! from it (`innova openapi > openapi.yaml`) and a test fails when the two differ.
//!
//! Request and response types live next to their handlers (`crate::handlers::*`) or, when the
//! workers share them, in `innova-core`.

use dropshot::{Body, RequestContext};
use http::Response;

use dropshot::TypedBody;

use crate::envelope::{ApiAccepted, ApiCreated, ApiOk};
use crate::handlers::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, Me, MessageResponse,
    RefreshRequest, RegisterRequest, Session,
};
use crate::handlers::meta::HealthResponse;

/// The Innova API.
#[dropshot::api_description]
pub trait InnovaApi {
    type Context;

    /// Liveness.
    ///
    /// Answers as long as the process runs, without touching any dependency.
    #[endpoint { method = GET, path = "/", tags = ["app"] }]
    async fn root(rqctx: RequestContext<Self::Context>) -> ApiOk<String>;

    /// Readiness of the service and its database.
    ///
    /// 200 `{status: "ok", db: "ok"}` when the database answers within one second,
    /// 503 `{status: "degraded", db: "unavailable"}` when it does not.
    #[endpoint { method = GET, path = "/health", tags = ["app"] }]
    async fn health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HealthResponse, crate::error::ApiError>;

    /// This OpenAPI document, as YAML.
    #[endpoint { method = GET, path = "/openapi.yaml", tags = ["app"] }]
    async fn openapi_yaml(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// This OpenAPI document, as JSON.
    #[endpoint { method = GET, path = "/openapi.json", tags = ["app"] }]
    async fn openapi_json(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// A readable API reference (HTML) rendering this OpenAPI document.
    #[endpoint { method = GET, path = "/docs", tags = ["app"] }]
    async fn docs(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// Download from the local object store through a signed URL (local mode only; unpublished).
    #[endpoint { method = GET, path = "/local-objects/{bucket}/{key:.*}", unpublished = true }]
    async fn local_object_get(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<crate::handlers::local_objects::LocalObjectPath>,
        query: dropshot::Query<crate::handlers::local_objects::LocalObjectQuery>,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// Upload to the local object store through a signed URL (local mode only; unpublished).
    #[endpoint {
        method = PUT,
        path = "/local-objects/{bucket}/{key:.*}",
        unpublished = true,
        request_body_max_bytes = crate::handlers::local_objects::MAX_UPLOAD_BYTES,
    }]
    async fn local_object_put(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<crate::handlers::local_objects::LocalObjectPath>,
        query: dropshot::Query<crate::handlers::local_objects::LocalObjectQuery>,
        body: dropshot::UntypedBody,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// The embedded identity provider's public keys (JWKS).
    ///
    /// The keys that sign the tokens this server issues when no Supabase project is configured
    /// (local use). With Supabase, the keys are Supabase's and this route answers 404. The
    /// document is a bare JWKS (`{keys: [...]}`), not wrapped in the envelope.
    #[endpoint { method = GET, path = "/auth/v1/.well-known/jwks.json", tags = ["auth"] }]
    async fn auth_jwks(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, crate::error::ApiError>;

    /// Create an account and sign in.
    ///
    /// Creates the account at the identity provider with the role `student`, `teacher` or
    /// `parent` (never `admin`), then signs it in. An email that already has an account is
    /// 409: nothing is overwritten. Rate-limited per client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/register", tags = ["auth"] }]
    async fn auth_register(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<RegisterRequest>,
    ) -> ApiCreated<Session>;

    /// Sign in with email and password.
    ///
    /// A wrong password and an unknown email get the same 401. Rate-limited per client IP and
    /// per email (429).
    #[endpoint { method = POST, path = "/auth/login", tags = ["auth"] }]
    async fn auth_login(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<LoginRequest>,
    ) -> ApiCreated<Session>;

    /// Exchange a refresh token for new tokens.
    ///
    /// Refresh tokens are single use: the answer carries a new one. An unknown, expired,
    /// revoked or malformed refresh token is 401. Rate-limited per client IP (429).
    #[endpoint { method = POST, path = "/auth/refresh", tags = ["auth"] }]
    async fn auth_refresh(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<RefreshRequest>,
    ) -> ApiCreated<Session>;

    /// Ask for a password-reset e-mail.
    ///
    /// Always 202 with the same message, whether or not the email has an account. For an
    /// account, an e-mail with a single-use link valid 15 minutes is sent. Rate-limited per
    /// client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/forgot-password", tags = ["auth"] }]
    async fn auth_forgot_password(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ForgotPasswordRequest>,
    ) -> ApiAccepted<MessageResponse>;

    /// Set a new password with a reset code.
    ///
    /// The code comes from the reset link. It works once, for 15 minutes; any invalid, used or
    /// expired code is 401. The account's existing sessions are revoked. Rate-limited per
    /// client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/confirm-forgot-password", tags = ["auth"] }]
    async fn auth_confirm_forgot_password(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<ConfirmForgotPasswordRequest>,
    ) -> ApiCreated<MessageResponse>;

    /// The current user.
    ///
    /// The caller's user id, email, display name, role (from the token's `app_metadata.role`)
    /// and profile id. The first authenticated request of a user creates their user and
    /// profile rows.
    #[endpoint { method = GET, path = "/auth/me", tags = ["auth"] }]
    async fn auth_me(rqctx: RequestContext<Self::Context>) -> ApiOk<Me>;

    /// Sign out everywhere.
    ///
    /// Revokes the caller's refresh tokens at the identity provider. Access tokens already
    /// issued stay valid until they expire.
    #[endpoint { method = POST, path = "/auth/logout", tags = ["auth"] }]
    async fn auth_logout(rqctx: RequestContext<Self::Context>) -> ApiCreated<MessageResponse>;
}
