//! The service routes and the edge: envelope, trace ids, error bodies, CORS.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{ALLOWED_ORIGIN, spawn, spawn_with};

fn assert_iso_millis(ts: &str) {
    let parsed = chrono::DateTime::parse_from_rfc3339(ts).expect("timestamp is RFC 3339");
    assert!(
        ts.ends_with('Z') && ts.len() == "2026-05-02T12:00:00.000Z".len(),
        "not ISO-8601 UTC with milliseconds: {ts}"
    );
    assert_eq!(parsed.offset().local_minus_utc(), 0);
}

#[tokio::test]
async fn root_answers_the_liveness_message_in_the_envelope() {
    let app = spawn().await;
    let resp = app.client.root().send().await.expect("GET / succeeds");
    let trace_header = resp
        .headers()
        .get("x-trace-id")
        .expect("x-trace-id header")
        .to_str()
        .unwrap()
        .to_string();
    let body = resp.into_inner();
    assert_eq!(body.status_code, 200);
    assert_eq!(body.data, "Innova Backend Serverless is running!");
    assert_eq!(body.path, "/");
    assert_eq!(body.trace_id, trace_header);
    uuid::Uuid::parse_str(&body.trace_id).expect("a generated trace id is a UUID");
    assert_iso_millis(&body.timestamp);
}

#[tokio::test]
async fn a_given_trace_id_is_reused_and_an_empty_one_replaced() {
    let app = spawn().await;
    let resp = app
        .http
        .get(format!("{}/", app.base_url))
        .header("x-trace-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-trace-id"], "trace-abc-123");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["traceId"], "trace-abc-123");

    let resp = app
        .http
        .get(format!("{}/", app.base_url))
        .header("x-trace-id", "")
        .send()
        .await
        .unwrap();
    let header = resp.headers()["x-trace-id"].to_str().unwrap().to_string();
    uuid::Uuid::parse_str(&header).expect("an empty trace id is replaced by a UUID");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["traceId"], header);
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = spawn().await;
    let body = app
        .client
        .health()
        .send()
        .await
        .expect("healthy")
        .into_inner();
    assert_eq!(body.status_code, 200);
    assert_eq!(
        (body.data.status.as_str(), body.data.db.as_str()),
        ("ok", "ok")
    );
}

#[tokio::test]
async fn health_is_503_degraded_when_the_database_does_not_answer() {
    // Nothing listens on port 1: the lazy pool cannot connect.
    let app = spawn_with("postgres://postgres@127.0.0.1:1/nowhere", &[]).await;
    let resp = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], 503);
    assert_eq!(
        body["data"],
        serde_json::json!({"status": "degraded", "db": "unavailable"})
    );
    // Liveness does not depend on the database.
    assert!(app.client.root().send().await.is_ok());
}

#[tokio::test]
async fn unknown_route_is_404_with_the_error_body_and_a_trace_id() {
    let app = spawn().await;
    let resp = app
        .http
        .get(format!("{}/nope?x=1&y=2", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let trace = resp.headers()["x-trace-id"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], 404);
    assert_eq!(body["path"], "/nope?x=1&y=2");
    assert_eq!(body["code"], "Not Found");
    assert_eq!(body["message"], "Cannot GET /nope?x=1&y=2");
    assert_eq!(body["traceId"], trace);
    assert_iso_millis(body["timestamp"].as_str().unwrap());
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6, "exactly the six error fields: {keys:?}");
}

#[tokio::test]
async fn wrong_method_is_405_with_the_error_body() {
    let app = spawn().await;
    let resp = app
        .http
        .delete(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        resp.headers().get("allow").is_some(),
        "405 names the allowed methods"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], 405);
    assert_eq!(body["code"], "Method Not Allowed");
    assert_eq!(body["path"], "/health");
    assert!(body["traceId"].as_str().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_204_with_cors_headers() {
    let app = spawn().await;
    let resp = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/attempts", app.base_url),
        )
        .header("origin", ALLOWED_ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-trace-id",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED_ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert!(h.get("x-trace-id").is_some());
}

#[tokio::test]
async fn preflight_from_another_origin_gets_no_allow_origin() {
    let app = spawn().await;
    let resp = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/attempts", app.base_url),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let resp = app
        .http
        .get(format!("{}/", app.base_url))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cross_origin_responses_expose_the_trace_id() {
    let app = spawn().await;
    for path in ["/", "/nope"] {
        let resp = app
            .http
            .get(format!("{}{path}", app.base_url))
            .header("origin", ALLOWED_ORIGIN)
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], ALLOWED_ORIGIN, "{path}");
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert!(
            h["access-control-expose-headers"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("x-trace-id")
        );
    }
}

#[tokio::test]
async fn the_contract_and_its_reference_page_are_served() {
    let app = spawn().await;
    let yaml = app
        .http
        .get(format!("{}/openapi.yaml", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(yaml.status(), StatusCode::OK);
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    assert_eq!(yaml.text().await.unwrap(), checked_in);

    let json: Value = app
        .http
        .get(format!("{}/openapi.json", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(json["openapi"].as_str().unwrap().starts_with("3."));
    assert!(json["paths"]["/health"]["get"].is_object());

    let docs = app
        .http
        .get(format!("{}/docs", app.base_url))
        .send()
        .await
        .unwrap();
    assert!(
        docs.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(docs.text().await.unwrap().contains("/openapi.json"));
}
