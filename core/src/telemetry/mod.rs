//! The telemetry port: the MongoDB documents of data-model.md §4 (`attempt_events`,
//! `llm_classification_jobs`, `ocr_jobs`).
//!
//! * [`MongoTelemetry`] (`MONGODB_URI`; database from the URI's path, default `innova`).
//! * [`LocalTelemetry`]: JSON lines under `<INNOVA_DATA_DIR>/telemetry/`, used when
//!   `MONGODB_URI` is not set (never on AWS Lambda, see [`crate::services`]).
//!
//! [`from_config`] picks one. Only the workers write telemetry, so they build the store
//! themselves; the API does not (its Lambda binary then leaves the MongoDB driver out).
//!
//! Documents keep the reference's field names: snake_case fields, Mongoose's camelCase
//! `createdAt`/`updatedAt`. Writes that a redelivered message repeats are idempotent: an attempt
//! event per `attempt_id`, an OCR job per `upload_id` (unique indexes), reported as
//! [`Recorded::inserted`].

mod attempts;
mod local;
#[cfg(feature = "mongodb")]
mod mongo;

use std::sync::Arc;

use async_trait::async_trait;
use bson::DateTime;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::messages::RawStep;
use crate::services::Runtime;

pub use attempts::{AttemptRef, attempt_refs};
/// The date type of the documents (BSON, milliseconds), for crates that do not link `mongodb`.
pub use bson::DateTime as BsonDateTime;
pub use local::LocalTelemetry;
#[cfg(feature = "mongodb")]
pub use mongo::{
    CONNECT_TIMEOUT as MONGO_CONNECT_TIMEOUT, MongoTelemetry,
    OPERATION_TIMEOUT as MONGO_OPERATION_TIMEOUT,
    SERVER_SELECTION_TIMEOUT as MONGO_SERVER_SELECTION_TIMEOUT,
};

/// Collection names.
pub const ATTEMPT_EVENTS: &str = "attempt_events";
pub const LLM_CLASSIFICATION_JOBS: &str = "llm_classification_jobs";
pub const OCR_JOBS: &str = "ocr_jobs";

/// The telemetry of one attempt (`attempt_events`).
///
/// `events` and `summary` are the keystroke telemetry the schema plans; the API receives no
/// keystroke events (the attempt-stream message carries the steps only), so today they are
/// empty and zero, and the message's steps are kept in `raw_steps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptEventDoc {
    pub attempt_id: String,
    pub student_id: String,
    /// The attempt's course id; null when the attempt has none.
    pub classroom_id: Option<String>,
    pub trace_id: String,
    pub events: Vec<KeystrokeEvent>,
    pub summary: EventSummary,
    pub raw_steps: Vec<RawStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_to_s3_at: Option<DateTime>,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime,
    #[serde(rename = "updatedAt")]
    pub updated_at: DateTime,
}

/// One keystroke-level event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeystrokeEvent {
    pub timestamp_ms: i64,
    #[serde(rename = "type")]
    pub kind: KeystrokeKind,
    pub column: KeystrokeColumn,
    pub value: String,
    pub cursor_pos: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeystrokeKind {
    KeyDown,
    Paste,
    Submit,
    HintRequest,
    Erase,
    Undo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeystrokeColumn {
    Units,
    Tens,
    Hundreds,
    Thousands,
    Numerator,
    Denominator,
}

/// Totals over `events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    pub total_events: i64,
    pub duration_ms: i64,
    pub hints_used: i64,
    pub undo_count: i64,
    pub paste_count: i64,
}

