//! The success envelope `{statusCode, data, timestamp, path, traceId}` wrapped around every
//! successful body (decisions §1; `statusCode` is the real HTTP status, decision 1).

use dropshot::{
    HttpResponseAccepted, HttpResponseCreated, HttpResponseOk, RequestContext, ServerContext,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::ApiError;

/// The trace-id header, read and written by the edge and echoed in every body.
pub const TRACE_ID_HEADER: &str = "x-trace-id";

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

/// The current time as the API prints it: ISO-8601 UTC with milliseconds.
pub fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The trace id of a request: the edge guarantees the header is present and non-empty.
pub fn trace_id<C: ServerContext>(rqctx: &RequestContext<C>) -> String {
    rqctx
        .request
        .headers()
        .get(TRACE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The path the client called (the edge records it before mapping it onto a declared route).
pub fn public_path<C: ServerContext>(rqctx: &RequestContext<C>) -> String {
    rqctx
        .request
        .headers()
        .get(crate::edge::PUBLIC_PATH_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| rqctx.request.uri().path().to_string())
}

fn envelope<C: ServerContext, T>(rqctx: &RequestContext<C>, status: u16, data: T) -> Envelope<T> {
    Envelope {
        status_code: status,
        data,
        timestamp: now_iso(),
        path: public_path(rqctx),
        trace_id: trace_id(rqctx),
    }
}

/// 200 with `data`.
pub fn ok<C: ServerContext, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiOk<T> {
    Ok(HttpResponseOk(envelope(rqctx, 200, data)))
}

/// 201 with `data`.
pub fn created<C: ServerContext, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiCreated<T> {
    Ok(HttpResponseCreated(envelope(rqctx, 201, data)))
}

/// 202 with `data`.
pub fn accepted<C: ServerContext, T: Serialize + JsonSchema + Send + Sync + 'static>(
    rqctx: &RequestContext<C>,
    data: T,
) -> ApiAccepted<T> {
    Ok(HttpResponseAccepted(envelope(rqctx, 202, data)))
}
