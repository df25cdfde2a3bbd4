//! The request span: opened once per request around its handler (the trait implementation's
//! `traced!`), so every log line a request writes — handlers, `ApiError::internal`, the use
//! cases below — carries its method, path, trace id and operation.

use dropshot::{RequestContext, ServerContext};

use crate::envelope;

/// The span of one request.
pub fn request_span<C: ServerContext>(rqctx: &RequestContext<C>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %rqctx.request.method(),
        path = %envelope::public_path(rqctx),
        traceId = %envelope::trace_id(rqctx),
        operationId = %rqctx.endpoint.operation_id,
    )
}
