//! The transactional outbox (`innova.outbox`, decision 22): messages that ask for work, written
//! in the transaction of the rows they name and deleted once published.
//!
//! * [`enqueue`] inside the use case's transaction (one `INSERT`);
//! * after the commit the use case publishes what it enqueued and [`delete`]s it (one `DELETE`
//!   for all of a request's messages);
//! * the relay takes what is left ([`take_due`], rows whose grace has passed, locked with `SKIP
//!   LOCKED` so two relays never send the same row at once), publishes it and settles each row
//!   ([`delete`] or [`postpone`]) in the same transaction.
//!
//! A new row is left to its request for [`REQUEST_GRACE_SECS`] before the relay may take it, so
//! the two rarely send the same message; when they do (a request that published, then died
//! before its `DELETE`), the consumer's idempotency absorbs it.

use chrono::NaiveDateTime;
use sqlx::{PgConnection, PgExecutor};

use super::DbResult;
use crate::queue::{QueueMessage, QueueName};

/// Seconds a new row belongs to the request that wrote it before the relay may publish it.
pub const REQUEST_GRACE_SECS: i64 = 10;

/// A stored message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub queue: QueueName,
    /// JSON, exactly as it is published.
    pub body: String,
    /// FIFO queues only.
    pub group_id: Option<String>,
}

/// A row as the relay reads it (the queue as its name, parsed by the caller).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub queue: String,
    pub body: String,
    pub group_id: Option<String>,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

/// Writes `message` for its queue; run it in the transaction of the rows the message names.
pub async fn enqueue<M: QueueMessage>(
    exec: impl PgExecutor<'_>,
    message: &M,
    group_id: Option<&str>,
) -> DbResult<OutboxEntry> {
    let body = serde_json::to_string(message).map_err(|e| {
        super::DbError::Other(sqlx::Error::Encode(
            format!("the {} message cannot be serialised: {e}", M::QUEUE).into(),
        ))
    })?;
    enqueue_raw(exec, M::QUEUE, body, group_id).await
}

/// [`enqueue`] for a body already serialised.
pub async fn enqueue_raw(
    exec: impl PgExecutor<'_>,
    queue: QueueName,
    body: String,
    group_id: Option<&str>,
) -> DbResult<OutboxEntry> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO innova.outbox (queue, body, group_id, next_attempt_at)
         VALUES ($1, $2, $3, CURRENT_TIMESTAMP + make_interval(secs => $4))
         RETURNING id",
    )
    .bind(queue.suffix())
    .bind(&body)
    .bind(group_id)
    .bind(REQUEST_GRACE_SECS as f64)
    .fetch_one(exec)
    .await?;
    Ok(OutboxEntry {
        id,
        queue,
        body,
        group_id: group_id.map(str::to_owned),
    })
}

/// Deletes published rows (unknown ids — already settled by the relay — are ignored).
pub async fn delete(exec: impl PgExecutor<'_>, ids: &[i64]) -> DbResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query("DELETE FROM innova.outbox WHERE id = ANY($1)")
        .bind(ids)
        .execute(exec)
        .await?
        .rows_affected())
}

/// Up to `limit` rows whose time has come, oldest first, locked for this transaction; rows
/// another relay holds are skipped.
pub async fn take_due(conn: &mut PgConnection, limit: i64) -> DbResult<Vec<OutboxRow>> {
    Ok(sqlx::query_as(
        "SELECT id, queue, body, group_id, attempts, created_at FROM innova.outbox
         WHERE next_attempt_at <= CURRENT_TIMESTAMP
         ORDER BY id
         LIMIT $1
         FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records a failed publish of `id` and leaves it alone for `backoff_secs`.
pub async fn postpone(
    exec: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    backoff_secs: f64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE innova.outbox
         SET attempts = attempts + 1, last_error = left($2, 1000),
             next_attempt_at = CURRENT_TIMESTAMP + make_interval(secs => $3)
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(backoff_secs)
    .execute(exec)
    .await?;
    Ok(())
}

/// What waits in the outbox: rows, and the age in seconds of the oldest (for the status page).
pub async fn backlog(exec: impl PgExecutor<'_>) -> DbResult<(i64, Option<f64>)> {
    Ok(sqlx::query_as(
        "SELECT count(*), EXTRACT(EPOCH FROM (CURRENT_TIMESTAMP - min(created_at)))::float8
         FROM innova.outbox",
    )
    .fetch_one(exec)
    .await?)
}
