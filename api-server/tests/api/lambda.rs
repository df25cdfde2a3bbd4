//! The Lambda entry: checked-in API Gateway events (REST v1, HTTP API v2, Function URL) go
//! through the real handler function, and the same request sent to the local server must give
//! the same status, headers that matter, and body.

use http_body_util::BodyExt;
use lambda_http::RequestExt;
use serde_json::Value;

use crate::support::spawn;

struct Case {
    fixture: &'static str,
    status: u16,
    /// The error body's `path`, when the answer is an error: proves the event's path and query
    /// were reconstructed (stage stripped, repeated keys kept).
    error_path: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        fixture: "v1-get-root.json",
        status: 200,
        error_path: None,
    },
    // REST v1 events carry the query as a map: key order is not kept, repeated values are.
    Case {
        fixture: "v1-repeated-query-keys.json",
        status: 404,
        error_path: Some("/nope?page=2&tag=a&tag=b"),
    },
    // The body is base64 in the event: the API must see the decoded JSON to name the field.
    Case {
        fixture: "v1-base64-body.json",
        status: 400,
        error_path: Some("/auth/login"),
    },
    Case {
        fixture: "v2-get-health.json",
        status: 200,
        error_path: None,
    },
    Case {
        fixture: "v2-preflight.json",
        status: 204,
        error_path: None,
    },
    Case {
        fixture: "function-url-get-openapi-yaml.json",
        status: 200,
        error_path: None,
    },
];

fn load(name: &str) -> lambda_http::Request {
    let path = format!(
        "{}/tests/fixtures/lambda/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text)
        .unwrap_or_else(|e| panic!("{name} is not an API Gateway event: {e}"))
}

/// Bodies are equal but for the moment they were produced.
fn comparable(body: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("timestamp");
            }
            v
        }
        Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
    }
}

/// A path with its query pairs sorted (values of a repeated key keep their order).
fn normalized(path_and_query: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_by_key(|p| p.split('=').next().unwrap_or_default().to_string());
    format!("{path}?{}", pairs.join("&"))
}

#[tokio::test]
async fn lambda_events_and_local_requests_get_the_same_answer() {
    let app = spawn().await;
    for case in CASES {
        // Through the Lambda handler.
        let event = load(case.fixture);
        let method = event.method().clone();
        let path = event.raw_http_path().to_string();
        let query = event.uri().query().map(str::to_owned);
        let headers = event.headers().clone();
        let body = event.body().to_vec();
        let lambda_resp = innova_api_server::lambda::handle(&app.api.edge, event)
            .await
            .expect("the handler answers");
        let lambda_status = lambda_resp.status().as_u16();
        let lambda_headers = lambda_resp.headers().clone();
        let lambda_body = lambda_resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();

        // The same request to the local server.
        let url = match &query {
            Some(q) => format!("{}{path}?{q}", app.base_url),
            None => format!("{}{path}", app.base_url),
        };
        let mut req = app.http.request(method, url).body(body);
        for (name, value) in headers.iter() {
            if name != http::header::HOST {
                req = req.header(name, value);
            }
        }
        let local = req.send().await.unwrap();
        let local_status = local.status().as_u16();
        let local_headers = local.headers().clone();
        let local_body = local.bytes().await.unwrap().to_vec();

        let name = case.fixture;
        assert_eq!(lambda_status, case.status, "{name}: status through Lambda");
        assert_eq!(
            local_status, case.status,
            "{name}: status through the local server"
        );
        assert_eq!(
            comparable(&lambda_body),
            comparable(&local_body),
            "{name}: bodies differ"
        );
        for h in [
            "content-type",
            "x-trace-id",
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "allow",
        ] {
            assert_eq!(
                lambda_headers.get(h),
                local_headers.get(h),
                "{name}: header {h} differs"
            );
        }
        assert!(
            lambda_headers.get("x-trace-id").is_some(),
            "{name}: x-trace-id echoed"
        );
        if case.fixture == "v1-base64-body.json" {
            assert!(
                comparable(&lambda_body)["message"]
                    .to_string()
                    .contains("email"),
                "{name}: the decoded body was validated"
            );
        }
        if let Some(path) = case.error_path {
            let got = comparable(&lambda_body)["path"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert_eq!(
                normalized(&got),
                normalized(path),
                "{name}: the event's path and query reach the API"
            );
        }
    }
}

#[tokio::test]
async fn rest_api_stage_is_not_part_of_the_route() {
    let app = spawn().await;
    let resp = innova_api_server::lambda::handle(&app.api.edge, load("v1-get-root.json"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
    assert_eq!(body["path"], "/");
    assert_eq!(body["traceId"], "fixture-v1-root");
}
