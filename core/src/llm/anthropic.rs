//! The Anthropic Messages API (`POST /v1/messages`, `anthropic-version: 2023-06-01`) as the LLM
//! classifier.
//!
//! * **Structured output by a forced tool call**: one tool, [`TOOL_NAME`], and
//!   `tool_choice: {type: "tool"}` naming it, so the answer is always that tool's input; its
//!   schema restricts `errorTagCode` to an `enum` of the catalog's codes plus `UNCLASSIFIED`.
//! * **Prompt caching**: the catalog is a system block marked `cache_control: ephemeral`.
//!   Everything before it (the tool, the instructions) depends only on the subdomain's catalog,
//!   never on the attempts, so consecutive batches of a subdomain share the cached prefix; the
//!   attempts come last, in the user message.
//! * **Retries** (backon): 429, 5xx (529 overloaded included), timeouts and connection errors
//!   are retried with exponential backoff and jitter, waiting what `retry-after` says when the
//!   provider sends it (capped at the policy's maximum delay); other 4xx are not retried.
//! * **A per-call timeout** on each HTTP request.

use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use innova_domain::pricing::Usage;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    AttemptToClassify, Classification, ClassifyRequest, ClassifyResponse, LlmClassifier, LlmError,
    UNCLASSIFIED,
};
use crate::config::AnthropicSettings;

/// The forced tool.
pub const TOOL_NAME: &str = "classify_errors_batch";

const API_VERSION: &str = "2023-06-01";

const INSTRUCTIONS: &str = "You diagnose the procedural error in wrong answers of Chilean \
school students to math exercises. For each attempt you get the exercise, the expected answer \
and the student's steps and final answer; the answer is known to be wrong. Choose the one error \
tag of the catalog below that best explains how the student got their answer, citing the steps \
that show it as evidence. Use UNCLASSIFIED when no tag of the catalog explains the error. \
Confidence is how sure you are, from 0 to 1. Answer only through the tool, with one \
classification per attempt id.";

// Anthropic's timeouts, stated once (docs/architecture.md, "Timeouts"). The caller is the LLM
// classifier worker, whose Lambda stops after 120 s; a batch's calls run concurrently.

/// Opening a connection to the API: 5 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One request, answer included: 25 s (a batch of attempts with the catalog takes a few).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(25);
/// A whole call, retries and their waits included: 90 s, leaving 30 s of the worker's 120 s for
/// its reads and writes. Four requests of 25 s plus the backoff would not fit without it.
pub const CALL_BUDGET: Duration = Duration::from_secs(90);

/// How calls are retried and bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first call (so at most `max_retries + 1` requests).
    pub max_retries: usize,
    /// First backoff delay; doubles per retry, with jitter.
    pub min_delay: Duration,
    /// Longest wait between two requests, `retry-after` included.
    pub max_delay: Duration,
    /// Limit of one HTTP request.
    pub timeout: Duration,
    /// Limit of the whole call, retries and waits included: past it the call is
    /// [`LlmError::Unavailable`].
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            timeout: REQUEST_TIMEOUT,
            budget: CALL_BUDGET,
        }
    }
}

/// Claude through the Messages API.
pub struct AnthropicClassifier {
    http: reqwest::Client,
    endpoint: String,
    api_key: String,
    model: String,
    policy: RetryPolicy,
}

impl std::fmt::Debug for AnthropicClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicClassifier")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AnthropicClassifier {
    pub fn new(settings: &AnthropicSettings, policy: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("the HTTP client builds with static settings");
        AnthropicClassifier {
            http,
            endpoint: format!(
                "{}/v1/messages",
                settings.base_url.as_str().trim_end_matches('/')
            ),
            api_key: settings.api_key.clone(),
            model: settings.model.clone(),
            policy,
        }
    }

    /// The request body (public for the tests of the prompt's shape).
    pub fn body(&self, request: &ClassifyRequest) -> Value {
        json!({
            "model": self.model,
            "max_tokens": max_tokens(request.attempts.len()),
            "temperature": 0,
            "system": [
                {"type": "text", "text": INSTRUCTIONS},
                {"type": "text", "text": catalog_text(request), "cache_control": {"type": "ephemeral"}},
            ],
            "tools": [tool(request)],
            "tool_choice": tool_choice(),
            "messages": [{"role": "user", "content": attempts_text(&request.attempts)}],
        })
    }

    /// One HTTP request.
    async fn send_once(&self, body: &Value) -> Result<Value, CallError> {
        let response = self
            .http
            .post(&self.endpoint)
            .header("x-api-key", &self.api_key)
            .header("anthropic-version", API_VERSION)
            .timeout(self.policy.timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| CallError::Retryable {
                message: describe(&e),
                retry_after: None,
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if status.is_success() {
            return response.json::<Value>().await.map_err(|e| {
                if e.is_decode() {
                    CallError::Malformed(format!("the body is not JSON: {e}"))
                } else {
                    CallError::Retryable {
                        message: describe(&e),
                        retry_after: None,
                    }
                }
            });
        }
        let text = response.text().await.unwrap_or_default();
        let message = error_message(&text).unwrap_or_else(|| format!("HTTP {status}"));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(CallError::Retryable {
                message: format!("HTTP {}: {message}", status.as_u16()),
                retry_after,
            })
        } else {
            Err(CallError::Rejected {
                status: status.as_u16(),
                message,
            })
        }
    }
}

