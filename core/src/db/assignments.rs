//! Assignments (`assignments`, `assignment_exercises`, `assignment_targets`): a teacher's set of
//! exercises for a course or for named students, and the students' view of theirs.

use chrono::NaiveDateTime;
use innova_domain::ids::{AssignmentId, CourseId, ExerciseId, StudentId, TeacherId};
pub use innova_domain::vocab::{AssignmentKind, AssignmentReason, AssignmentTargetStatus};
use sqlx::PgExecutor;

use super::DbResult;

/// A stored assignment.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: AssignmentId,
    /// Null: addressed to its targets only.
    pub course_id: Option<CourseId>,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub reason: AssignmentReason,
    #[sqlx(try_from = "String")]
    pub kind: AssignmentKind,
    pub due_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// One exercise of an assignment, at its position.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssignmentExerciseRow {
    pub assignment_id: AssignmentId,
    pub exercise_id: ExerciseId,
    pub sequence: i32,
}

/// A student an assignment is addressed to (on the wire as it is).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    rename = "AssignmentTarget",
    description = "A student an assignment is addressed to."
)]
pub struct TargetRow {
    pub assignment_id: AssignmentId,
    pub student_id: StudentId,
    #[sqlx(try_from = "String")]
    pub status: AssignmentTargetStatus,
}

/// A target with its assignment (a student's list).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TargetWithAssignment {
    #[sqlx(rename = "target_student_id")]
    pub student_id: StudentId,
    #[sqlx(rename = "target_status", try_from = "String")]
    pub status: AssignmentTargetStatus,
    #[sqlx(flatten)]
    pub assignment: AssignmentRow,
}

const COLUMNS: &str =
    "a.id, a.course_id, a.created_by_teacher_id, a.title, a.reason, a.kind, a.due_at, a.created_at";

/// An assignment to insert (kind EXERCISES, `created_at` the database's clock).
#[derive(Debug, Clone)]
pub struct NewAssignment<'a> {
    pub course_id: Option<&'a CourseId>,
    pub created_by_teacher_id: &'a TeacherId,
    pub title: &'a str,
    pub reason: AssignmentReason,
    pub due_at: Option<NaiveDateTime>,
}

/// Inserts an assignment of kind EXERCISES with a new id. Unknown course or teacher ids are
/// [`super::DbError::MissingReference`] naming the field.
pub async fn insert(exec: impl PgExecutor<'_>, a: &NewAssignment<'_>) -> DbResult<AssignmentRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO assignments AS a (id, course_id, created_by_teacher_id, title, reason, due_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(a.course_id)
    .bind(a.created_by_teacher_id)
    .bind(a.title)
    .bind(a.reason.as_str())
    .bind(a.due_at)
    .fetch_one(exec)
    .await?)
}

/// Adds the exercises at sequence 0, 1, 2… in the order given (an exercise may appear twice);
/// returns them in that order. An unknown exercise is [`super::DbError::MissingReference`]
/// `exerciseId`.
pub async fn add_exercises(
    exec: impl PgExecutor<'_>,
    assignment_id: &AssignmentId,
    exercise_ids: &[ExerciseId],
) -> DbResult<Vec<AssignmentExerciseRow>> {
    let mut rows: Vec<AssignmentExerciseRow> = sqlx::query_as(
        "INSERT INTO assignment_exercises (assignment_id, exercise_id, sequence)
         SELECT $1, g.id, (g.n - 1)::int FROM UNNEST($2::text[]) WITH ORDINALITY AS g(id, n)
         RETURNING assignment_id, exercise_id, sequence",
    )
    .bind(assignment_id)
    .bind(exercise_ids)
    .fetch_all(exec)
    .await?;
    // RETURNING promises no order.
    rows.sort_by_key(|r| r.sequence);
    Ok(rows)
}

/// Addresses the assignment to these students (PENDING), in the order given. A student named
/// twice is a conflict on `assignmentId, studentId`; an unknown one a missing `studentId`.
pub async fn add_targets(
    exec: impl PgExecutor<'_>,
    assignment_id: &AssignmentId,
    student_ids: &[StudentId],
) -> DbResult<Vec<TargetRow>> {
    let rows: Vec<TargetRow> = sqlx::query_as(
        "INSERT INTO assignment_targets (assignment_id, student_id, status)
         SELECT $1, g.id, 'PENDING' FROM UNNEST($2::text[]) AS g(id)
         RETURNING assignment_id, student_id, status",
    )
    .bind(assignment_id)
    .bind(student_ids)
    .fetch_all(exec)
    .await?;
    let position = |s: &str| student_ids.iter().position(|id| id == s);
    let mut rows = rows;
    // RETURNING promises no order.
    rows.sort_by_key(|r| position(&r.student_id));
    Ok(rows)
}

/// The exercises of these assignments, by assignment and sequence.
pub async fn exercises_of(
    exec: impl PgExecutor<'_>,
    assignment_ids: &[AssignmentId],
) -> DbResult<Vec<AssignmentExerciseRow>> {
    Ok(sqlx::query_as(
        "SELECT assignment_id, exercise_id, sequence FROM assignment_exercises
         WHERE assignment_id = ANY($1) ORDER BY assignment_id, sequence",
    )
    .bind(assignment_ids)
    .fetch_all(exec)
    .await?)
}

/// A student's targets whose assignment is not a guide's, newest assignment first (ties: id).
pub async fn targets_of_student(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<TargetWithAssignment>> {
    Ok(sqlx::query_as(&format!(
        "SELECT tg.student_id AS target_student_id, tg.status AS target_status, {COLUMNS}
         FROM assignment_targets tg JOIN assignments a ON a.id = tg.assignment_id
         WHERE tg.student_id = $1 AND a.kind <> 'GUIDE'
         ORDER BY a.created_at DESC, a.id"
    ))
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// How a student named as a target relates to the assignment's course.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetReference {
    pub student_id: StudentId,
    /// A `students` row exists and is not soft-deleted.
    pub exists: bool,
    /// ACTIVE in the course (false when no course was given).
    pub active_in_course: bool,
}

/// For each student id (in the order given): whether it exists and is ACTIVE in `course_id`.
pub async fn target_references(
    exec: impl PgExecutor<'_>,
    course_id: Option<&CourseId>,
    student_ids: &[StudentId],
) -> DbResult<Vec<TargetReference>> {
    Ok(sqlx::query_as(
        "SELECT g.id AS student_id,
                EXISTS (SELECT 1 FROM students s WHERE s.id = g.id AND s.deleted_at IS NULL) AS exists,
                EXISTS (SELECT 1 FROM enrollments e
                        WHERE e.course_id = $1 AND e.student_id = g.id AND e.status = 'ACTIVE')
                    AS active_in_course
         FROM UNNEST($2::text[]) WITH ORDINALITY AS g(id, n)
         ORDER BY g.n",
    )
    .bind(course_id)
    .bind(student_ids)
    .fetch_all(exec)
    .await?)
}
