//! The HTTP contract: one dropshot API trait. `openapi.yaml` at the repository root is generated
//! from it (`innova openapi > openapi.yaml`) and a test fails when the two differ.
//!
//! Request and response types live next to their handlers (`crate::handlers::*`) or, when the
//! workers share them, in `innova-core`.

use dropshot::{Body, RequestContext};
use http::Response;

use crate::envelope::ApiOk;
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
    async fn health(rqctx: RequestContext<Self::Context>) -> Result<HealthResponse, crate::error::ApiError>;

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
}
