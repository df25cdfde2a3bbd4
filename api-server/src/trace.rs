//! The request span: opened once per request around its handler (the trait implementation's
//! `traced!`), so every log line a request writes — handlers, `ApiError::internal`, the use
//! cases below — carries its method, path, trace id and operation.

use dropshot::{RequestContext, ServerContext};

use crate::request::RequestScope;

/// The span of one request.
pub fn request_span<C: ServerContext>(
    scope: &RequestScope,
    rqctx: &RequestContext<C>,
) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %rqctx.request.method(),
        path = %scope.path,
        traceId = %scope.trace_id,
        operationId = %rqctx.endpoint.operation_id,
    )
}
