//! The Anthropic classifier adapter against a wiremock fake of the Messages API: the request it
//! sends (forced tool, the allowed codes as an enum, the cached catalog block), the answer it
//! reads (classifications, usage with cache tokens), and its retries.

use std::time::Duration;

use innova_core::config::AnthropicSettings;
use innova_core::llm::{
    AnthropicClassifier, AttemptToClassify, CatalogTag, ClassifyRequest, LlmClassifier, LlmError,
    RetryPolicy, TOOL_NAME,
};
use innova_core::messages::RawStep;
use innova_domain::pricing::Usage;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODEL: &str = "claude-haiku-4-5-20251001";

fn classifier(server: &MockServer, policy: RetryPolicy) -> AnthropicClassifier {
    AnthropicClassifier::new(
        &AnthropicSettings {
            api_key: "sk-ant-test".into(),
            base_url: url::Url::parse(&server.uri()).unwrap(),
            model: MODEL.into(),
        },
        policy,
    )
}

/// Fast retries for tests.
fn quick(max_retries: usize) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        budget: Duration::from_secs(30),
    }
}

fn request() -> ClassifyRequest {
    ClassifyRequest {
        subdomain_code: Some("SUB".into()),
        catalog: vec![
            CatalogTag {
                code: "ARITH_SUB_BORROW_OMITTED_TENS_G3".into(),
                name: "Borrow omitido — decenas".into(),
                description: "No presta de las decenas".into(),
                diagnostic_hint: Some("resta el dígito menor del mayor".into()),
            },
            CatalogTag {
                code: "ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3".into(),
                name: "Minuendo y sustraendo invertidos".into(),
                description: String::new(),
                diagnostic_hint: None,
            },
        ],
        attempts: vec![AttemptToClassify {
            attempt_id: "a-1".into(),
            topic: Some("SUB".into()),
            problem_statement: "52 - 17 = ?".into(),
            canonical_solution: "35".into(),
            steps: vec![RawStep {
                expression: "45".into(),
                is_final: true,
            }],
            final_answer: "45".into(),
        }],
    }
}

fn tool_answer(classifications: Value) -> Value {
    json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
        "content": [
            {"type": "tool_use", "id": "toolu_01", "name": TOOL_NAME,
             "input": {"classifications": classifications}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 1200, "output_tokens": 80,
                  "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 500}
    })
}

fn borrow_answer() -> Value {
    tool_answer(json!([{
        "attemptId": "a-1", "errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3",
        "confidence": 0.87, "evidence": ["2 - 7 read as 7 - 2"]
    }]))
}

#[tokio::test]
async fn sends_a_forced_tool_call_over_a_cached_catalog_and_reads_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(borrow_answer()))
        .expect(1)
        .mount(&server)
        .await;

    let response = classifier(&server, quick(0))
        .classify(&request())
        .await
        .unwrap();
    assert_eq!(response.classifications.len(), 1);
    let c = &response.classifications[0];
    assert_eq!(
        (
            c.attempt_id.as_str(),
            c.error_tag_code.as_str(),
            c.confidence
        ),
        ("a-1", "ARITH_SUB_BORROW_OMITTED_TENS_G3", 0.87)
    );
    assert_eq!(c.evidence, ["2 - 7 read as 7 - 2"]);
    assert_eq!(response.model, MODEL);
    assert_eq!(response.response_id.as_deref(), Some("msg_01"));
    assert_eq!(response.retries, 0);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 1200,
            output_tokens: 80,
            cache_creation_input_tokens: 3000,
            cache_read_input_tokens: 500,
        }
    );

    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["model"], MODEL);
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "tool", "name": TOOL_NAME})
    );
    let item = &sent["tools"][0]["input_schema"]["properties"]["classifications"]["items"];
    assert_eq!(
        item["properties"]["errorTagCode"]["enum"],
        json!([
            "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            "ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3",
            "UNCLASSIFIED"
        ])
    );
    assert_eq!(
        item["required"],
        json!(["attemptId", "errorTagCode", "confidence"])
    );
    // The catalog is the cached system block; the attempts are in the user message only.
    let system = sent["system"].as_array().unwrap();
    let catalog = system.last().unwrap();
    assert_eq!(catalog["cache_control"], json!({"type": "ephemeral"}));
    let text = catalog["text"].as_str().unwrap();
    assert!(text.contains("ARITH_SUB_BORROW_OMITTED_TENS_G3: Borrow omitido — decenas"));
    assert!(text.contains("hint: resta el dígito menor del mayor"));
    assert!(!sent["system"].to_string().contains("52 - 17"));
    assert!(!sent["tools"].to_string().contains("a-1"));
    let user = sent["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains("\"attemptId\":\"a-1\"") && user.contains("52 - 17 = ?"));
}

#[tokio::test]
async fn a_429_is_retried_after_what_retry_after_says() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(borrow_answer()))
        .expect(1)
        .mount(&server)
        .await;

    // A backoff far longer than the test: only retry-after: 0 makes it quick.
    let policy = RetryPolicy {
        min_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(60),
        ..quick(3)
    };
    let started = std::time::Instant::now();
    let response = classifier(&server, policy)
        .classify(&request())
        .await
        .unwrap();
    assert_eq!(response.retries, 1);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529).set_body_json(
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ))
        .expect(3)
        .mount(&server)
        .await;
    let err = classifier(&server, quick(2))
        .classify(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, LlmError::Unavailable { retries: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Overloaded"), "{err}");
}

#[tokio::test]
async fn a_refused_request_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = classifier(&server, quick(3))
        .classify(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, LlmError::Rejected { status: 401, retries: 0, ref message } if message == "invalid x-api-key"),
        "{err}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_each_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(borrow_answer())
                .set_delay(Duration::from_secs(3)),
        )
        .expect(2)
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        timeout: Duration::from_millis(200),
        ..quick(1)
    };
    let err = classifier(&server, policy)
        .classify(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, LlmError::Unavailable { retries: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn an_input_that_breaks_the_tool_schema_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_answer(
            json!([{"attemptId": "a-1", "confidence": 0.5}]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let err = classifier(&server, quick(3))
        .classify(&request())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("errorTagCode"), "{err}");
}