#[async_trait]
impl LlmClassifier for AnthropicClassifier {
    async fn classify(&self, request: &ClassifyRequest) -> Result<ClassifyResponse, LlmError> {
        let body = self.body(request);
        let max_delay = self.policy.max_delay;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.min_delay)
            .with_max_delay(max_delay)
            .with_max_times(self.policy.max_retries)
            .with_jitter();
        let mut retries = 0u32;
        let call = (|| self.send_once(&body))
            .retry(backoff)
            .when(CallError::is_retryable)
            // `None` means "no retry left": keep it; otherwise the provider's wait wins.
            .adjust(|e, delay| {
                delay.map(|d| match e {
                    CallError::Retryable {
                        retry_after: Some(wait),
                        ..
                    } => (*wait).min(max_delay),
                    _ => d,
                })
            })
            .notify(|e, delay| {
                retries += 1;
                tracing::warn!(error = %e, ?delay, "anthropic call failed: retrying");
            });
        let budget = self.policy.budget;
        let outcome = tokio::time::timeout(budget, call)
            .await
            .unwrap_or_else(|_| {
                Err(CallError::Retryable {
                    message: format!("no answer within the call's budget of {budget:?}"),
                    retry_after: None,
                })
            });
        let answer = outcome.map_err(|e| e.into_llm_error(retries))?;
        parse_answer(answer, retries)
    }

    fn model(&self) -> &str {
        &self.model
    }
}

/// A failed request.
#[derive(Debug, thiserror::Error)]
enum CallError {
    #[error("{message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("HTTP {status}: {message}")]
    Rejected { status: u16, message: String },
    #[error("{0}")]
    Malformed(String),
}

impl CallError {
    fn is_retryable(&self) -> bool {
        matches!(self, CallError::Retryable { .. })
    }

    fn into_llm_error(self, retries: u32) -> LlmError {
        match self {
            CallError::Retryable { message, .. } => LlmError::Unavailable { message, retries },
            CallError::Rejected { status, message } => LlmError::Rejected {
                status,
                message,
                retries,
            },
            CallError::Malformed(message) => LlmError::Malformed { message, retries },
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

/// `retry-after` in seconds (integer or decimal; an HTTP date is ignored: backoff applies).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// The `error.message` of an Anthropic error body.
fn error_message(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v.pointer("/error/message")?.as_str().map(str::to_owned)
}

fn tool_choice() -> Value {
    json!({"type": "tool", "name": TOOL_NAME})
}

/// Room for one classification (~100 tokens with its evidence) per attempt, bounded.
fn max_tokens(attempts: usize) -> usize {
    (256 + 200 * attempts).min(8192)
}

/// The tool whose input is the answer. Depends on the catalog only (see the module docs).
fn tool(request: &ClassifyRequest) -> Value {
    json!({
        "name": TOOL_NAME,
        "description": "Records the error tag that explains each attempt's wrong answer.",
        "input_schema": {
            "type": "object",
            "properties": {
                "classifications": {
                    "type": "array",
                    "description": "One entry per attempt.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "attemptId": {"type": "string", "description": "The attempt's id, as given."},
                            "errorTagCode": {
                                "type": "string",
                                "enum": request.allowed_codes(),
                                "description": "A catalog code, or UNCLASSIFIED.",
                            },
                            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                            "evidence": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "The steps or facts that show the error.",
                            },
                        },
                        "required": ["attemptId", "errorTagCode", "confidence"],
                    },
                },
            },
            "required": ["classifications"],
        },
    })
}

