//! Worker handlers. Each Lambda binary in `src/bin` is a thin `main` around one of these; a local
//! process (the API under `scripts/dev`) runs the same handlers through the embedded queue, see
//! [`register_embedded`].

use std::sync::Arc;

use innova_app::AppError;
use innova_core::config::{Config, StageOwner};
use innova_core::queue::{QueueName, SqsBatchResponse};
use innova_core::services::{Runtime, Services};
use sqlx::PgPool;

pub mod alert_generator;
pub mod outbox_relay;
pub mod telemetry;
// --- Attempt reprocess
pub mod attempt_reprocess;
// --- LLM classifier
pub mod llm_classifier;
pub mod reenqueue;
// --- OCR / archive
pub mod ocr;
pub mod telemetry_archive;

/// Registers every worker whose queue is embedded in this process as its in-process consumer
/// (queues that go through SQS are consumed by the Lambda functions instead). Returns the queues
/// it registered.
pub fn register_embedded(config: &Config, services: &Services, db: &PgPool) -> Vec<QueueName> {
    let mut registered = Vec::new();
    // Embedded queues exist in local processes only.
    let store = innova_core::telemetry::from_config(config, Runtime::Local);
    let telemetry = telemetry::TelemetryHandler::new(store.clone(), db.clone());
    if services.register_handler(QueueName::AttemptStream, Arc::new(telemetry)) {
        registered.push(QueueName::AttemptStream);
    }
    // --- Attempt reprocess
    let app = innova_app::App::new(Arc::new(config.clone()), db.clone(), services.clone());
    let reprocess = attempt_reprocess::AttemptReprocessHandler::new(app);
    if services.register_handler(QueueName::AttemptReprocess, Arc::new(reprocess)) {
        registered.push(QueueName::AttemptReprocess);
    }
    // --- LLM classifier (not when the AI engine owns the stage: decision 21)
    let owners = config.stage_owners;
    if owners.llm_classification == StageOwner::Backend
        && llm_classifier::register_embedded(config, services, db, store.clone())
    {
        registered.push(QueueName::LlmClassify);
    }
    // --- OCR / archive: not a queue, the local OCR uploads bucket's stored objects.
    if owners.ocr == StageOwner::Backend && ocr::register_local(config, services, db) {
        tracing::info!("ocrWorker running in-process on the local OCR uploads bucket");
    }
    registered
}

/// The one place where a use case's error becomes a failed record (ReportBatchItemFailures):
/// logged with its cause, the record reported failed so SQS delivers it again — and, for errors
/// no retry can mend, after the queue's `maxReceiveCount`, to its dead-letter queue. A worker
/// never drops a message it could not handle.
pub fn record_failed(response: &mut SqsBatchResponse, message_id: &str, error: &AppError) {
    if error.is_transient() {
        tracing::warn!(message_id, error = %error, "record failed, will be retried");
    } else {
        tracing::error!(message_id, error = %error, "record failed: retries will not help, it goes to the dead-letter queue");
    }
    response.add_failure(message_id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_use_case_fails_its_record_only() {
        let mut response = SqsBatchResponse::default();
        record_failed(
            &mut response,
            "m-1",
            &AppError::Unavailable("queue down".into()),
        );
        record_failed(
            &mut response,
            "m-3",
            &AppError::invalid("rawSteps must not be empty"),
        );
        let ids: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["m-1", "m-3"]);
    }
}
