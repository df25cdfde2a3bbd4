//! The Lambda entry: API Gateway REST (v1), HTTP API (v2) and Function URL events are turned
//! into HTTP requests by `lambda_http`, go through the same [`Edge`] as the local server, and
//! reach the in-process dropshot server over a pooled loopback connection.

use std::net::IpAddr;

use http_body_util::BodyExt;
use innova_core::config::Config;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::context::ApiContext;
use crate::edge::Edge;
use crate::server::start_dropshot;

/// Cold start: validate configuration, build the context, start dropshot, then serve events.
pub async fn run(config: Config) -> Result<(), lambda_http::Error> {
    let cors = config.cors_origins.clone();
    let context = ApiContext::new(config)?;
    let scopes = context.scopes.clone();
    let dropshot = start_dropshot(context)?;
    let edge = Edge::new(dropshot.local_addr(), &cors, scopes);
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let edge = edge.clone();
        async move { handle(&edge, req).await }
    }))
    .await
}

/// Handles one event already converted to an HTTP request.
pub async fn handle(edge: &Edge, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let client_ip = source_ip(&req);
    let req = without_stage(req)?;
    let resp = edge.handle(req, client_ip).await;
    let (parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|e| lambda_http::Error::from(e.to_string()))?
        .to_bytes();
    let body = if bytes.is_empty() {
        Body::Empty
    } else if is_text(&parts.headers) {
        // Text stays text: API Gateway REST would hand base64 to clients without binary types.
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    } else {
        Body::Binary(bytes.to_vec())
    };
    Ok(Response::from_parts(parts, body))
}

/// API Gateway REST puts the stage in the path (`/prod/attempts`); routes live at the root, as on
/// the custom domain (empty base path), so the stage-less raw path is what dropshot must see.
fn without_stage(req: Request) -> Result<Request, lambda_http::Error> {
    let raw = req.raw_http_path();
    if raw.is_empty() || raw == req.uri().path() {
        return Ok(req);
    }
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{raw}?{q}"),
        None => raw.to_string(),
    };
    let (mut parts, body) = req.into_parts();
    let mut uri = parts.uri.clone().into_parts();
    uri.path_and_query = Some(path_and_query.parse()?);
    parts.uri = http::Uri::from_parts(uri)?;
    Ok(Request::from_parts(parts, body))
}

fn source_ip(req: &Request) -> Option<IpAddr> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.clone(),
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        _ => None,
    }?;
    ip.parse().ok()
}

fn is_text(headers: &http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/") || ct.contains("json") || ct.contains("yaml") || ct.contains("xml")
}
