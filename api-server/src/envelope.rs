//! The success envelope `{statusCode, data, timestamp, path, traceId}` wrapped around every
//! successful body (decisions §1; `statusCode` is the real HTTP status, decision 1).

use dropshot::{HttpResponseAccepted, HttpResponseCreated, HttpResponseOk, RequestContext};
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::ApiError;
use crate::request::{self, HasScopes, now_iso};

/// A successful response.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// The HTTP status of the response.
    pub status_code: u16,
    /// The result.
    pub data: T,
    /// When the response was produced (ISO-8601 UTC, milliseconds).
    pub timestamp: String,
    /// The request path, without its query string.
    pub path: String,
    /// The request's trace id (the `x-trace-id` header).
    pub trace_id: String,
}

/// What a handler returns for 200.
pub type ApiOk<T> = Result<HttpResponseOk<Envelope<T>>, ApiError>;
/// What a handler returns for 201.
pub type ApiCreated<T> = Result<HttpResponseCreated<Envelope<T>>, ApiError>;
/// What a handler returns for 202.
pub type ApiAccepted<T> = Result<HttpResponseAccepted<Envelope<T>>, ApiError>;

/// The trace id of a request (its scope's: the client's `x-trace-id` when valid, else new).
pub fn trace_id<C: HasScopes>(rqctx: &RequestContext<C>) -> String {
    request::scope(rqctx).trace_id.clone()
}

fn envelope<C: HasScopes, T>(rqctx: &RequestContext<C>, status: u16, data: T) -> Envelope<T> {
    let scope = request::scope(rqctx);
    Envelope {
        status_code: status,
        data,
        timestamp: now_iso(),
        path: scope.path.clone(),
        trace_id: scope.trace_id.clone(),
    }
}

/// 200 with `data`.
pub fn ok<C: HasScopes, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiOk<T> {
    Ok(HttpResponseOk(envelope(rqctx, 200, data)))
}

/// 201 with `data`.
pub fn created<C: HasScopes, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiCreated<T> {
    Ok(HttpResponseCreated(envelope(rqctx, 201, data)))
}

/// 202 with `data`.
pub fn accepted<C: HasScopes, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiAccepted<T> {
    Ok(HttpResponseAccepted(envelope(rqctx, 202, data)))
}
