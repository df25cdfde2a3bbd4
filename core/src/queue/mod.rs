//! The queue port: publishing work to the queues of workers-infra.md §1.6/§9, and the handler
//! trait through which SQS batches reach the workers.
//!
//! # Adapters and how one is chosen
//!
//! * [`SqsQueue`] (aws-sdk-sqs): standard publish, or FIFO publish with `MessageGroupId` and no
//!   deduplication id (the queue's content-based deduplication applies); no message attributes.
//! * [`EmbeddedQueue`]: in-process delivery to the **same** [`SqsHandler`]s the Lambda workers
//!   run, in SQS-shaped batches, with retries and a dead-letter list.
//!
//! [`RoutedQueue`] picks **per queue**: SQS when the queue's URL variable is set
//! (`SQS_ATTEMPT_STREAM_URL`, …), otherwise the embedded queue. On AWS Lambda there is no
//! embedded queue (a message kept in a Lambda instance's memory would be lost): a queue without a
//! URL is [`QueueError::NotConfigured`], naming the variable.
//!
//! # Errors
//!
//! Publishing returns its error; the caller decides (decisions.md 22): work that must happen
//! (guide ingest, grading, solve-adhoc, exercise generation) answers 503; fire-and-forget
//! telemetry logs and continues.
//!
//! ```ignore
//! // A handler publishing the attempt-stream FIFO message (group = the student id):
//! let message = AttemptStreamMessage { attempt_id, trace_id, raw_steps };
//! if let Err(e) = ctx.services.queue.publish_message(&message, Some(student_id.clone())).await {
//!     tracing::warn!(error = %e, "telemetry not published");   // fire-and-forget
//! }
//! ```

mod embedded;
mod handler;
mod sqs;

use async_trait::async_trait;
use serde::Serialize;

use crate::config::QueueUrls;

pub use embedded::{BufferedMessage, DeadLetter, EmbeddedOptions, EmbeddedQueue};
pub use handler::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};
pub use sqs::SqsQueue;

/// The queues of this stack (workers-infra.md §9; adhoc-solve per decision 23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueueName {
    AttemptStream,
    LlmClassify,
    Ocr,
    AttemptReprocess,
    GuideIngest,
    SolutionGen,
    SubmissionGrade,
    ExerciseGenerate,
    AdhocSolve,
    HourlyAlerts,
}

/// How a queue is provisioned and consumed (workers-infra.md §1.5–1.6). The embedded queue
/// delivers and retries by these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    /// Records per batch of its Lambda event source mapping (SQS's default 10 where none).
    pub batch_size: usize,
    /// Receives before the message goes to the DLQ; `None`: no DLQ.
    pub max_receive_count: Option<u32>,
    /// How long the consumer may take with one batch (its Lambda timeout).
    pub handler_timeout_secs: u64,
}

impl QueueName {
    pub const ALL: [QueueName; 10] = [
        QueueName::AttemptStream,
        QueueName::LlmClassify,
        QueueName::Ocr,
        QueueName::AttemptReprocess,
        QueueName::GuideIngest,
        QueueName::SolutionGen,
        QueueName::SubmissionGrade,
        QueueName::ExerciseGenerate,
        QueueName::AdhocSolve,
        QueueName::HourlyAlerts,
    ];

