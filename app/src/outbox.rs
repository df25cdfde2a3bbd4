//! Work for the queues, published through the transactional outbox (decision 22).
//!
//! A use case writes each message that asks for work with [`enqueue`] in the transaction of the
//! rows it names, commits, then calls [`publish`]: the messages are sent and their rows deleted.
//! A send that fails leaves its row, and the request still succeeds — its work is durably queued;
//! [`relay`] publishes what is left (locally every few seconds, on Lambda every minute from the
//! `alertGenerator` function). So a consumer never receives a message before its rows are
//! committed, and a message is never lost once they are; delivery is at least once (a publish
//! whose `DELETE` is lost is sent again), which every consumer absorbs.
//!
//! Telemetry (`attempt-stream.fifo`) stays fire-and-forget: it asks for no work, an event lost to
//! a failed publish is a missing analytics row, and it is the one message of the hot path.

use std::time::Duration;

use innova_core::db::outbox::{self, OutboxEntry};
use innova_core::db::{self, PgConnection};
use innova_core::queue::{QueueMessage, QueueName};

use crate::{App, AppResult};

/// Writes `message` in the caller's transaction; publish it with [`publish`] after the commit.
pub async fn enqueue<M: QueueMessage>(
    conn: &mut PgConnection,
    message: &M,
) -> AppResult<OutboxEntry> {
    Ok(outbox::enqueue(&mut *conn, message, None).await?)
}

/// What [`publish`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    pub sent: usize,
    /// Left in the outbox for the relay (the send failed).
    pub kept: usize,
}

/// Sends committed `entries` and deletes the sent ones. Never fails: what could not be sent (or
/// deleted) stays in the outbox for [`relay`].
pub async fn publish(app: &App, entries: Vec<OutboxEntry>) -> Published {
    if entries.is_empty() {
        return Published::default();
    }
    let mut sent = Vec::with_capacity(entries.len());
    let mut kept = 0;
    for entry in entries {
        match app
            .services
            .queue
            .send(entry.queue, entry.body, entry.group_id)
            .await
        {
            Ok(()) => sent.push(entry.id),
            Err(e) => {
                kept += 1;
                tracing::warn!(error = %e, queue = %entry.queue, outbox_id = entry.id,
                    "publish failed: the message stays in the outbox for the relay");
            }
        }
    }
    if let Err(e) = outbox::delete(&app.db, &sent).await {
        // Sent but not deleted: the relay sends them again (consumers are idempotent).
        tracing::warn!(error = %e, ids = ?sent, "published messages could not be removed from the outbox");
    }
    Published {
        sent: sent.len(),
        kept,
    }
}

/// Rows the relay takes per transaction.
const RELAY_BATCH: i64 = 50;
/// The longest a failed row waits before the relay tries it again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What one [`relay`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RelayReport {
    /// Sent and deleted.
    pub published: usize,
    /// Sends that failed (the rows wait, with a backoff).
    pub failed: usize,
}

/// Publishes the outbox rows whose time has come (left by failed publishes or dead processes),
/// at most `max_rows` of them: each batch is locked (`SKIP LOCKED`: concurrent relays share the
/// work), sent, and settled — deleted, or postponed with an exponential backoff — in one
/// transaction. A failed database call ends the run with its error; the rows stay.
pub async fn relay(app: &App, max_rows: usize) -> AppResult<RelayReport> {
    let mut report = RelayReport::default();
    while report.published + report.failed < max_rows {
        let room = (max_rows - report.published - report.failed) as i64;
        let mut tx = db::begin(&app.db).await?;
        let rows = outbox::take_due(&mut tx, room.min(RELAY_BATCH)).await?;
        if rows.is_empty() {
            break;
        }
        let mut sent = Vec::with_capacity(rows.len());
        let mut batch_failed = 0;
        for row in rows {
            let result = match QueueName::from_suffix(&row.queue) {
                Some(queue) => app
                    .services
                    .queue
                    .send(queue, row.body, row.group_id)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!("unknown queue {}", row.queue)),
            };
            match result {
                Ok(()) => sent.push(row.id),
                Err(error) => {
                    batch_failed += 1;
                    let backoff = MAX_BACKOFF
                        .as_secs_f64()
                        .min(2f64.powi(row.attempts.clamp(0, 16)));
                    tracing::warn!(%error, queue = %row.queue, outbox_id = row.id,
                        attempts = row.attempts + 1, "outbox relay: publish failed");
                    outbox::postpone(&mut *tx, row.id, &error, backoff).await?;
                }
            }
        }
        outbox::delete(&mut *tx, &sent).await?;
        tx.commit().await.map_err(db::DbError::from)?;
        report.published += sent.len();
        report.failed += batch_failed;
        if batch_failed > 0 {
            // The queue is failing: leave the rest for the next run.
            break;
        }
    }
    if report != RelayReport::default() {
        tracing::info!(
            published = report.published,
            failed = report.failed,
            "outbox relay"
        );
    }
    Ok(report)
}
