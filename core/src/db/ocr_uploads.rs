//! What the OCR worker reads of the attempt an upload names (`uploads/<studentId>/<attemptId>…`).

use innova_domain::ids::{AttemptId, StudentId};
use sqlx::PgExecutor;

use super::DbResult;

/// The attempt of an upload: whose it is, and the trace its messages carry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadAttempt {
    pub id: AttemptId,
    pub student_id: StudentId,
    pub trace_id: String,
}

/// The attempt `id`, if it exists.
pub async fn attempt(db: impl PgExecutor<'_>, id: &AttemptId) -> DbResult<Option<UploadAttempt>> {
    Ok(
        sqlx::query_as("SELECT id, student_id, trace_id FROM attempts WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}