/// Audit record of one LLM classification batch (`llm_classification_jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmClassificationJobDoc {
    pub attempt_ids: Vec<String>,
    pub trace_id: String,
    pub model: String,
    pub status: JobStatus,
    pub request_meta: LlmRequestMeta,
    pub response_meta: LlmResponseMeta,
    pub cost_estimated_usd: f64,
    pub duration_ms: i64,
    pub retries: i32,
    pub error_message: Option<String>,
    pub completed_at: Option<DateTime>,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime,
    #[serde(rename = "updatedAt")]
    pub updated_at: DateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending,
    Completed,
    Failed,
    Dlq,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmRequestMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<i64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<serde_json::Value>,
    pub cache_hit: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmResponseMeta {
    pub classifications: Vec<LlmClassification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_response_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmClassification {
    pub attempt_id: String,
    pub error_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<String>>,
    /// 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// Audit record of one OCR call (`ocr_jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrJobDoc {
    pub upload_id: String,
    pub student_id: String,
    pub trace_id: String,
    pub s3_key: String,
    pub s3_purge_at: Option<DateTime>,
    /// `gemini` or `claude`.
    pub primary_provider: String,
    pub used_fallback: bool,
    pub fallback_provider: Option<String>,
    pub ocr_result: Option<OcrResultDoc>,
    pub cost_estimated_usd: f64,
    pub duration_ms: i64,
    pub status: OcrJobStatus,
    pub error_message: Option<String>,
    pub attempt_id: Option<String>,
    pub completed_at: Option<DateTime>,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime,
    #[serde(rename = "updatedAt")]
    pub updated_at: DateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OcrJobStatus {
    Pending,
    Completed,
    Failed,
    LowConfidenceReview,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrResultDoc {
    pub topic_hint: Option<String>,
    pub steps: Vec<OcrStepDoc>,
    pub final_answer: Option<String>,
    /// 0..1.
    pub overall_confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrStepDoc {
    #[serde(rename = "rawText")]
    pub raw_text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub position: OcrBox,
    /// 0..1.
    pub confidence: f64,
}

/// Where a step is on the photo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OcrBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The outcome of an idempotent write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// False when a document with the same key already existed (a redelivery): nothing changed.
    pub inserted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry store unavailable: {0}")]
    Unavailable(String),
    #[error("telemetry store error: {0}")]
    Store(String),
    #[error("cannot encode the telemetry document: {0}")]
    Encode(String),
    #[error("local telemetry store: {0}")]
    Io(#[from] std::io::Error),
}

/// Stores telemetry and audit documents.
#[async_trait]
pub trait TelemetryStore: Send + Sync {
    /// Connects and creates the indexes (done on first use anyway; call it at start-up to fail
    /// early).
    async fn ensure_ready(&self) -> Result<(), TelemetryError>;

    /// Inserts the attempt's document unless one with its `attempt_id` exists.
    async fn record_attempt_event(&self, doc: &AttemptEventDoc)
    -> Result<Recorded, TelemetryError>;

    /// Inserts each document unless one with its `attempt_id` exists: one result per document,
    /// in order (the telemetry worker stores a batch at once). This default calls
    /// [`record_attempt_event`](Self::record_attempt_event) per document and, once the store is
    /// [`TelemetryError::Unavailable`], fails the rest without waiting on it again (a batch
    /// costs one timeout, not one per record). The local store appends the batch in one write.
    async fn record_attempt_events(
        &self,
        docs: &[AttemptEventDoc],
    ) -> Vec<Result<Recorded, TelemetryError>> {
        let mut results = Vec::with_capacity(docs.len());
        let mut down: Option<String> = None;
        for doc in docs {
            if let Some(reason) = &down {
                results.push(Err(TelemetryError::Unavailable(reason.clone())));
                continue;
            }
            let result = self.record_attempt_event(doc).await;
            if let Err(TelemetryError::Unavailable(reason)) = &result {
                down = Some(reason.clone());
            }
            results.push(result);
        }
        results
    }

    /// The attempt's document, if any.
    async fn attempt_event(
        &self,
        attempt_id: &str,
    ) -> Result<Option<AttemptEventDoc>, TelemetryError>;

    /// Appends an LLM classification audit record.
    async fn insert_llm_classification_job(
        &self,
        doc: &LlmClassificationJobDoc,
    ) -> Result<(), TelemetryError>;

    /// Inserts the OCR audit record unless one with its `upload_id` exists.
    async fn record_ocr_job(&self, doc: &OcrJobDoc) -> Result<Recorded, TelemetryError>;

    // --- OCR / archive
    // Defaults fail: a store (a test double) that does not need them need not implement them.

    /// The OCR job of `upload_id`, if any (a redelivered upload is recognised before any work).
    async fn ocr_job(&self, _upload_id: &str) -> Result<Option<OcrJobDoc>, TelemetryError> {
        Err(TelemetryError::Store(
            "ocr_job is not supported by this store".into(),
        ))
    }

    /// Attempt events created before `before` and not archived yet, oldest first (`createdAt`,
    /// then `attempt_id`), at most `limit`.
    async fn unarchived_attempt_events(
        &self,
        _before: DateTime,
        _limit: usize,
    ) -> Result<Vec<AttemptEventDoc>, TelemetryError> {
        Err(TelemetryError::Store(
            "unarchived_attempt_events is not supported by this store".into(),
        ))
    }

    /// Sets `archived_to_s3_at = at` on the events of `attempt_ids` not archived yet; returns how
    /// many changed.
    async fn mark_attempt_events_archived(
        &self,
        _attempt_ids: &[String],
        _at: DateTime,
    ) -> Result<u64, TelemetryError> {
        Err(TelemetryError::Store(
            "mark_attempt_events_archived is not supported by this store".into(),
        ))
    }
}

/// The current time as a BSON date (milliseconds).
pub fn now() -> DateTime {
    DateTime::now()
}

/// The store for this configuration: MongoDB when `MONGODB_URI` is set; otherwise the local
/// files in a local process, and on Lambda a store whose every call fails naming `MONGODB_URI`
/// (telemetry kept in an instance's `/tmp` would be lost).
pub fn from_config(config: &Config, runtime: Runtime) -> Arc<dyn TelemetryStore> {
    let (kind, store): (_, Arc<dyn TelemetryStore>) = match (&config.mongodb_uri, runtime) {
        #[cfg(feature = "mongodb")]
        (Some(uri), _) => ("mongodb", Arc::new(MongoTelemetry::new(uri.clone()))),
        // A binary built without the MongoDB driver (the API's) keeps no telemetry store.
        #[cfg(not(feature = "mongodb"))]
        (Some(_), _) => (
            "none (built without the `mongodb` feature)",
            Arc::new(Unconfigured),
        ),
        (None, Runtime::Local) => ("local", Arc::new(LocalTelemetry::new(&config.data_dir))),
        (None, Runtime::Lambda) => ("none", Arc::new(Unconfigured)),
    };
    tracing::info!(telemetry = kind, "telemetry store configured");
    store
}

/// Telemetry on Lambda without `MONGODB_URI`.
struct Unconfigured;

impl Unconfigured {
    fn error() -> TelemetryError {
        TelemetryError::Unavailable("MONGODB_URI is not set".into())
    }
}

#[async_trait]
impl TelemetryStore for Unconfigured {
    async fn ensure_ready(&self) -> Result<(), TelemetryError> {
        Err(Self::error())
    }
    async fn record_attempt_event(&self, _: &AttemptEventDoc) -> Result<Recorded, TelemetryError> {
        Err(Self::error())
    }
    async fn attempt_event(&self, _: &str) -> Result<Option<AttemptEventDoc>, TelemetryError> {
        Err(Self::error())
    }
    async fn insert_llm_classification_job(
        &self,
        _: &LlmClassificationJobDoc,
    ) -> Result<(), TelemetryError> {
        Err(Self::error())
    }
    async fn record_ocr_job(&self, _: &OcrJobDoc) -> Result<Recorded, TelemetryError> {
        Err(Self::error())
    }
    // --- OCR / archive
    async fn ocr_job(&self, _: &str) -> Result<Option<OcrJobDoc>, TelemetryError> {
        Err(Self::error())
    }
    async fn unarchived_attempt_events(
        &self,
        _: DateTime,
        _: usize,
    ) -> Result<Vec<AttemptEventDoc>, TelemetryError> {
        Err(Self::error())
    }
    async fn mark_attempt_events_archived(
        &self,
        _: &[String],
        _: DateTime,
    ) -> Result<u64, TelemetryError> {
        Err(Self::error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lambda_without_mongodb_names_the_variable() {
        let store = from_config(&Config::for_tests(&[]), Runtime::Lambda);
        let err = store.ensure_ready().await.unwrap_err().to_string();
        assert!(err.contains("MONGODB_URI"), "{err}");
    }

    #[tokio::test]
    async fn local_without_mongodb_writes_files_under_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("innova-telemetry-{}", std::process::id()));
        let store = from_config(
            &Config::for_tests(&[("INNOVA_DATA_DIR", dir.to_str().unwrap())]),
            Runtime::Local,
        );
        let doc = AttemptEventDoc {
            attempt_id: "a-1".into(),
            student_id: "s-1".into(),
            classroom_id: None,
            trace_id: "t".into(),
            events: vec![],
            summary: EventSummary::default(),
            raw_steps: vec![],
            archived_to_s3_at: None,
            created_at: now(),
            updated_at: now(),
        };
        assert!(store.record_attempt_event(&doc).await.unwrap().inserted);
        assert!(dir.join("telemetry/attempt_events.jsonl").is_file());
        let _ = std::fs::remove_dir_all(dir);
    }
}