    /// The physical name after `innova-backend-serverless-<stage>-`.
    pub fn suffix(self) -> &'static str {
        match self {
            QueueName::AttemptStream => "attempt-stream.fifo",
            QueueName::LlmClassify => "llm-classify-queue",
            QueueName::Ocr => "ocr-queue",
            QueueName::AttemptReprocess => "attempt-reprocess-queue",
            QueueName::GuideIngest => "guide-ingest-queue",
            QueueName::SolutionGen => "solution-generation-queue",
            QueueName::SubmissionGrade => "submission-grade-queue",
            QueueName::ExerciseGenerate => "exercise-generate-queue",
            QueueName::AdhocSolve => "adhoc-solve-queue",
            QueueName::HourlyAlerts => "hourly-alerts-queue",
        }
    }

    /// The queue whose [`suffix`](Self::suffix) is `suffix`.
    pub fn from_suffix(suffix: &str) -> Option<QueueName> {
        QueueName::ALL.into_iter().find(|q| q.suffix() == suffix)
    }

    /// The environment variable holding its URL.
    pub fn env_var(self) -> &'static str {
        match self {
            QueueName::AttemptStream => "SQS_ATTEMPT_STREAM_URL",
            QueueName::LlmClassify => "SQS_LLM_CLASSIFY_URL",
            QueueName::Ocr => "SQS_OCR_QUEUE_URL",
            QueueName::AttemptReprocess => "SQS_ATTEMPT_REPROCESS_URL",
            QueueName::GuideIngest => "SQS_GUIDE_INGEST_URL",
            QueueName::SolutionGen => "SQS_SOLUTION_GEN_URL",
            QueueName::SubmissionGrade => "SQS_SUBMISSION_GRADE_URL",
            QueueName::ExerciseGenerate => "EXERCISE_GENERATE_QUEUE_URL",
            QueueName::AdhocSolve => "SQS_ADHOC_SOLVE_URL",
            QueueName::HourlyAlerts => "SQS_HOURLY_ALERTS_URL",
        }
    }

    /// Its URL in the configuration, if set.
    pub fn url(self, urls: &QueueUrls) -> Option<&str> {
        match self {
            QueueName::AttemptStream => urls.attempt_stream.as_deref(),
            QueueName::LlmClassify => urls.llm_classify.as_deref(),
            QueueName::Ocr => urls.ocr.as_deref(),
            QueueName::AttemptReprocess => urls.attempt_reprocess.as_deref(),
            QueueName::GuideIngest => urls.guide_ingest.as_deref(),
            QueueName::SolutionGen => urls.solution_gen.as_deref(),
            QueueName::SubmissionGrade => urls.submission_grade.as_deref(),
            QueueName::ExerciseGenerate => urls.exercise_generate.as_deref(),
            QueueName::AdhocSolve => urls.adhoc_solve.as_deref(),
            QueueName::HourlyAlerts => urls.hourly_alerts.as_deref(),
        }
    }

    /// Only the attempt stream is FIFO.
    pub fn is_fifo(self) -> bool {
        self == QueueName::AttemptStream
    }

    pub fn spec(self) -> QueueSpec {
        let (batch_size, max_receive_count, handler_timeout_secs) = match self {
            QueueName::AttemptStream => (10, None, 60),
            QueueName::LlmClassify => (20, Some(3), 120),
            QueueName::Ocr => (10, None, 60),
            QueueName::AttemptReprocess => (10, Some(5), 60),
            QueueName::GuideIngest
            | QueueName::SolutionGen
            | QueueName::SubmissionGrade
            | QueueName::ExerciseGenerate
            | QueueName::AdhocSolve => (10, Some(3), 60),
            QueueName::HourlyAlerts => (10, None, 60),
        };
        QueueSpec {
            batch_size,
            max_receive_count,
            handler_timeout_secs,
        }
    }
}

impl std::fmt::Display for QueueName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.suffix())
    }
}

/// A message body type and the queue it belongs to, so a body cannot go to the wrong queue.
pub trait QueueMessage: Serialize + Sync {
    const QUEUE: QueueName;
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No URL for this queue where an embedded queue is not available (AWS Lambda).
    #[error("queue {queue} is not configured ({var} is not set)")]
    NotConfigured { queue: QueueName, var: &'static str },
    /// FIFO queues need a message group id.
    #[error("queue {0} is FIFO: a message group id is required")]
    MissingGroupId(QueueName),
    #[error("cannot serialise the message for {queue}: {source}")]
    Serialize {
        queue: QueueName,
        #[source]
        source: serde_json::Error,
    },
    /// The SQS call failed (network, permissions, throttling…).
    #[error("sending to {queue} failed: {message}")]
    Send { queue: QueueName, message: String },
    /// Reading the queue's attributes failed.
    #[error("reading the attributes of {queue} failed: {message}")]
    Inspect { queue: QueueName, message: String },
}

/// Publishes message bodies (JSON strings) to a queue.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends one message. `group_id` is required by FIFO queues and ignored by standard ones.
    async fn send(
        &self,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
    ) -> Result<(), QueueError>;

