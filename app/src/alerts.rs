//! Teacher alerts: a course's unresolved alerts, an alert a teacher raises by hand, and
//! resolving one (once: resolving again changes nothing).

use innova_core::db::alerts::{self, Reference};
use innova_domain::alerts::{AlertType, Severity};

pub use innova_core::db::alerts::AlertRow;

use crate::{App, AppError, AppResult};

/// An alert a teacher raises (`POST /alerts`), validated by the caller's front (the API); the
/// teacher is the caller, never a client-chosen id.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub teacher_id: String,
    pub course_id: String,
    pub topic_id: Option<String>,
    pub student_id: Option<String>,
    pub alert_type: AlertType,
    pub severity: Severity,
    /// A JSON object.
    pub payload: serde_json::Value,
}

/// The unresolved alerts of a course, newest first.
pub async fn unresolved(app: &App, course_id: &str) -> AppResult<Vec<AlertRow>> {
    Ok(alerts::unresolved_of_course(&app.db, course_id).await?)
}

/// Stores an alert. Its topic, when given, must be one of the course's curriculum and its
/// student, when given, must have an ACTIVE enrollment in the course: otherwise
/// [`AppError::Unprocessable`] naming `topicId` / `studentId`, and nothing is written.
pub async fn create(app: &App, alert: NewAlert) -> AppResult<AlertRow> {
    let refs = alerts::references(
        &app.db,
        &alert.course_id,
        alert.topic_id.as_deref(),
        alert.student_id.as_deref(),
    )
    .await?;
    let mut problems = Vec::new();
    let course = &alert.course_id;
    if let Some(topic) = &alert.topic_id {
        match refs.topic {
            Reference::Unknown => problems.push(format!("topicId: topic {topic} does not exist")),
            Reference::OtherCourse => problems.push(format!(
                "topicId: topic {topic} is not in the curriculum of course {course}"
            )),
            Reference::Absent | Reference::InCourse => {}
        }
    }
    if let Some(student) = &alert.student_id {
        match refs.student {
            Reference::Unknown => {
                problems.push(format!("studentId: student {student} does not exist"))
            }
            Reference::OtherCourse => problems.push(format!(
                "studentId: student {student} is not enrolled in course {course}"
            )),
            Reference::Absent | Reference::InCourse => {}
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join("; ")));
    }
    Ok(alerts::insert(
        &app.db,
        &alerts::NewAlert {
            teacher_id: &alert.teacher_id,
            course_id: &alert.course_id,
            topic_id: alert.topic_id.as_deref(),
            student_id: alert.student_id.as_deref(),
            alert_type: alert.alert_type,
            severity: alert.severity,
            payload: &alert.payload,
        },
    )
    .await?)
}

/// An alert by id; [`AppError::NotFound`] `Alert <id> not found`.
pub async fn find(app: &App, id: &str) -> AppResult<AlertRow> {
    alerts::find(&app.db, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The answer for an alert the caller may not see: the same as for one that does not exist.
pub fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Alert {id} not found"))
}

/// Resolves an alert now, recording `resolved_by` (a `users.id`). Idempotent: an alert already
/// resolved is answered as stored, with nothing written (its first resolution stands).
pub async fn resolve(app: &App, id: &str, resolved_by: &str) -> AppResult<AlertRow> {
    let mut conn = app
        .db
        .acquire()
        .await
        .map_err(innova_core::db::DbError::from)?;
    let (row, _) = alerts::resolve(&mut conn, id, resolved_by)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(row)
}
