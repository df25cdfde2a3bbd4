//! `attemptReprocessWorker` (workers-infra.md §2.5, decision 20): each attempt-reprocess
//! message (§3.4) applied by [`innova_app::grading::apply`], one database transaction per
//! message, idempotent on redelivery.
//!
//! Records are handled one after the other (a batch is at most 10; two messages of one student
//! and topic then step BKT in the order SQS gave them). A body that is not the §3.4 message is a
//! failed record (logged; after `maxReceiveCount` receives it waits in the DLQ), never dropped;
//! a use case error fails its record only (`ReportBatchItemFailures`).

use async_trait::async_trait;
use innova_app::App;
use innova_app::grading::{self, Outcome};
use innova_core::messages::AttemptReprocessMessage;
use innova_core::queue::{SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};

/// Consumer of `attempt-reprocess-queue`.
pub struct AttemptReprocessHandler {
    app: App,
}

impl AttemptReprocessHandler {
    pub fn new(app: App) -> Self {
        AttemptReprocessHandler { app }
    }
}

#[async_trait]
impl SqsHandler for AttemptReprocessHandler {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in &event.records {
            let message_id = record.message_id.as_deref().unwrap_or_default();
            let message = match parse(record) {
                Ok(m) => m,
                Err(reason) => {
                    tracing::error!(message_id, reason, "malformed attempt-reprocess message");
                    response.add_failure(message_id);
                    continue;
                }
            };
            match grading::apply(&self.app, &message).await {
                Ok(outcome) => log(message_id, &message, &outcome),
                Err(e) => crate::record_failed(&mut response, message_id, &e),
            }
        }
        response
    }
}

fn log(message_id: &str, message: &AttemptReprocessMessage, outcome: &Outcome) {
    let submission = message.guide_submission_id.as_deref().unwrap_or_default();
    match outcome {
        Outcome::Graded {
            attempt_id,
            is_correct,
            error_tag_code,
        } => tracing::info!(
            message_id,
            submission,
            %attempt_id,
            is_correct,
            error_tag_code = error_tag_code.as_deref().unwrap_or("(LLM)"),
            "submission graded"
        ),
        Outcome::Regraded {
            attempt_id,
            is_correct,
        } => {
            tracing::info!(
                message_id,
                %attempt_id,
                is_correct,
                "attempt regraded from its photo"
            )
        }
        Outcome::AlreadyDone => tracing::info!(message_id, submission, "already applied"),
        Outcome::NothingToDo => tracing::warn!(message_id, submission, "names nothing stored"),
    }
}

/// The §3.4 body: JSON with `latex_steps` and `confidence`, and a submission or attempt id.
fn parse(record: &SqsMessage) -> Result<AttemptReprocessMessage, String> {
    if record.message_id.as_deref().is_none_or(str::is_empty) {
        return Err("the record has no messageId".into());
    }
    let body = record.body.as_deref().ok_or("the record has no body")?;
    let message: AttemptReprocessMessage =
        serde_json::from_str(body).map_err(|e| format!("not an attempt-reprocess message: {e}"))?;
    fn names<T: AsRef<str>>(id: &Option<T>) -> bool {
        id.as_ref().is_some_and(|s| !s.as_ref().trim().is_empty())
    }
    if !names(&message.guide_submission_id) && !names(&message.attempt_id) {
        return Err("neither guide_submission_id nor attempt_id".into());
    }
    if !(0.0..=1.0).contains(&message.confidence) {
        return Err(format!(
            "confidence {} is not within 0..1",
            message.confidence
        ));
    }
    Ok(message)
}
