//! The student side of the guide pipeline (`/student/**`): the published guides a student sees,
//! their APPROVED questions, the current solution of a question, and the student's
//! `guide_submissions`.
//!
//! Every guide read here filters on `status = 'PUBLISHED'`: nothing of a guide in another state
//! ever leaves this module towards a student (decisions.md, hard rules under the matrix). The
//! quiz reads select the statement columns only — never `provided_answer`,
//! `provided_solution_latex` or a solution.

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, GuideId, QuestionId, StudentId, SubmissionId};
use sqlx::PgExecutor;

use super::enums::SubmissionStatus;
use super::{DbResult, PgConnection};

/// A PUBLISHED guide, as far as a student may know it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PublishedGuide {
    pub id: GuideId,
    pub course_id: CourseId,
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub max_resubmissions: i32,
    pub show_solution_after_grade: bool,
}

/// A guide by id when it is PUBLISHED; `None` when it does not exist or is in any other state.
pub async fn published_guide(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
) -> DbResult<Option<PublishedGuide>> {
    Ok(sqlx::query_as(
        "SELECT id, course_id, title, description, due_at, published_at, max_resubmissions,
                show_solution_after_grade
         FROM guides WHERE id = $1 AND status = 'PUBLISHED'",
    )
    .bind(guide_id)
    .fetch_optional(exec)
    .await?)
}

/// A published guide of one of the student's courses, with the student's progress in it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StudentGuideRow {
    pub id: GuideId,
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<NaiveDateTime>,
    /// APPROVED questions.
    pub total_questions: i64,
    /// APPROVED questions with at least one GRADED submission of the student.
    pub graded_questions: i64,
}

/// The PUBLISHED guides of the courses the student has an ACTIVE enrollment in: soonest due
/// first (no due date last), then most recently published, then by id (a stable order).
pub async fn guides_of_student(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<StudentGuideRow>> {
    Ok(sqlx::query_as(
        "SELECT g.id, g.title, g.description, g.due_at,
                count(q.id) AS total_questions,
                count(q.id) FILTER (WHERE EXISTS (
                    SELECT 1 FROM guide_submissions s
                    WHERE s.guide_question_id = q.id AND s.student_id = $1
                      AND s.status = 'GRADED')) AS graded_questions
         FROM guides g
         LEFT JOIN guide_questions q ON q.guide_id = g.id AND q.status = 'APPROVED'
         WHERE g.status = 'PUBLISHED'
           AND g.course_id IN (SELECT course_id FROM enrollments
                               WHERE student_id = $1 AND status = 'ACTIVE')
         GROUP BY g.id
         ORDER BY g.due_at ASC NULLS LAST, g.published_at DESC NULLS LAST, g.id",
    )
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// An APPROVED question as the quiz shows it: the statement, never an answer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QuizQuestionRow {
    pub id: QuestionId,
    pub sequence: i32,
    pub label: Option<String>,
    pub statement_latex: String,
    pub statement_json: Option<serde_json::Value>,
    /// Raw object keys (the reference returned them unsigned).
    pub figure_keys: Vec<String>,
    pub points: f64,
}

/// The guide's APPROVED questions by sequence.
pub async fn approved_questions(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
) -> DbResult<Vec<QuizQuestionRow>> {
    Ok(sqlx::query_as(
        "SELECT id, sequence, label, statement_latex, statement_json,
                COALESCE(figure_keys, '{}') AS figure_keys, points
         FROM guide_questions
         WHERE guide_id = $1 AND status = 'APPROVED'
         ORDER BY sequence, id",
    )
    .bind(guide_id)
    .fetch_all(exec)
    .await?)
}

/// An APPROVED question locked for a new submission, with what the cap needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionSlot {
    /// The student's submissions of the question that are not FAILED (they count for the cap).
    pub counted: i64,
    /// The next attempt number: the highest of any status, plus one.
    pub next_attempt_number: i32,
}

/// Locks the APPROVED questions of a guide named in `question_ids` (`FOR NO KEY UPDATE`, in
/// sequence order, so two transactions always take them in the same order) until the
/// transaction ends, and returns the ids locked, by sequence. Two concurrent starts for one
/// question thus count and number their submissions one after the other: neither can exceed the
/// cap nor reuse an attempt number. The lock does not block submission inserts' foreign-key
/// checks nor readers.
pub async fn lock_approved_questions(
    conn: &mut PgConnection,
    guide_id: &GuideId,
    question_ids: &[QuestionId],
) -> DbResult<Vec<QuestionId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM guide_questions
         WHERE guide_id = $1 AND id = ANY($2) AND status = 'APPROVED'
         ORDER BY sequence, id
         FOR NO KEY UPDATE",
    )
    .bind(guide_id)
    .bind(question_ids)
    .fetch_all(conn)
    .await?)
}

