//! No attempt left PENDING: attempts waiting for the LLM classifier for longer than they
//! should (their llm-classify publish failed at `POST /attempts`, or their message went to the
//! dead-letter queue) get their message published again.
//!
//! Bounded (at most `limit` attempts per run, oldest first) and idempotent: the classifier
//! skips an attempt that is no longer PENDING, so a message sent twice costs at most a skipped
//! record. The bodies are rebuilt from the stored rows
//! ([`innova_core::db::classify::rebuild_messages`]).

use innova_domain::ids::AttemptId;
use std::time::Duration;

use innova_core::db::DbError;
use innova_core::db::classify as repo;
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// An attempt younger than this is left alone: its first message may still be on its way
/// (the llm-classify queue retries a message for up to 3 × 6 minutes).
pub const DEFAULT_OLDER_THAN: Duration = Duration::from_secs(30 * 60);

/// Messages one run sends at most.
pub const DEFAULT_LIMIT: u32 = 500;

/// What one run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReenqueueReport {
    pub older_than_minutes: i32,
    pub limit: u32,
    /// PENDING attempts found (at most `limit`).
    pub found: usize,
    /// Their messages published.
    pub enqueued: usize,
    /// Publishes that failed (those attempts are found again by the next run).
    pub failed: usize,
    /// Found but gone when their bodies were read (deleted meanwhile).
    pub skipped: usize,
    /// The ids whose message was published, oldest first.
    pub attempt_ids: Vec<AttemptId>,
    /// `created_at` of the oldest attempt found (UTC).
    pub oldest_created_at: Option<chrono::NaiveDateTime>,
}

/// Publishes the llm-classify message of each attempt PENDING for longer than `older_than`
/// (whole minutes), at most `limit`, oldest first.
pub async fn run(app: &App, older_than: Duration, limit: u32) -> AppResult<ReenqueueReport> {
    if limit == 0 {
        return Err(AppError::invalid("limit must be at least 1"));
    }
    let minutes = i32::try_from(older_than.as_secs() / 60)
        .map_err(|_| AppError::invalid("older-than is too large"))?;
    let stale = repo::stale_pending(&app.db, minutes, i64::from(limit)).await?;
    let mut report = ReenqueueReport {
        older_than_minutes: minutes,
        limit,
        found: stale.len(),
        enqueued: 0,
        failed: 0,
        skipped: 0,
        attempt_ids: Vec::new(),
        oldest_created_at: stale.first().map(|s| s.created_at),
    };
    if stale.is_empty() {
        tracing::info!(
            older_than_minutes = minutes,
            "re-enqueue: no attempt left PENDING"
        );
        return Ok(report);
    }
    let ids: Vec<AttemptId> = stale.into_iter().map(|s| s.id).collect();
    let messages = {
        let mut conn = app.db.acquire().await.map_err(DbError::from)?;
        repo::rebuild_messages(&mut conn, &ids).await?
    };
    for message in &messages {
        match app.services.queue.publish_message(message, None).await {
            Ok(()) => {
                report.enqueued += 1;
                report.attempt_ids.push(message.id.clone());
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(attempt_id = %message.id, error = %e, "re-enqueue: publish failed");
            }
        }
    }
    report.skipped = ids.len() - messages.len();
    tracing::info!(
        older_than_minutes = minutes, found = report.found, enqueued = report.enqueued,
        failed = report.failed, skipped = report.skipped, oldest_created_at = ?report.oldest_created_at,
        "re-enqueue: PENDING attempts sent to the LLM classifier again"
    );
    Ok(report)
}
