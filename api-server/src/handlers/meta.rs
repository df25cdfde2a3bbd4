//! The service's own routes: liveness, readiness, the OpenAPI document and its reference page.

use std::time::Duration;

use dropshot::{Body, RequestContext};
use http::{Response, StatusCode};

use crate::api::types::meta::{Health, HealthResponse};
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};
use crate::error::ApiError;
use crate::openapi;

/// The reference's liveness answer, kept verbatim for existing clients.
pub const LIVENESS_MESSAGE: &str = "Innova Backend Serverless is running!";

/// How long `/health` waits for the database.
const DB_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn root(rqctx: RequestContext<ApiContext>) -> ApiOk<String> {
    envelope::ok(&rqctx, LIVENESS_MESSAGE.to_string())
}

pub async fn health(rqctx: RequestContext<ApiContext>) -> Result<HealthResponse, ApiError> {
    let db_ok = innova_core::readiness::database_answers(&rqctx.context().db, DB_TIMEOUT).await;
    let (status, health) = if db_ok {
        (
            200,
            Health {
                status: "ok".into(),
                db: "ok".into(),
            },
        )
    } else {
        (
            503,
            Health {
                status: "degraded".into(),
                db: "unavailable".into(),
            },
        )
    };
    let mut envelope = envelope::ok(&rqctx, health)?.0;
    envelope.status_code = status;
    Ok(HealthResponse(envelope))
}

pub async fn openapi_yaml() -> Result<Response<Body>, ApiError> {
    document("application/yaml", openapi::YAML.as_bytes().to_vec())
}

pub async fn openapi_json() -> Result<Response<Body>, ApiError> {
    document("application/json", openapi::json().as_bytes().to_vec())
}

pub async fn docs() -> Result<Response<Body>, ApiError> {
    document("text/html; charset=utf-8", DOCS_PAGE.as_bytes().to_vec())
}

fn document(content_type: &str, body: Vec<u8>) -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::from(body))
        .map_err(ApiError::internal)
}

/// The API reference page: Redoc renders `/openapi.json` (its script comes from a CDN).
const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Innova API reference</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/v2.1.5/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#;
