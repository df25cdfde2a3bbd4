//! The edge: what applies to every response, in one service in front of dropshot (which has no
//! middleware). The local server and the Lambda entry both call [`Edge::handle`], so they behave
//! identically:
//!
//! - CORS from `CORS_ORIGINS` (exact origins, credentials, `x-trace-id` exposed, preflight 204);
//! - the trace id: `x-trace-id` reused when it is a [`valid_trace_id`] (1–128 characters of
//!   `A-Z a-z 0-9 - _ . :`), else a new UUID; passed to dropshot as that header and echoed on
//!   every response;
//! - query strings whose percent-decoded parameters are not UTF-8 (or hold a NUL): 400 naming the
//!   parameter;
//! - the request's [`RequestScope`] (trace id, the path the client called, its IP), opened in the
//!   process's [`Scopes`] for the handler and closed when the response is out: the error headers
//!   a handler left there (`Retry-After`, `WWW-Authenticate`) go on the response;
//! - error bodies: a handler's are complete; a failure no handler answered (dropshot's router:
//!   no such route or method) gets our body, written here from its status alone;
//! - one JSON access-log line per request.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::error::{ErrorBody, ErrorMessage};
use crate::request::{RequestScope, SCOPE_HEADER, Scopes, TRACE_ID_HEADER, now_iso};

/// Any error a body can raise.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error of an [`EdgeBody`]. A struct rather than a bare `Box<dyn Error>`: with the trait
/// object in the body type, rustc infers higher-ranked lifetimes in the edge's futures and
/// then cannot prove them `Send`.
#[derive(Debug)]
pub struct BodyError(pub BoxError);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BodyError {}

/// The body type the edge sends and returns.
pub type EdgeBody = UnsyncBoxBody<Bytes, BodyError>;

/// How long dropshot keeps an idle keep-alive connection: it gives hyper a timer, which turns on
/// hyper's HTTP/1 `header_read_timeout` (30 s by default), and that timer starts as soon as the
/// connection waits for its next request, so an idle connection is closed after 30 s.
const UPSTREAM_IDLE_CLOSE: Duration = Duration::from_secs(30);

/// How long the edge keeps an idle connection to dropshot for reuse. Well under
/// [`UPSTREAM_IDLE_CLOSE`]: a connection reused just as dropshot closes it fails with the request
/// already written (not retryable, a 502). It happened under schemathesis, and on Lambda any
/// invocation arriving as its connection turns 30 s idle could race the same way. The pool
/// checks the age at checkout, so a connection is dropped long before dropshot would close it.
const POOL_IDLE: Duration = Duration::from_secs(5);
const _: () = assert!(POOL_IDLE.as_secs() * 2 <= UPSTREAM_IDLE_CLOSE.as_secs());

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

type Forward = BoxCloneSyncService<Request<EdgeBody>, Response<EdgeBody>, Infallible>;

/// The edge in front of one dropshot server.
#[derive(Clone)]
pub struct Edge {
    service: Forward,
    scopes: Scopes,
}

