//! The LLM classifier port: names the procedural error of wrong answers the rule engine could
//! not explain, choosing only among the error tags it is given (decision 20).
//!
//! * [`AnthropicClassifier`]: the Claude Messages API (`ANTHROPIC_API_KEY`), a forced tool
//!   call whose schema restricts the answer to the catalog's codes.
//! * None configured: [`from_config`] returns `None` and nothing classifies (locally the
//!   llm-classify messages stay queued, decisions §3).
//!
//! The port validates nothing about the answer beyond its shape: whether a code is allowed, and
//! what happens to an attempt the model skipped, is the use case's decision
//! (`innova_app::classify`).

mod anthropic;

use std::sync::Arc;

use async_trait::async_trait;
use innova_domain::pricing::Usage;

use crate::config::Config;
use crate::messages::RawStep;

pub use anthropic::{
    AnthropicClassifier, CALL_BUDGET, CONNECT_TIMEOUT, REQUEST_TIMEOUT, RetryPolicy, TOOL_NAME,
};

/// The tag the model answers when no catalog entry explains the error. Always allowed.
pub const UNCLASSIFIED: &str = "UNCLASSIFIED";

/// One error tag the model may choose.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogTag {
    pub code: String,
    pub name: String,
    pub description: String,
    pub diagnostic_hint: Option<String>,
}

/// One wrong answer to classify. No student data beyond the work itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptToClassify {
    pub attempt_id: String,
    pub topic: Option<String>,
    pub problem_statement: String,
    pub canonical_solution: String,
    pub steps: Vec<RawStep>,
    pub final_answer: String,
}

/// One call: attempts of one subdomain and that subdomain's catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyRequest {
    /// Names the catalog in the prompt (e.g. `SUB`); `None` for a domain-wide catalog.
    pub subdomain_code: Option<String>,
    /// The allowed tags, [`UNCLASSIFIED`] excluded (it is always allowed).
    pub catalog: Vec<CatalogTag>,
    pub attempts: Vec<AttemptToClassify>,
}

impl ClassifyRequest {
    /// The codes the answer may use: the catalog's and [`UNCLASSIFIED`].
    pub fn allowed_codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.catalog.iter().map(|t| t.code.as_str()).collect();
        codes.push(UNCLASSIFIED);
        codes
    }
}

/// The model's verdict on one attempt, as answered (not yet checked against the catalog).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub attempt_id: String,
    pub error_tag_code: String,
    /// Clamped to 0..1.
    pub confidence: f64,
    pub evidence: Vec<String>,
}

/// A successful call.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyResponse {
    pub classifications: Vec<Classification>,
    /// The model id the provider answered with (priced by `innova_domain::pricing`).
    pub model: String,
    pub usage: Usage,
    /// The provider's message id.
    pub response_id: Option<String>,
    /// Retries the call needed (429 / 5xx / timeouts).
    pub retries: u32,
    /// The `tool_choice` sent, for the audit record.
    pub tool_choice: serde_json::Value,
}

/// Why a call gave no usable answer. Each variant says how many retries were spent.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// Rate-limited, overloaded, a server error, a timeout or no connection, still after the
    /// retries: trying later can succeed.
    #[error("the model provider is unavailable ({message}) after {retries} retries")]
    Unavailable { message: String, retries: u32 },
    /// A 4xx other than 429 (bad key, malformed request): retrying the same call will not help.
    #[error("the model provider refused the request (HTTP {status}): {message}")]
    Rejected {
        status: u16,
        message: String,
        retries: u32,
    },
    /// A 200 without the forced tool call, or with an input that does not fit its schema.
    #[error("the model's answer is unusable: {message}")]
    Malformed { message: String, retries: u32 },
}

impl LlmError {
    pub fn retries(&self) -> u32 {
        match self {
            LlmError::Unavailable { retries, .. }
            | LlmError::Rejected { retries, .. }
            | LlmError::Malformed { retries, .. } => *retries,
        }
    }
}

/// Classifies a batch of attempts of one subdomain in one call.
#[async_trait]
pub trait LlmClassifier: Send + Sync {
    async fn classify(&self, request: &ClassifyRequest) -> Result<ClassifyResponse, LlmError>;

    /// The model it is configured to call.
    fn model(&self) -> &str;
}

/// The classifier of this configuration: Anthropic when `ANTHROPIC_API_KEY` is set, else none.
pub fn from_config(config: &Config) -> Option<Arc<dyn LlmClassifier>> {
    config.anthropic.as_ref().map(|settings| {
        Arc::new(AnthropicClassifier::new(settings, RetryPolicy::default()))
            as Arc<dyn LlmClassifier>
    })
}
