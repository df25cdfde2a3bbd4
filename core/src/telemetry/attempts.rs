//! The attempt rows the telemetry worker needs (student and course of each attempt), in one
//! query per batch.

use std::collections::HashMap;

use innova_domain::ids::{AttemptId, CourseId, StudentId};
use sqlx::PgExecutor;

/// Who made an attempt, and in which course.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRef {
    pub id: AttemptId,
    pub student_id: StudentId,
    pub course_id: Option<CourseId>,
}

/// The `attempts` rows among `ids`, by id (ids without a row are absent).
pub async fn attempt_refs(
    db: impl PgExecutor<'_>,
    ids: &[AttemptId],
) -> Result<HashMap<AttemptId, AttemptRef>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<AttemptRef> =
        sqlx::query_as("SELECT id, student_id, course_id FROM attempts WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|r| (r.id.clone(), r)).collect())
}