/// The catalog block: one line per tag, in code order (a stable text keeps the cache warm).
fn catalog_text(request: &ClassifyRequest) -> String {
    let mut tags: Vec<_> = request.catalog.iter().collect();
    tags.sort_by(|a, b| a.code.cmp(&b.code));
    let mut text = match &request.subdomain_code {
        Some(sub) => format!("Error-tag catalog of subdomain {sub}:\n"),
        None => "Error-tag catalog:\n".to_string(),
    };
    for t in tags {
        text.push_str(&format!("- {}: {}", t.code, t.name));
        if !t.description.is_empty() {
            text.push_str(&format!(". {}", t.description));
        }
        if let Some(hint) = t.diagnostic_hint.as_deref().filter(|h| !h.is_empty()) {
            text.push_str(&format!(" (hint: {hint})"));
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "- {UNCLASSIFIED}: none of the above explains the error.\n"
    ));
    text
}

fn attempts_text(attempts: &[AttemptToClassify]) -> String {
    let list: Vec<Value> = attempts
        .iter()
        .map(|a| {
            json!({
                "attemptId": a.attempt_id,
                "topic": a.topic,
                "problem": a.problem_statement,
                "expectedAnswer": a.canonical_solution,
                "studentSteps": a.steps.iter().map(|s| s.expression.as_str()).collect::<Vec<_>>(),
                "studentFinalAnswer": a.final_answer,
            })
        })
        .collect();
    format!(
        "Classify the error of each of these {} wrong answers:\n{}",
        attempts.len(),
        Value::Array(list)
    )
}

#[derive(Deserialize)]
struct MessageAnswer {
    id: Option<String>,
    model: String,
    content: Vec<ContentBlock>,
    #[serde(default)]
    usage: AnswerUsage,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    input: Option<Value>,
}

#[derive(Default, Deserialize)]
struct AnswerUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ToolInput {
    classifications: Vec<ToolClassification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolClassification {
    attempt_id: String,
    error_tag_code: String,
    confidence: f64,
    #[serde(default)]
    evidence: Vec<String>,
}

fn parse_answer(answer: Value, retries: u32) -> Result<ClassifyResponse, LlmError> {
    let malformed = |message: String| LlmError::Malformed { message, retries };
    let answer: MessageAnswer = serde_json::from_value(answer)
        .map_err(|e| malformed(format!("not a Messages API answer: {e}")))?;
    let input = answer
        .content
        .into_iter()
        .find(|b| b.kind == "tool_use" && b.name.as_deref() == Some(TOOL_NAME))
        .and_then(|b| b.input)
        .ok_or_else(|| malformed(format!("no {TOOL_NAME} tool call in the answer")))?;
    let input: ToolInput = serde_json::from_value(input).map_err(|e| {
        malformed(format!(
            "the {TOOL_NAME} input does not fit its schema: {e}"
        ))
    })?;
    let usage = Usage {
        input_tokens: answer.usage.input_tokens,
        output_tokens: answer.usage.output_tokens,
        cache_creation_input_tokens: answer.usage.cache_creation_input_tokens.unwrap_or(0),
        cache_read_input_tokens: answer.usage.cache_read_input_tokens.unwrap_or(0),
    };
    Ok(ClassifyResponse {
        classifications: input
            .classifications
            .into_iter()
            .map(|c| Classification {
                attempt_id: c.attempt_id,
                error_tag_code: c.error_tag_code,
                confidence: if c.confidence.is_finite() {
                    c.confidence.clamp(0.0, 1.0)
                } else {
                    0.0
                },
                evidence: c.evidence,
            })
            .collect(),
        model: answer.model,
        usage,
        response_id: answer.id,
        retries,
        tool_choice: tool_choice(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds() {
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn the_output_budget_grows_with_the_batch_and_is_bounded() {
        assert_eq!(max_tokens(1), 456);
        assert_eq!(max_tokens(20), 4256);
        assert_eq!(max_tokens(1000), 8192);
    }

    #[test]
    fn an_answer_without_the_tool_call_is_malformed() {
        let answer = json!({
            "id": "msg_1", "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": "I think it is a borrow error."}],
            "usage": {"input_tokens": 10, "output_tokens": 5}
        });
        let err = parse_answer(answer, 1).unwrap_err();
        assert!(
            matches!(err, LlmError::Malformed { retries: 1, .. }),
            "{err}"
        );
    }
}
