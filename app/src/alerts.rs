//! Teacher alerts: a course's unresolved alerts, an alert a teacher raises by hand, and
//! resolving one (once: resolving again changes nothing).

use innova_core::db::alerts::{self, Reference};
use innova_domain::alerts::{AlertType, Severity};
use innova_domain::ids::{AlertId, CourseId, StudentId, TeacherId, TopicId};

pub use innova_core::db::alerts::AlertRow;

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// An alert a teacher raises (`POST /alerts`), validated by the caller's front (the API); the
/// teacher is the caller, never a client-chosen id.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// The teacher the request names, if any: it must be the caller (the alert's teacher is
    /// always the caller).
    pub teacher_id: Option<TeacherId>,
    pub course_id: CourseId,
    pub topic_id: Option<TopicId>,
    pub student_id: Option<StudentId>,
    pub alert_type: AlertType,
    pub severity: Severity,
    /// A JSON object.
    pub payload: serde_json::Value,
}

/// The unresolved alerts of a course, newest first.
pub async fn unresolved(
    app: &App,
    permit: &Permit<op::AlertsList>,
    course_id: &CourseId,
) -> AppResult<Vec<AlertRow>> {
    permit.require(&app.db, Target::course(course_id)).await?;
    Ok(alerts::unresolved_of_course(&app.db, course_id).await?)
}

/// Stores an alert. Its topic, when given, must be one of the course's curriculum and its
/// student, when given, must have an ACTIVE enrollment in the course: otherwise
/// [`AppError::Unprocessable`] naming `topicId` / `studentId`, and nothing is written. A
/// `teacherId` other than the caller's teacher profile is [`AppError::Unprocessable`] too.
pub async fn create(
    app: &App,
    permit: &Permit<op::AlertsCreate>,
    alert: NewAlert,
) -> AppResult<AlertRow> {
    permit
        .require(&app.db, Target::course(&alert.course_id))
        .await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    if let Some(named) = alert.teacher_id.as_ref().filter(|t| *t != teacher_id) {
        return Err(AppError::Unprocessable(format!(
            "teacherId: {named} is not the caller's teacher profile (omit teacherId: the \
             alert's teacher is always the caller)"
        )));
    }
    let refs = alerts::references(
        &app.db,
        &alert.course_id,
        alert.topic_id.as_ref(),
        alert.student_id.as_ref(),
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
            teacher_id,
            course_id: &alert.course_id,
            topic_id: alert.topic_id.as_ref(),
            student_id: alert.student_id.as_ref(),
            alert_type: alert.alert_type,
            severity: alert.severity,
            payload: &alert.payload,
        },
    )
    .await?)
}

/// The answer for an alert the caller may not see: the same as for one that does not exist.
pub fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Alert {id} not found"))
}

/// Resolves an alert of the caller's now, recording them as `resolved_by`. Idempotent: an alert already
/// resolved is answered as stored, with nothing written (its first resolution stands).
pub async fn resolve(
    app: &App,
    permit: &Permit<op::AlertsResolve>,
    id: &AlertId,
) -> AppResult<AlertRow> {
    let alert = alerts::find(&app.db, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let denied = not_found(id).to_string();
    permit
        .require_with(&app.db, Target::teacher(&alert.teacher_id), &denied)
        .await?;
    let resolved_by = &permit.caller()?.user_id;
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
