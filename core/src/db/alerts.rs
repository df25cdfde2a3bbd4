//! Teacher alerts (`teacher_alerts`): created by teachers and by the alert generator, listed per
//! course, resolved once by their teacher.

use chrono::NaiveDateTime;
pub use innova_domain::alerts::{AlertType, Severity};
use innova_domain::ids::{AlertId, CourseId, StudentId, TeacherId, TopicId};
use sqlx::PgExecutor;

use super::DbResult;

/// A stored alert.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRow {
    pub id: AlertId,
    pub teacher_id: TeacherId,
    pub course_id: CourseId,
    pub topic_id: Option<TopicId>,
    pub student_id: Option<StudentId>,
    #[sqlx(try_from = "String")]
    pub alert_type: AlertType,
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    pub payload: serde_json::Value,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    /// The `users.id` of whoever resolved it (no foreign key; the reference never set it).
    pub resolved_by: Option<String>,
}

const COLUMNS: &str = "id, teacher_id, course_id, topic_id, student_id, alert_type, severity,
     payload, created_at, resolved_at, resolved_by";

/// An alert to insert (`created_at` is the database's clock).
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    pub teacher_id: &'a TeacherId,
    pub course_id: &'a CourseId,
    pub topic_id: Option<&'a TopicId>,
    pub student_id: Option<&'a StudentId>,
    pub alert_type: AlertType,
    pub severity: Severity,
    pub payload: &'a serde_json::Value,
}

/// Inserts an alert with a new id and returns it. Unknown teacher, course or topic ids surface
/// as [`super::DbError::MissingReference`] naming the field (`studentId` has no foreign key).
pub async fn insert(exec: impl PgExecutor<'_>, a: &NewAlert<'_>) -> DbResult<AlertRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, topic_id, student_id, alert_type,
                                     severity, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(a.teacher_id)
    .bind(a.course_id)
    .bind(a.topic_id)
    .bind(a.student_id)
    .bind(a.alert_type.as_str())
    .bind(a.severity.as_str())
    .bind(a.payload)
    .fetch_one(exec)
    .await?)
}

/// An alert by id.
pub async fn find(exec: impl PgExecutor<'_>, id: &AlertId) -> DbResult<Option<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM teacher_alerts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The unresolved alerts of a course, newest first (ties by id, so the order is stable).
pub async fn unresolved_of_course(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
) -> DbResult<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM teacher_alerts
         WHERE course_id = $1 AND resolved_at IS NULL
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(course_id)
    .fetch_all(exec)
    .await?)
}

/// Marks an unresolved alert resolved now by `resolved_by` (a `users.id`), in one statement.
/// `Some((row, true))`: this call resolved it. `Some((row, false))`: it was already resolved,
/// nothing was written and the stored row is returned as it is. `None`: no such alert.
pub async fn resolve(
    conn: &mut super::PgConnection,
    id: &AlertId,
    resolved_by: &str,
) -> DbResult<Option<(AlertRow, bool)>> {
    let resolved: Option<AlertRow> = sqlx::query_as(&format!(
        "UPDATE teacher_alerts SET resolved_at = CURRENT_TIMESTAMP, resolved_by = $2
         WHERE id = $1 AND resolved_at IS NULL
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(resolved_by)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = resolved {
        return Ok(Some((row, true)));
    }
    Ok(find(&mut *conn, id).await?.map(|row| (row, false)))
}

/// Whether an id an alert refers to names a row, and whether that row belongs to the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// No id was given.
    Absent,
    /// No row has this id.
    Unknown,
    /// The row exists but is not the course's.
    OtherCourse,
    /// The row exists and belongs to the course.
    InCourse,
}

/// How the topic and student ids of a new alert relate to its course, in one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct References {
    /// A topic belongs to the course when its curriculum is the course's: same subject, same
    /// country as the course's school's organization (as [`super::curriculum::topic_by_code`]).
    pub topic: Reference,
    /// A student belongs to the course with an ACTIVE enrollment in it.
    pub student: Reference,
}

pub async fn references(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
    topic_id: Option<&TopicId>,
    student_id: Option<&StudentId>,
) -> DbResult<References> {
    let (topic_exists, topic_in_course, student_exists, student_in_course): (
        bool,
        bool,
        bool,
        bool,
    ) = sqlx::query_as(
        "SELECT
             EXISTS (SELECT 1 FROM topics WHERE id = $2),
             EXISTS (SELECT 1 FROM topics t
                     JOIN units u ON u.id = t.unit_id
                     JOIN curricula cu ON cu.id = u.curriculum_id
                     JOIN courses c ON c.id = $1 AND c.subject_id = cu.subject_id
                     JOIN schools sc ON sc.id = c.school_id
                     JOIN organizations o ON o.id = sc.organization_id AND o.country = cu.country
                     WHERE t.id = $2),
             EXISTS (SELECT 1 FROM students WHERE id = $3),
             EXISTS (SELECT 1 FROM enrollments
                     WHERE course_id = $1 AND student_id = $3 AND status = 'ACTIVE')",
    )
    .bind(course_id)
    .bind(topic_id)
    .bind(student_id)
    .fetch_one(exec)
    .await?;
    let classify = |given: bool, exists: bool, in_course: bool| match (given, exists, in_course) {
        (false, _, _) => Reference::Absent,
        (true, false, _) => Reference::Unknown,
        (true, true, false) => Reference::OtherCourse,
        (true, true, true) => Reference::InCourse,
    };
    Ok(References {
        topic: classify(topic_id.is_some(), topic_exists, topic_in_course),
        student: classify(student_id.is_some(), student_exists, student_in_course),
    })
}
