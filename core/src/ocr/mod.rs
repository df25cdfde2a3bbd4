//! The math OCR port: a worksheet photo → the exercises on it, each with the student's steps
//! (workers-infra.md §4.5, api.md R11). [`GeminiOcr`] is the adapter; with no `GEMINI_API_KEY`
//! there is no OCR (`Services::ocr` is `None`) and the routes answer 503.
//!
//! # Errors
//!
//! The reference swallowed every provider or parse failure into an empty result, which a
//! student cannot tell apart from "no exercise found on this photo". Here an empty page means
//! only that the model read the photo and found nothing; failures are [`OcrError`]s, which the
//! routes turn into 503 ([`OcrError::Unavailable`]: retry later) or 502 (the provider refused
//! the call or answered something unusable), each with a message saying what happened.

mod gemini;

use async_trait::async_trait;
use bytes::Bytes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::messages::RawStep;

pub use gemini::{
    CONNECT_TIMEOUT as GEMINI_CONNECT_TIMEOUT, DEFAULT_TIMEOUT as GEMINI_TIMEOUT, GeminiOcr,
};

/// What the OCR read on one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    /// Mean of the exercises' confidences (0 when there is none).
    pub confidence: f64,
    pub exercises: Vec<OcrExercise>,
    /// Provider and model, e.g. `gemini` / `gemini-2.5-flash` (for audit and cost records).
    pub provider: String,
    pub model: String,
    pub usage: OcrUsage,
}

/// One exercise found on the photo, as `POST /attempts/ocr-extract` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OcrExercise {
    /// The statement only, without the student's work.
    pub problem: String,
    /// One step per transcribed line; `isFinal` only on the last.
    pub raw_steps: Vec<RawStep>,
    pub final_answer: String,
    pub topic_hint: Option<String>,
    /// 0..1.
    pub confidence: f64,
}

/// Tokens billed for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OcrUsage {
    pub input_tokens: u64,
    /// Output tokens, thinking tokens included (both are billed as output).
    pub output_tokens: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The image cannot be sent (empty, too large). A client error (400).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The provider could not be reached, timed out, is overloaded or rate-limited (503).
    #[error("the OCR provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the call (bad key, bad request…) (502).
    #[error("the OCR provider answered {status}: {message}")]
    Provider { status: u16, message: String },
    /// The provider's answer could not be understood (truncated or not JSON) (502).
    #[error("the OCR provider's answer could not be read: {0}")]
    InvalidResponse(String),
}

/// Reads math from photos.
#[async_trait]
pub trait MathOcr: Send + Sync {
    /// Transcribes every exercise on the photo. `mime` is the image's type (`image/jpeg`…).
    async fn extract(&self, image: Bytes, mime: &str) -> Result<OcrPage, OcrError>;
}