/// The cap counters of a student on a question (read under the question's lock).
pub async fn slot(
    exec: impl PgExecutor<'_>,
    question_id: &QuestionId,
    student_id: &StudentId,
) -> DbResult<SubmissionSlot> {
    let (counted, max): (i64, Option<i32>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status <> 'FAILED'), max(attempt_number)
         FROM guide_submissions WHERE guide_question_id = $1 AND student_id = $2",
    )
    .bind(question_id)
    .bind(student_id)
    .fetch_one(exec)
    .await?;
    Ok(SubmissionSlot {
        counted,
        next_attempt_number: max.unwrap_or(0) + 1,
    })
}

/// The version of a question's current solution, if it has one.
pub async fn current_solution_version(
    exec: impl PgExecutor<'_>,
    question_id: &QuestionId,
) -> DbResult<Option<i32>> {
    Ok(sqlx::query_scalar(
        "SELECT version FROM guide_solutions
         WHERE guide_question_id = $1 AND is_current
         ORDER BY version DESC LIMIT 1",
    )
    .bind(question_id)
    .fetch_optional(exec)
    .await?)
}

/// A new UPLOADED submission.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    pub id: &'a SubmissionId,
    pub guide_id: &'a GuideId,
    pub question_id: &'a QuestionId,
    pub student_id: &'a StudentId,
    pub attempt_number: i32,
    pub photo_keys: &'a [String],
    pub solution_version: Option<i32>,
    pub trace_id: &'a str,
}

/// Inserts an UPLOADED submission. A duplicate attempt number surfaces as
/// [`super::DbError::Conflict`].
pub async fn insert(exec: impl PgExecutor<'_>, s: &NewSubmission<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, attempt_number,
                                        status, photo_keys, solution_version, trace_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'UPLOADED', $6, $7, $8, CURRENT_TIMESTAMP)",
    )
    .bind(s.id)
    .bind(s.guide_id)
    .bind(s.question_id)
    .bind(s.student_id)
    .bind(s.attempt_number)
    .bind(s.photo_keys)
    .bind(s.solution_version)
    .bind(s.trace_id)
    .execute(exec)
    .await?;
    Ok(())
}

/// A submission with the grading result and the linked attempt's tag (the teacher's override is
/// not the student's view).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: SubmissionId,
    pub guide_id: GuideId,
    pub guide_question_id: QuestionId,
    pub student_id: StudentId,
    pub attempt_number: i32,
    pub status: SubmissionStatus,
    pub photo_keys: Vec<String>,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    pub graded_at: Option<NaiveDateTime>,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub diagnostic_hint: Option<String>,
}

const SUBMISSION_COLUMNS: &str = "s.id, s.guide_id, s.guide_question_id, s.student_id,
     s.attempt_number, s.status, COALESCE(s.photo_keys, '{}') AS photo_keys, s.score,
     s.is_correct, s.graded_at, t.code AS error_tag_code, t.name AS error_tag_name,
     t.diagnostic_hint";

const SUBMISSION_FROM: &str = "FROM guide_submissions s
     LEFT JOIN attempts a ON a.id = s.attempt_id
     LEFT JOIN error_tags t ON t.id = a.error_tag_id";

/// A submission by id.
pub async fn find(exec: impl PgExecutor<'_>, id: &SubmissionId) -> DbResult<Option<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} {SUBMISSION_FROM} WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The student's submissions in a guide, by question and newest attempt first.
pub async fn of_student_in_guide(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
    student_id: &StudentId,
) -> DbResult<Vec<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} {SUBMISSION_FROM}
         WHERE s.guide_id = $1 AND s.student_id = $2
         ORDER BY s.guide_question_id, s.attempt_number DESC"
    ))
    .bind(guide_id)
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// Locks a submission (`FOR UPDATE`) until the transaction ends and returns its status, so
/// that one completion at a time reads and writes it.
pub async fn lock(
    conn: &mut PgConnection,
    id: &SubmissionId,
) -> DbResult<Option<SubmissionStatus>> {
    Ok(
        sqlx::query_scalar("SELECT status FROM guide_submissions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Records the answer-key version the submission is graded against.
pub async fn set_solution_version(
    exec: impl PgExecutor<'_>,
    id: &SubmissionId,
    version: Option<i32>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE guide_submissions SET solution_version = $2, updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(id)
    .bind(version)
    .execute(exec)
    .await?;
    Ok(())
}

/// A question's current solution, whole (shown to a student only after grading, and only when
/// the guide allows it): the teacher side's row and query ([`super::guides`]).
pub use super::guides::{SolutionRow, current_solutions};