impl Edge {
    /// An edge forwarding to the dropshot server listening on `upstream` (a loopback address),
    /// sharing `scopes` with its handlers.
    pub fn new(upstream: SocketAddr, cors_origins: &[String], scopes: Scopes) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: Client<HttpConnector, EdgeBody> = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector);

        let forward = tower::service_fn(move |req: Request<EdgeBody>| {
            let client = client.clone();
            async move { Ok::<_, Infallible>(forward(&client, upstream, req).await) }
        });
        let service = ServiceBuilder::new()
            .layer(cors_layer(cors_origins))
            .service(forward);
        let service = service.map_response(|resp: Response<_>| resp.map(boxed));
        Edge {
            service: BoxCloneSyncService::new(service),
            scopes,
        }
    }

    /// Handles one request end to end. `client_ip` is the peer as the transport saw it.
    pub fn handle<B>(
        &self,
        req: Request<B>,
        client_ip: Option<IpAddr>,
    ) -> BoxFuture<'static, Response<EdgeBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let req = req.map(boxed);
        Box::pin(self.clone().process(req, client_ip))
    }

    async fn process(
        self,
        req: Request<EdgeBody>,
        client_ip: Option<IpAddr>,
    ) -> Response<EdgeBody> {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        let trace_id = parts
            .headers
            .get(TRACE_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| valid_trace_id(v))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let trace_value =
            HeaderValue::from_str(&trace_id).unwrap_or_else(|_| HeaderValue::from_static(""));
        let method = parts.method.clone();
        let path = parts.uri.path().to_string();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| path.clone());
        let is_preflight = method == Method::OPTIONS;

        let (key, scope) = self.scopes.open(RequestScope::new(
            trace_id.clone(),
            path.clone(),
            path_and_query,
            client_ip,
        ));
        parts.headers.insert(SCOPE_HEADER, HeaderValue::from(key));
        if let Some(internal) = crate::routes::to_internal(&path) {
            let pq = match parts.uri.query() {
                Some(q) => format!("{internal}?{q}"),
                None => internal,
            };
            if let Ok(uri) = http::Uri::builder().path_and_query(pq).build() {
                parts.uri = uri;
            }
        }
        let mut resp = match uri_problem(&method, &parts.uri) {
            Some((status, message)) => error_response(status, message, &scope),
            None => {
                let req = Request::from_parts(parts, body);
                let Ok(resp) = self.service.clone().oneshot(req).await;
                let failed = resp.status().is_client_error() || resp.status().is_server_error();
                if failed && !scope.answered() {
                    unanswered_error(resp, &method, &scope)
                } else {
                    resp
                }
            }
        };
        self.scopes.close(key);

        if is_preflight && resp.status() == StatusCode::OK {
            // tower-http answers preflights with 200; browsers and the reference use 204.
            *resp.status_mut() = StatusCode::NO_CONTENT;
        }
        let headers = resp.headers_mut();
        for (name, value) in scope.take_headers() {
            headers.insert(name, value);
        }
        headers.insert(TRACE_ID_HEADER, trace_value);

        tracing::info!(
            target: "access",
            method = %method,
            path = %path,
            status = resp.status().as_u16(),
            durationMs = started.elapsed().as_secs_f64() * 1000.0,
            traceId = %trace_id,
            "request"
        );
        resp
    }
}

/// An error response no handler answered — dropshot's router (no such route, a method the path
/// does not take) or an unreachable upstream — given our body, written from its status alone
/// (its own body is dropped, never read). Its headers (`Allow`…) are kept.
fn unanswered_error(
    resp: Response<EdgeBody>,
    method: &Method,
    scope: &RequestScope,
) -> Response<EdgeBody> {
    let (parts, _) = resp.into_parts();
    let status = parts.status;
    let message = match status {
        StatusCode::NOT_FOUND => format!("Cannot {method} {}", scope.path_and_query),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("Method {method} is not allowed on {}", scope.path)
        }
        other => other.canonical_reason().unwrap_or("Error").to_string(),
    };
    let mut written = error_response(status, ErrorMessage::One(message), scope);
    for (name, value) in parts.headers.iter() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            written.headers_mut().insert(name, value.clone());
        }
    }
    written
}

/// Our error body for `status`, with the scope's `timestamp`, `path` and `traceId`.
fn error_response(
    status: StatusCode,
    message: ErrorMessage,
    scope: &RequestScope,
) -> Response<EdgeBody> {
    let code = if status.is_server_error() {
        "INTERNAL_ERROR"
    } else {
        status.canonical_reason().unwrap_or("HTTP_ERROR")
    };
    let body = ErrorBody {
        status_code: status.as_u16(),
        timestamp: now_iso(),
        path: scope.path_and_query.clone(),
        trace_id: scope.trace_id.clone(),
        code: code.to_string(),
        message,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut resp = Response::new(full(bytes.clone()));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    resp
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::POST,
            Method::DELETE,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([HeaderName::from_static(TRACE_ID_HEADER)])
        .max_age(Duration::from_secs(600))
}

async fn forward(
    client: &Client<HttpConnector, EdgeBody>,
    upstream: SocketAddr,
    req: Request<EdgeBody>,
) -> Response<EdgeBody> {
    let (mut parts, body) = req.into_parts();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    parts.uri = match format!("http://{upstream}{pq}").parse() {
        Ok(uri) => uri,
        Err(_) => return plain_status(StatusCode::BAD_REQUEST),
    };
    match client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => resp.map(boxed),
        Err(e) => {
            tracing::error!(error = ?e, "forwarding to the API server failed");
            plain_status(StatusCode::BAD_GATEWAY)
        }
    }
}

/// Longest `x-trace-id` reused; a longer one (or one with other characters) is replaced.
pub const MAX_TRACE_ID: usize = 128;