    /// Messages waiting in the queue (`ApproximateNumberOfMessages`), for the admin status page.
    async fn approximate_depth(&self, queue: QueueName) -> Result<u64, QueueError>;

    /// Messages in the queue's dead-letter queue; `None` when it has none.
    async fn dead_letter_depth(&self, queue: QueueName) -> Result<Option<u64>, QueueError>;
}

impl dyn Queue + '_ {
    /// Sends `message` as JSON.
    pub async fn publish<M: Serialize + Sync + ?Sized>(
        &self,
        queue: QueueName,
        message: &M,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        let body = serde_json::to_string(message)
            .map_err(|source| QueueError::Serialize { queue, source })?;
        self.send(queue, body, group_id).await
    }

    /// Sends `message` as JSON to its own queue.
    pub async fn publish_message<M: QueueMessage>(
        &self,
        message: &M,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        self.publish(M::QUEUE, message, group_id).await
    }
}

/// Per-queue selection: SQS when the queue's URL is configured, else the embedded queue (when
/// there is one).
pub struct RoutedQueue {
    urls: QueueUrls,
    sqs: SqsQueue,
    embedded: Option<EmbeddedQueue>,
}

impl RoutedQueue {
    pub fn new(urls: QueueUrls, sqs: SqsQueue, embedded: Option<EmbeddedQueue>) -> Self {
        RoutedQueue {
            urls,
            sqs,
            embedded,
        }
    }

    /// True when `queue` goes through SQS.
    pub fn uses_sqs(&self, queue: QueueName) -> bool {
        queue.url(&self.urls).is_some()
    }

    fn route(&self, queue: QueueName) -> Result<&dyn Queue, QueueError> {
        if self.uses_sqs(queue) {
            return Ok(&self.sqs);
        }
        match &self.embedded {
            Some(embedded) => Ok(embedded),
            None => Err(QueueError::NotConfigured {
                queue,
                var: queue.env_var(),
            }),
        }
    }
}

#[async_trait]
impl Queue for RoutedQueue {
    async fn send(
        &self,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        self.route(queue)?.send(queue, body, group_id).await
    }

    async fn approximate_depth(&self, queue: QueueName) -> Result<u64, QueueError> {
        self.route(queue)?.approximate_depth(queue).await
    }

    async fn dead_letter_depth(&self, queue: QueueName) -> Result<Option<u64>, QueueError> {
        self.route(queue)?.dead_letter_depth(queue).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_maps_to_its_variable_and_url() {
        let urls = QueueUrls {
            attempt_stream: Some("https://sqs/a.fifo".into()),
            adhoc_solve: Some("https://sqs/adhoc".into()),
            ..Default::default()
        };
        assert_eq!(
            QueueName::AttemptStream.url(&urls),
            Some("https://sqs/a.fifo")
        );
        assert_eq!(QueueName::AdhocSolve.url(&urls), Some("https://sqs/adhoc"));
        assert_eq!(QueueName::LlmClassify.url(&urls), None);
        for q in QueueName::ALL {
            assert!(crate::config::VARIABLES.contains(&q.env_var()), "{q}");
            assert_eq!(q.is_fifo(), q.suffix().ends_with(".fifo"));
        }
        assert_eq!(QueueName::LlmClassify.spec().batch_size, 20);
        assert_eq!(
            QueueName::AttemptReprocess.spec().max_receive_count,
            Some(5)
        );
        assert_eq!(QueueName::AttemptStream.spec().max_receive_count, None);
        for q in QueueName::ALL {
            assert_eq!(QueueName::from_suffix(q.suffix()), Some(q));
        }
        assert_eq!(QueueName::from_suffix("nope"), None);
    }
}
