//! A wiremock fake of the Anthropic Messages API that answers the forced tool call for every
//! attempt of the request (read back from the user message), with a fixed usage.

#![allow(dead_code)] // each test binary uses a part of it

use std::collections::HashMap;
use std::time::Duration;

use innova_core::config::AnthropicSettings;
use innova_core::llm::{AnthropicClassifier, RetryPolicy, TOOL_NAME};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// The usage every answer reports.
pub const INPUT_TOKENS: u64 = 1200;
pub const OUTPUT_TOKENS: u64 = 80;
pub const CACHE_WRITE_TOKENS: u64 = 3000;
pub const CACHE_READ_TOKENS: u64 = 500;
/// Its price with claude-haiku-4-5 (1 / 5 / 1.25 / 0.10 USD per million tokens), by hand.
pub const CALL_USD: f64 = (1200.0 * 1.0 + 80.0 * 5.0 + 3000.0 * 1.25 + 500.0 * 0.10) / 1e6;

/// Answers `code` for every attempt, or the code given for its id.
#[derive(Clone, Default)]
pub struct FakeClaude {
    pub code: String,
    pub per_attempt: HashMap<String, String>,
}

impl FakeClaude {
    pub fn answering(code: &str) -> Self {
        FakeClaude {
            code: code.into(),
            per_attempt: HashMap::new(),
        }
    }

    pub fn except(mut self, attempt_id: &str, code: &str) -> Self {
        self.per_attempt.insert(attempt_id.into(), code.into());
        self
    }
}

/// The attempt ids a request sent (the JSON list after the first line of the user message).
pub fn attempt_ids(request: &Value) -> Vec<String> {
    let user = request["messages"][0]["content"]
        .as_str()
        .expect("a text user message");
    let list = &user[user.find('\n').expect("a list after the first line") + 1..];
    let attempts: Vec<Value> = serde_json::from_str(list).expect("the attempts as JSON");
    attempts
        .iter()
        .map(|a| a["attemptId"].as_str().unwrap().to_string())
        .collect()
}

impl Respond for FakeClaude {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON request");
        let classifications: Vec<Value> = attempt_ids(&body)
            .iter()
            .map(|id| {
                let code = self.per_attempt.get(id).unwrap_or(&self.code);
                json!({"attemptId": id, "errorTagCode": code, "confidence": 0.87,
                       "evidence": ["2 - 7 computed as 7 - 2"]})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "tool_use", "id": "toolu_fake", "name": TOOL_NAME,
                         "input": {"classifications": classifications}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS,
                      "cache_creation_input_tokens": CACHE_WRITE_TOKENS,
                      "cache_read_input_tokens": CACHE_READ_TOKENS}
        }))
    }
}

/// The adapter with retries short enough for tests.
pub fn classifier(settings: &AnthropicSettings) -> AnthropicClassifier {
    AnthropicClassifier::new(
        settings,
        RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(5),
            budget: Duration::from_secs(30),
        },
    )
}
