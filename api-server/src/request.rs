//! What the edge knows of a request and its handler needs, handed over in-process as a typed
//! value rather than through request headers or the error body.
//!
//! Dropshot serves on a loopback socket behind the edge ([`crate::edge`]), so nothing but the
//! HTTP request crosses from one to the other. The edge opens a [`RequestScope`] per request —
//! its trace id, the path and query the client called, the client's IP — in the process's
//! [`Scopes`], and names it to dropshot by an opaque key (the [`SCOPE_HEADER`], which it sets
//! itself, overwriting any value a client sent). The handler reads the scope with [`scope`];
//! on its way out an error leaves its extra response headers (`Retry-After`,
//! `WWW-Authenticate`) in the scope and marks it answered; the edge then closes the scope,
//! adds those headers, and knows that a failed response without an answered scope came from
//! dropshot's router (no such route or method), whose body it writes itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dropshot::{RequestContext, ServerContext};
use http::{HeaderName, HeaderValue};

/// The trace-id header: read from the client, echoed on every response (decisions §1).
pub const TRACE_ID_HEADER: &str = "x-trace-id";

/// The header naming a request's scope to dropshot (set by the edge only).
pub const SCOPE_HEADER: &str = "x-innova-scope";

/// One request as the edge saw it.
#[derive(Debug)]
pub struct RequestScope {
    /// The trace id in use: the client's `x-trace-id` when valid, else a new UUID.
    pub trace_id: String,
    /// The path the client called (before the edge mapped it onto a declared route).
    pub path: String,
    /// The path with the query string, as the client sent it.
    pub path_and_query: String,
    /// The client's address as the transport (or the Lambda event) reported it.
    pub client_ip: Option<IpAddr>,
    /// Set when a handler returned: its error body is complete.
    answered: AtomicBool,
    /// Response headers an error asked for.
    headers: Mutex<Vec<(HeaderName, HeaderValue)>>,
}

impl RequestScope {
    pub fn new(
        trace_id: String,
        path: String,
        path_and_query: String,
        client_ip: Option<IpAddr>,
    ) -> Self {
        RequestScope {
            trace_id,
            path,
            path_and_query,
            client_ip,
            answered: AtomicBool::new(false),
            headers: Mutex::default(),
        }
    }

    /// The handler has answered (its response, error or not, is complete).
    pub fn mark_answered(&self) {
        self.answered.store(true, Ordering::Release);
    }

    pub fn answered(&self) -> bool {
        self.answered.load(Ordering::Acquire)
    }

    /// Adds response headers (an error's `Retry-After`, `WWW-Authenticate`…).
    pub fn add_headers(&self, headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>) {
        if let Ok(mut h) = self.headers.lock() {
            h.extend(headers);
        }
    }

    /// The headers added so far, taken.
    pub fn take_headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        self.headers
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default()
    }
}

/// The scopes of the requests in flight, shared by the edge and the handlers of one process.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    open: Arc<Mutex<HashMap<u64, Arc<RequestScope>>>>,
}

impl Scopes {
    /// Registers `scope` under a fresh random key (unguessable: the key is all a handler reads
    /// from the request).
    pub fn open(&self, scope: RequestScope) -> (u64, Arc<RequestScope>) {
        let scope = Arc::new(scope);
        let mut open = self
            .open
            .lock()
            .expect("the scope registry is never poisoned");
        let key = loop {
            let key = uuid::Uuid::new_v4().as_u64_pair().0;
            if !open.contains_key(&key) {
                break key;
            }
        };
        open.insert(key, scope.clone());
        (key, scope)
    }

    pub fn get(&self, key: u64) -> Option<Arc<RequestScope>> {
        self.open.lock().ok()?.get(&key).cloned()
    }

    /// Removes a request's scope once its response is out.
    pub fn close(&self, key: u64) -> Option<Arc<RequestScope>> {
        self.open.lock().ok()?.remove(&key)
    }

    /// Requests in flight (tests: none may leak).
    pub fn len(&self) -> usize {
        self.open.lock().map(|o| o.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A server context that holds the process's [`Scopes`].
pub trait HasScopes: ServerContext {
    fn scopes(&self) -> &Scopes;
}

/// The scope of this request. A request that did not come through the edge (dropshot's socket
/// called directly, which only the loopback can do) gets one made from the request itself.
pub fn scope<C: HasScopes>(rqctx: &RequestContext<C>) -> Arc<RequestScope> {
    let key = rqctx
        .request
        .headers()
        .get(SCOPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(scope) = key.and_then(|k| rqctx.context().scopes().get(k)) {
        return scope;
    }
    let uri = rqctx.request.uri();
    Arc::new(RequestScope::new(
        uuid::Uuid::new_v4().to_string(),
        crate::routes::to_public(uri.path()),
        uri.path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        None,
    ))
}

/// The current time as the API prints it: ISO-8601 UTC with milliseconds.
pub fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_is_found_by_its_key_until_closed_and_keeps_its_headers() {
        let scopes = Scopes::default();
        let (key, scope) = scopes.open(RequestScope::new(
            "t".into(),
            "/a".into(),
            "/a?x=1".into(),
            None,
        ));
        assert!(Arc::ptr_eq(&scopes.get(key).unwrap(), &scope));
        assert!(!scope.answered());
        scope.mark_answered();
        scope.add_headers([(http::header::RETRY_AFTER, HeaderValue::from_static("3"))]);
        let closed = scopes.close(key).unwrap();
        assert!(closed.answered());
        assert_eq!(closed.take_headers().len(), 1);
        assert!(closed.take_headers().is_empty(), "taken once");
        assert!(scopes.get(key).is_none() && scopes.is_empty());
    }
}
