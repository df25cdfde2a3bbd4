//! `telemetryWorker` (decisions.md 20): persists each attempt-stream message as one
//! `attempt_events` document, idempotent per attempt.
//!
//! Per record: the body must be the attempt-stream message (`{attemptId, traceId, rawSteps}`),
//! else the record is reported failed (never dropped; the attempt stream has no DLQ, so SQS keeps
//! redelivering it until its 1-day retention ends, and the log says why each time). The document
//! takes `student_id` from the record's `MessageGroupId` (the student id), or the attempt row;
//! `classroom_id` is the attempt's `course_id` (null without one), looked up for the whole batch
//! in one query. `events` is empty and `summary` zero: the API receives no keystroke events.
//! The batch's documents are stored in one call (`record_attempt_events`: one append in the
//! local store). A store failure fails that record; a lookup failure fails the whole batch.
//!
//! Not done here yet: archiving old events to S3 (`archived_to_s3_at`).

use innova_domain::ids::AttemptId;
use std::sync::Arc;

use async_trait::async_trait;
use innova_core::messages::AttemptStreamMessage;
use innova_core::queue::{SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};
use innova_core::telemetry::{self, AttemptEventDoc, EventSummary, TelemetryStore};
use sqlx::PgPool;

/// The record attribute holding the FIFO message group (the student id).
const GROUP_ID: &str = "MessageGroupId";

/// Consumer of `attempt-stream.fifo`.
pub struct TelemetryHandler {
    store: Arc<dyn TelemetryStore>,
    db: PgPool,
}

impl TelemetryHandler {
    pub fn new(store: Arc<dyn TelemetryStore>, db: PgPool) -> Self {
        TelemetryHandler { store, db }
    }
}

/// A record whose body parsed.
struct Parsed<'a> {
    message_id: &'a str,
    group_id: Option<&'a str>,
    message: AttemptStreamMessage,
}

#[async_trait]
impl SqsHandler for TelemetryHandler {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let mut parsed = Vec::with_capacity(event.records.len());
        for record in &event.records {
            match parse(record) {
                Ok(p) => parsed.push(p),
                Err(reason) => {
                    let id = record.message_id.as_deref().unwrap_or_default();
                    tracing::error!(message_id = id, reason, "malformed attempt-stream message");
                    response.add_failure(id);
                }
            }
        }
        if parsed.is_empty() {
            return response;
        }

        let ids: Vec<AttemptId> = parsed
            .iter()
            .map(|p| p.message.attempt_id.clone())
            .collect();
        let attempts = match telemetry::attempt_refs(&self.db, &ids).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, records = parsed.len(), "attempt lookup failed: batch retried");
                for p in &parsed {
                    response.add_failure(p.message_id);
                }
                return response;
            }
        };

        let mut message_ids: Vec<&str> = Vec::with_capacity(parsed.len());
        let mut docs: Vec<AttemptEventDoc> = Vec::with_capacity(parsed.len());
        for p in parsed {
            let row = attempts.get(&p.message.attempt_id);
            let student_id = match (p.group_id, row) {
                (Some(group), Some(row)) if row.student_id != group => {
                    tracing::warn!(attempt_id = %p.message.attempt_id, "message group differs from the attempt's student");
                    group.to_string()
                }
                (Some(group), _) => group.to_string(),
                (None, Some(row)) => row.student_id.to_string(),
                (None, None) => {
                    tracing::error!(message_id = p.message_id, attempt_id = %p.message.attempt_id,
                        "no message group and no attempt row: the student is unknown");
                    response.add_failure(p.message_id);
                    continue;
                }
            };
            if row.is_none() {
                tracing::warn!(attempt_id = %p.message.attempt_id, "attempt row not found: stored without a classroom");
            }
            let now = telemetry::now();
            let doc = AttemptEventDoc {
                attempt_id: p.message.attempt_id.into_string(),
                student_id,
                classroom_id: row.and_then(|r| r.course_id.as_ref().map(ToString::to_string)),
                trace_id: p.message.trace_id,
                events: Vec::new(),
                summary: EventSummary::default(),
                raw_steps: p.message.raw_steps,
                archived_to_s3_at: None,
                created_at: now,
                updated_at: now,
            };
            message_ids.push(p.message_id);
            docs.push(doc);
        }
        if docs.is_empty() {
            return response;
        }

        // The whole batch at once: the local store appends it in one write; a store that is
        // down costs one timeout, not one per record.
        let results = self.store.record_attempt_events(&docs).await;
        for ((message_id, doc), result) in message_ids.iter().zip(&docs).zip(results) {
            match result {
                Ok(recorded) => tracing::info!(
                    attempt_id = %doc.attempt_id, trace_id = %doc.trace_id, inserted = recorded.inserted,
                    "attempt event recorded"
                ),
                Err(e) => {
                    tracing::error!(attempt_id = %doc.attempt_id, error = %e, "attempt event not stored: will be retried");
                    response.add_failure(*message_id);
                }
            }
        }
        response
    }
}

fn parse(record: &SqsMessage) -> Result<Parsed<'_>, String> {
    let message_id = record
        .message_id
        .as_deref()
        .ok_or("the record has no messageId")?;
    let body = record.body.as_deref().ok_or("the record has no body")?;
    let message: AttemptStreamMessage =
        serde_json::from_str(body).map_err(|e| format!("not an attempt-stream message: {e}"))?;
    if message.attempt_id.trim().is_empty() {
        return Err("attemptId is empty".into());
    }
    let group_id = record
        .attributes
        .get(GROUP_ID)
        .map(String::as_str)
        .filter(|g| !g.is_empty());
    Ok(Parsed {
        message_id,
        group_id,
        message,
    })
}