/// Whether a client's `x-trace-id` is reused: 1–[`MAX_TRACE_ID`] characters of `A-Z a-z 0-9 -
/// _ . :` (a UUID, a ULID, an AWS request id…). Anything else — a 60 KB header, spaces, quotes,
/// control characters — would be echoed on the response and stored with the attempt and in
/// queue messages, so it gets a new id instead.
pub fn valid_trace_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_TRACE_ID
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// What no route can serve, refused here for every route: a NUL (`%00`) or bytes that are not
/// UTF-8 once percent-decoded in the path (a resource that cannot exist: 404), and the same in a
/// query parameter (bad input: 400 naming it). PostgreSQL's `text` cannot hold a NUL.
fn uri_problem(method: &Method, uri: &http::Uri) -> Option<(StatusCode, ErrorMessage)> {
    let path = uri.path();
    let bad_path = path
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"%00"))
        || (path.contains('%')
            && String::from_utf8(percent_encoding::percent_decode(path.as_bytes()).collect())
                .is_err());
    if bad_path {
        return Some((
            StatusCode::NOT_FOUND,
            ErrorMessage::One(format!("Cannot {method} {path}")),
        ));
    }
    let problem = uri.query().and_then(query_problem)?;
    Some((StatusCode::BAD_REQUEST, ErrorMessage::Many(vec![problem])))
}

/// The first problem of a query string: a parameter holding a NUL, or one whose name or value
/// does not decode to UTF-8 (`url`'s parser would silently substitute U+FFFD for such bytes).
fn query_problem(query: &str) -> Option<String> {
    if !query.contains('%') {
        // Without escapes the query is the URI's own (UTF-8, NUL-free) text.
        return None;
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |raw: &str| -> Option<String> {
            let plus = raw.replace('+', " ");
            let bytes: Vec<u8> = percent_encoding::percent_decode(plus.as_bytes()).collect();
            String::from_utf8(bytes).ok()
        };
        let key = decode(raw_key);
        let name = key.clone().unwrap_or_else(|| raw_key.to_string());
        let shown = name.replace('\0', "%00");
        match (key, decode(raw_value)) {
            (Some(k), Some(v)) if k.contains('\0') || v.contains('\0') => {
                return Some(format!("{shown} must not contain NUL characters"));
            }
            (Some(_), Some(_)) => {}
            _ => return Some(format!("{shown} must be valid UTF-8 once percent-decoded")),
        }
    }
    None
}

/// Erases a body's type. A named function rather than a closure: with `Into::into` in a closure,
/// rustc infers a higher-ranked lifetime for the boxed error and then cannot prove `Send`.
fn boxed<B>(body: B) -> EdgeBody
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(|e| BodyError(e.into())).boxed_unsync()
}

fn plain_status(status: StatusCode) -> Response<EdgeBody> {
    let mut resp = Response::new(empty());
    *resp.status_mut() = status;
    resp
}

fn empty() -> EdgeBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn full(bytes: Vec<u8>) -> EdgeBody {
    Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_are_reused_only_when_short_and_plain() {
        for ok in [
            "a",
            "6f1c2a1e-9b7d-4c1e-8f2a-0d3b5c7e9f11",
            "1-67891233-abcdef:x.y_z",
        ] {
            assert!(valid_trace_id(ok), "{ok}");
        }
        assert!(valid_trace_id(&"x".repeat(MAX_TRACE_ID)));
        for bad in ["", " ", "a b", "a\"b", "é", "a\tb", "<script>"] {
            assert!(!valid_trace_id(bad), "{bad:?}");
        }
        assert!(!valid_trace_id(&"x".repeat(MAX_TRACE_ID + 1)));
        assert!(!valid_trace_id(&"x".repeat(60 * 1024)));
    }

    #[test]
    fn query_strings_must_decode_to_utf8_without_nul() {
        assert_eq!(query_problem("limit=3&q=caf%C3%A9+au+lait&flag&&"), None);
        assert_eq!(
            query_problem("limit=3&q=%FF%FE").as_deref(),
            Some("q must be valid UTF-8 once percent-decoded")
        );
        assert_eq!(
            query_problem("%C3=1").as_deref(),
            Some("%C3 must be valid UTF-8 once percent-decoded")
        );
        assert_eq!(
            query_problem("q=a%00b").as_deref(),
            Some("q must not contain NUL characters")
        );
        assert_eq!(
            query_problem("a%00=1").as_deref(),
            Some("a%00 must not contain NUL characters")
        );
        // A lone `%` is no escape: left as it is, like every decoder.
        assert_eq!(query_problem("q=100%"), None);
    }
}
