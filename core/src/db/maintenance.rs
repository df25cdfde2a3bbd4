//! Pruning of the project's own tables that grow with traffic (`innova.attempt_requests`,
//! `innova.mastery_history`), in bounded batches so that no statement holds many row locks or
//! runs long.

use chrono::NaiveDateTime;
use sqlx::PgExecutor;

use super::DbResult;

/// Deletes up to `batch` retry keys claimed before `before`; returns how many.
pub async fn prune_attempt_requests(
    exec: impl PgExecutor<'_>,
    before: NaiveDateTime,
    batch: i64,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM innova.attempt_requests
         WHERE ctid IN (SELECT ctid FROM innova.attempt_requests
                        WHERE created_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(exec)
    .await?
    .rows_affected())
}

/// Deletes up to `batch` mastery-history points recorded before `before` that a newer point,
/// also before `before`, makes useless: the trend of a student and topic needs the points inside
/// the window and the last one before it, which is kept (as the per-update pruning does).
pub async fn prune_mastery_history(
    exec: impl PgExecutor<'_>,
    before: NaiveDateTime,
    batch: i64,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM innova.mastery_history
         WHERE ctid IN (
             SELECT h.ctid FROM innova.mastery_history h
             WHERE h.recorded_at < $1
               AND EXISTS (SELECT 1 FROM innova.mastery_history n
                           WHERE n.student_id = h.student_id AND n.topic_id = h.topic_id
                             AND n.recorded_at > h.recorded_at AND n.recorded_at < $1)
             LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(exec)
    .await?
    .rows_affected())
}
