//! The service's own routes: liveness, readiness, the OpenAPI document.

use dropshot::{ApiEndpointResponse, Body, HttpResponse};
use http::{Response, StatusCode};
use schemars::JsonSchema;
use serde::Serialize;

use crate::envelope::Envelope;

/// Readiness of the service and its database.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// `ok`, or `degraded` when a dependency does not answer.
    pub status: String,
    /// `ok`, or `unavailable` when the database does not answer within one second.
    pub db: String,
}

/// `Envelope<Health>` with status 200 or 503: dropshot's coded responses have one fixed status,
/// and the deployment runbook needs both bodies.
pub struct HealthResponse(pub Envelope<Health>);

impl HttpResponse for HealthResponse {
    fn to_result(self) -> Result<Response<Body>, dropshot::HttpError> {
        let status = StatusCode::from_u16(self.0.status_code).unwrap_or(StatusCode::OK);
        let body = serde_json::to_vec(&self.0)
            .map_err(|e| dropshot::HttpError::for_internal_error(e.to_string()))?;
        Ok(Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))?)
    }

    fn response_metadata() -> ApiEndpointResponse {
        ApiEndpointResponse {
            description: Some(
                "ready (200); the same body with status 503 when the database does not answer"
                    .to_string(),
            ),
            ..<dropshot::HttpResponseOk<Envelope<Health>> as HttpResponse>::response_metadata()
        }
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status_code).unwrap_or(StatusCode::OK)
    }
}
