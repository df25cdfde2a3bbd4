//! Guides, teacher side (`guides`, `guide_questions`, `guide_solutions`, and the reads of
//! `guide_submissions` a teacher needs: the results matrix and the submission drawer).
//!
//! State changes that must not race (ingest, publish, archive) read the guide with
//! [`lock`] (`SELECT … FOR UPDATE`) inside the caller's transaction, so the status they decide
//! on is the one they write over.

use chrono::NaiveDateTime;
use innova_domain::ids::{
    AssignmentId, CourseId, ExerciseId, GuideId, QuestionId, SolutionId, StudentId, SubmissionId,
    TeacherId, TopicId,
};
use sqlx::{PgConnection, PgExecutor};

pub use super::enums::{GuideQuestionStatus, GuideStatus, SolutionSource, SubmissionStatus};
use super::{DbResult, new_id};

/// A stored guide (the reference's raw `Guide` row).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GuideRow {
    pub id: GuideId,
    pub course_id: CourseId,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    pub description: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: GuideStatus,
    pub source_pdf_key: String,
    pub source_pdf_pages: Option<i32>,
    pub source_kind: Option<String>,
    pub latex_key: Option<String>,
    pub extraction_confidence: Option<f64>,
    pub extraction_model: Option<String>,
    pub failure_reason: Option<String>,
    pub question_count: i32,
    pub max_resubmissions: i32,
    pub show_solution_after_grade: bool,
    pub assignment_id: Option<AssignmentId>,
    pub due_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub trace_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

const GUIDE_COLUMNS: &str = "g.id, g.course_id, g.created_by_teacher_id, g.title, g.description, \
     g.status::text AS status, g.source_pdf_key, g.source_pdf_pages, g.source_kind, g.latex_key, \
     g.extraction_confidence, g.extraction_model, g.failure_reason, g.question_count, \
     g.max_resubmissions, g.show_solution_after_grade, g.assignment_id, g.due_at, g.published_at, \
     g.trace_id, g.created_at, g.updated_at, g.archived_at";

/// A guide of a list, with how many questions and submissions it has.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GuideListRow {
    #[sqlx(flatten)]
    pub guide: GuideRow,
    pub questions: i64,
    pub submissions: i64,
}

/// A guide to create (status UPLOADED).
#[derive(Debug, Clone)]
pub struct NewGuide<'a> {
    pub course_id: &'a CourseId,
    pub created_by_teacher_id: &'a TeacherId,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub source_pdf_key: &'a str,
    pub due_at: Option<NaiveDateTime>,
    pub trace_id: &'a str,
}

/// Inserts an UPLOADED guide with a new id. Unknown course or teacher ids are
/// [`super::DbError::MissingReference`] naming the field.
pub async fn insert(exec: impl PgExecutor<'_>, g: &NewGuide<'_>) -> DbResult<GuideRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO guides AS g (id, course_id, created_by_teacher_id, title, description, status,
                                  source_pdf_key, due_at, trace_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'UPLOADED', $6, $7, $8, CURRENT_TIMESTAMP)
         RETURNING {GUIDE_COLUMNS}"
    ))
    .bind(new_id())
    .bind(g.course_id)
    .bind(g.created_by_teacher_id)
    .bind(g.title)
    .bind(g.description)
    .bind(g.source_pdf_key)
    .bind(g.due_at)
    .bind(g.trace_id)
    .fetch_one(exec)
    .await?)
}

pub async fn find(exec: impl PgExecutor<'_>, id: &GuideId) -> DbResult<Option<GuideRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GUIDE_COLUMNS} FROM guides g WHERE g.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The guide, its row locked until the caller's transaction ends.
pub async fn lock(conn: &mut PgConnection, id: &GuideId) -> DbResult<Option<GuideRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GUIDE_COLUMNS} FROM guides g WHERE g.id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Moves the guide to `status`; `clear_failure` also empties `failure_reason` (ingest).
pub async fn set_status(
    exec: impl PgExecutor<'_>,
    id: &GuideId,
    status: GuideStatus,
    clear_failure: bool,
) -> DbResult<GuideRow> {
    Ok(sqlx::query_as(&format!(
        "UPDATE guides AS g SET status = $2::\"GuideStatus\",
                failure_reason = CASE WHEN $3 THEN NULL ELSE g.failure_reason END,
                updated_at = CURRENT_TIMESTAMP
         WHERE g.id = $1 RETURNING {GUIDE_COLUMNS}"
    ))
    .bind(id)
    .bind(status.as_str())
    .bind(clear_failure)
    .fetch_one(exec)
    .await?)
}

/// A guide [`fail_stuck`] moved to its failed state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StuckGuide {
    pub id: GuideId,
    pub course_id: CourseId,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    /// Its new status: EXTRACTION_FAILED or GENERATION_FAILED.
    #[sqlx(try_from = "String")]
    pub status: GuideStatus,
}

/// Moves every unarchived guide left in EXTRACTING (→ EXTRACTION_FAILED) or
/// GENERATING_SOLUTIONS (→ GENERATION_FAILED) since before `cutoff` to its failed state, with
/// `reason`, in one statement; the guides moved.
pub async fn fail_stuck(
    exec: impl PgExecutor<'_>,
    cutoff: NaiveDateTime,
    reason: &str,
) -> DbResult<Vec<StuckGuide>> {
    Ok(sqlx::query_as(
        "UPDATE guides AS g
         SET status = CASE g.status WHEN 'EXTRACTING' THEN 'EXTRACTION_FAILED'::\"GuideStatus\"
                                    ELSE 'GENERATION_FAILED'::\"GuideStatus\" END,
             failure_reason = $2, updated_at = CURRENT_TIMESTAMP
         WHERE g.status IN ('EXTRACTING', 'GENERATING_SOLUTIONS') AND g.updated_at < $1
           AND g.archived_at IS NULL
         RETURNING g.id, g.course_id, g.created_by_teacher_id, g.title, g.status::text AS status",
    )
    .bind(cutoff)
    .bind(reason)
    .fetch_all(exec)
    .await?)
}

/// ARCHIVED now.
pub async fn archive(exec: impl PgExecutor<'_>, id: &GuideId) -> DbResult<GuideRow> {
    Ok(sqlx::query_as(&format!(
        "UPDATE guides AS g SET status = 'ARCHIVED', archived_at = CURRENT_TIMESTAMP,
                updated_at = CURRENT_TIMESTAMP
         WHERE g.id = $1 RETURNING {GUIDE_COLUMNS}"
    ))
    .bind(id)
    .fetch_one(exec)
    .await?)
}

/// PUBLISHED now, with its assignment.
pub async fn mark_published(
    exec: impl PgExecutor<'_>,
    id: &GuideId,
    assignment_id: &AssignmentId,
) -> DbResult<GuideRow> {
    Ok(sqlx::query_as(&format!(
        "UPDATE guides AS g SET status = 'PUBLISHED', published_at = CURRENT_TIMESTAMP,
                assignment_id = $2, updated_at = CURRENT_TIMESTAMP
         WHERE g.id = $1 RETURNING {GUIDE_COLUMNS}"
    ))
    .bind(id)
    .bind(assignment_id)
    .fetch_one(exec)
    .await?)
}

/// The metadata a teacher may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GuidePatch<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub due_at: Option<NaiveDateTime>,
    pub max_resubmissions: Option<i32>,
    pub show_solution_after_grade: Option<bool>,
}

pub async fn update(
    exec: impl PgExecutor<'_>,
    id: &GuideId,
    p: &GuidePatch<'_>,
) -> DbResult<Option<GuideRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE guides AS g SET title = COALESCE($2, g.title),
                description = COALESCE($3, g.description),
                due_at = COALESCE($4, g.due_at),
                max_resubmissions = COALESCE($5, g.max_resubmissions),
                show_solution_after_grade = COALESCE($6, g.show_solution_after_grade),
                updated_at = CURRENT_TIMESTAMP
         WHERE g.id = $1 RETURNING {GUIDE_COLUMNS}"
    ))
    .bind(id)
    .bind(p.title)
    .bind(p.description)
    .bind(p.due_at)
    .bind(p.max_resubmissions)
    .bind(p.show_solution_after_grade)
    .fetch_optional(exec)
    .await?)
}

/// Which guides a list shows.
#[derive(Debug, Clone)]
pub struct GuideFilter<'a> {
    /// The courses to list (the teacher's, or the one asked for).
    pub course_ids: &'a [CourseId],
    pub status: Option<GuideStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// Unarchived guides of the courses, newest first (ties: id), one page; and how many there are
/// in all.
pub async fn list(
    conn: &mut PgConnection,
    f: &GuideFilter<'_>,
) -> DbResult<(Vec<GuideListRow>, i64)> {
    const WHERE: &str = "g.course_id = ANY($1) AND g.archived_at IS NULL
                         AND ($2::text IS NULL OR g.status::text = $2)";
    let rows = sqlx::query_as(&format!(
        "SELECT {GUIDE_COLUMNS},
                (SELECT count(*) FROM guide_questions q WHERE q.guide_id = g.id) AS questions,
                (SELECT count(*) FROM guide_submissions s WHERE s.guide_id = g.id) AS submissions
         FROM guides g WHERE {WHERE}
         ORDER BY g.created_at DESC, g.id LIMIT $3 OFFSET $4"
    ))
    .bind(f.course_ids)
    .bind(f.status.map(GuideStatus::as_str))
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM guides g WHERE {WHERE}"))
        .bind(f.course_ids)
        .bind(f.status.map(GuideStatus::as_str))
        .fetch_one(&mut *conn)
        .await?;
    Ok((rows, total))
}

/// The grade level of the guide's course (0 when the course row is missing, as the reference).
pub async fn course_grade_level(exec: impl PgExecutor<'_>, course_id: &CourseId) -> DbResult<i32> {
    let level: Option<i32> = sqlx::query_scalar("SELECT grade_level FROM courses WHERE id = $1")
        .bind(course_id)
        .fetch_optional(exec)
        .await?;
    Ok(level.unwrap_or(0))
}

// ---- questions ---------------------------------------------------------------------------------

/// A stored question (the reference's raw `GuideQuestion` row).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Deserialize)]
pub struct QuestionRow {
    pub id: QuestionId,
    pub guide_id: GuideId,
    pub sequence: i32,
    pub label: Option<String>,
    pub statement_latex: String,
    pub statement_json: Option<serde_json::Value>,
    pub figure_keys: Vec<String>,
    pub provided_answer: Option<String>,
    pub provided_solution_latex: Option<String>,
    pub points: f64,
    pub status: GuideQuestionStatus,
    pub topic_id: Option<TopicId>,
    pub domain_id: Option<String>,
    pub subdomain_id: Option<String>,
    pub topic_confidence: Option<f64>,
    pub topic_source: Option<String>,
    pub exercise_id: Option<ExerciseId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

const QUESTION_COLUMNS: &str = "q.id, q.guide_id, q.sequence, q.label, q.statement_latex, \
     q.statement_json, COALESCE(q.figure_keys, '{}') AS figure_keys, q.provided_answer, \
     q.provided_solution_latex, q.points, q.status, q.topic_id, q.domain_id, q.subdomain_id, \
     q.topic_confidence, q.topic_source, q.exercise_id, q.created_at, q.updated_at";

/// `{id, code, name}` of a topic, domain or subdomain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct CodeName {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// A question with its classification resolved (the wizard's view).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QuestionDetailRow {
    #[sqlx(flatten)]
    pub question: QuestionRow,
    pub topic_code: Option<String>,
    pub topic_name: Option<String>,
    pub domain_code: Option<String>,
    pub domain_name: Option<String>,
    pub subdomain_code: Option<String>,
    pub subdomain_name: Option<String>,
}

impl QuestionDetailRow {
    fn pick(id: Option<&str>, code: &Option<String>, name: &Option<String>) -> Option<CodeName> {
        match (id, code, name) {
            (Some(id), Some(code), Some(name)) => Some(CodeName {
                id: id.to_owned(),
                code: code.clone(),
                name: name.clone(),
            }),
            _ => None,
        }
    }

    pub fn topic(&self) -> Option<CodeName> {
        Self::pick(
            self.question.topic_id.as_deref(),
            &self.topic_code,
            &self.topic_name,
        )
    }

    /// Resolved from the scalar `domain_id` (no foreign key: an unknown id reads as none).
    pub fn domain(&self) -> Option<CodeName> {
        Self::pick(
            self.question.domain_id.as_deref(),
            &self.domain_code,
            &self.domain_name,
        )
    }

    pub fn subdomain(&self) -> Option<CodeName> {
        Self::pick(
            self.question.subdomain_id.as_deref(),
            &self.subdomain_code,
            &self.subdomain_name,
        )
    }
}

/// The questions of a guide by sequence, classification resolved.
pub async fn questions_of(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
) -> DbResult<Vec<QuestionDetailRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUESTION_COLUMNS}, t.code AS topic_code, t.name AS topic_name,
                d.code AS domain_code, d.name AS domain_name,
                sd.code AS subdomain_code, sd.name AS subdomain_name
         FROM guide_questions q
         LEFT JOIN topics t ON t.id = q.topic_id
         LEFT JOIN domains d ON d.id = q.domain_id
         LEFT JOIN subdomains sd ON sd.id = q.subdomain_id
         WHERE q.guide_id = $1 ORDER BY q.sequence, q.id"
    ))
    .bind(guide_id)
    .fetch_all(exec)
    .await?)
}

/// The question if it belongs to the guide.
pub async fn question_in_guide(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
    question_id: &QuestionId,
) -> DbResult<Option<QuestionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUESTION_COLUMNS} FROM guide_questions q WHERE q.id = $1 AND q.guide_id = $2"
    ))
    .bind(question_id)
    .bind(guide_id)
    .fetch_optional(exec)
    .await?)
}

/// [`question_in_guide`], the row locked until the transaction ends (solution versions).
pub async fn lock_question(
    conn: &mut PgConnection,
    guide_id: &GuideId,
    question_id: &QuestionId,
) -> DbResult<Option<QuestionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUESTION_COLUMNS} FROM guide_questions q
         WHERE q.id = $1 AND q.guide_id = $2 FOR UPDATE"
    ))
    .bind(question_id)
    .bind(guide_id)
    .fetch_optional(conn)
    .await?)
}

/// How a teacher classifies a question: the ids to store, with `topic_source = TEACHER` and
/// confidence 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// `None`: the topic stays as it is (classifying by subdomain only).
    pub topic_id: Option<TopicId>,
    pub domain_id: Option<String>,
    pub subdomain_id: Option<String>,
}

/// The changes to a question; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct QuestionPatch<'a> {
    pub statement_latex: Option<&'a str>,
    pub label: Option<&'a str>,
    pub points: Option<f64>,
    pub status: Option<GuideQuestionStatus>,
    pub classification: Option<Classification>,
}

pub async fn update_question(
    exec: impl PgExecutor<'_>,
    question_id: &QuestionId,
    p: &QuestionPatch<'_>,
) -> DbResult<QuestionRow> {
    let classified = p.classification.is_some();
    let c = p.classification.as_ref();
    Ok(sqlx::query_as(&format!(
        "UPDATE guide_questions AS q SET
                statement_latex = COALESCE($2, q.statement_latex),
                label = COALESCE($3, q.label),
                points = COALESCE($4, q.points),
                status = COALESCE($5, q.status),
                topic_id = CASE WHEN $6 AND $7::text IS NOT NULL THEN $7 ELSE q.topic_id END,
                domain_id = CASE WHEN $6 THEN $8 ELSE q.domain_id END,
                subdomain_id = CASE WHEN $6 THEN $9 ELSE q.subdomain_id END,
                topic_source = CASE WHEN $6 THEN 'TEACHER' ELSE q.topic_source END,
                topic_confidence = CASE WHEN $6 THEN 1.0 ELSE q.topic_confidence END,
                updated_at = CURRENT_TIMESTAMP
         WHERE q.id = $1 RETURNING {QUESTION_COLUMNS}"
    ))
    .bind(question_id)
    .bind(p.statement_latex)
    .bind(p.label)
    .bind(p.points)
    .bind(p.status)
    .bind(classified)
    .bind(c.and_then(|c| c.topic_id.as_deref()))
    .bind(c.and_then(|c| c.domain_id.as_deref()))
    .bind(c.and_then(|c| c.subdomain_id.as_deref()))
    .fetch_one(exec)
    .await?)
}

/// Links the question to the exercise publishing made of it.
pub async fn set_question_exercise(
    exec: impl PgExecutor<'_>,
    question_id: &QuestionId,
    exercise_id: &ExerciseId,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE guide_questions SET exercise_id = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $1",
    )
    .bind(question_id)
    .bind(exercise_id)
    .execute(exec)
    .await?;
    Ok(())
}

// ---- solutions ---------------------------------------------------------------------------------

/// A stored answer-key version (the reference's raw `GuideSolution` row).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SolutionRow {
    pub id: SolutionId,
    pub guide_question_id: QuestionId,
    pub version: i32,
    pub is_current: bool,
    pub source: SolutionSource,
    pub final_answer: String,
    pub steps_json: serde_json::Value,
    pub solution_latex: Option<String>,
    pub expected_error_tags: Vec<String>,
    pub generated_by_model: Option<String>,
    pub prompt_version: Option<String>,
    pub validation_notes: Option<String>,
    pub created_by_teacher_id: Option<TeacherId>,
    pub created_at: NaiveDateTime,
}

const SOLUTION_COLUMNS: &str = "s.id, s.guide_question_id, s.version, s.is_current, s.source, \
     s.final_answer, s.steps_json, s.solution_latex, \
     COALESCE(s.expected_error_tags, '{}') AS expected_error_tags, s.generated_by_model, \
     s.prompt_version, s.validation_notes, s.created_by_teacher_id, s.created_at";

/// The current version of each of these questions (at most one each; should the data hold
/// several, the highest version).
pub async fn current_solutions(
    exec: impl PgExecutor<'_>,
    question_ids: &[QuestionId],
) -> DbResult<Vec<SolutionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT DISTINCT ON (s.guide_question_id) {SOLUTION_COLUMNS}
         FROM guide_solutions s
         WHERE s.guide_question_id = ANY($1) AND s.is_current
         ORDER BY s.guide_question_id, s.version DESC"
    ))
    .bind(question_ids)
    .fetch_all(exec)
    .await?)
}

/// A teacher-edited version to store.
#[derive(Debug, Clone)]
pub struct NewSolution<'a> {
    pub question_id: &'a QuestionId,
    pub final_answer: &'a str,
    pub steps_json: &'a serde_json::Value,
    pub solution_latex: Option<&'a str>,
    pub expected_error_tags: &'a [String],
    pub created_by_teacher_id: &'a TeacherId,
}

/// Stores a TEACHER_EDITED version `max + 1` as the only current one. Run it in a transaction
/// after [`lock_question`], so two edits cannot pick the same version.
pub async fn insert_teacher_version(
    conn: &mut PgConnection,
    s: &NewSolution<'_>,
) -> DbResult<SolutionRow> {
    sqlx::query("UPDATE guide_solutions SET is_current = false WHERE guide_question_id = $1")
        .bind(s.question_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(&format!(
        "INSERT INTO guide_solutions AS s (id, guide_question_id, version, is_current, source,
                                           final_answer, steps_json, solution_latex,
                                           expected_error_tags, created_by_teacher_id)
         SELECT $1, $2, COALESCE(MAX(version), 0) + 1, true, 'TEACHER_EDITED', $3, $4, $5, $6, $7
         FROM guide_solutions WHERE guide_question_id = $2
         RETURNING {SOLUTION_COLUMNS}"
    ))
    .bind(new_id())
    .bind(s.question_id)
    .bind(s.final_answer)
    .bind(s.steps_json)
    .bind(s.solution_latex)
    .bind(s.expected_error_tags)
    .bind(s.created_by_teacher_id)
    .fetch_one(&mut *conn)
    .await?)
}

// ---- publishing --------------------------------------------------------------------------------

/// The students with an ACTIVE enrollment in the course, by display name (ties: id).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Deserialize)]
pub struct StudentName {
    pub id: StudentId,
    pub display_name: String,
}

pub async fn active_students(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
) -> DbResult<Vec<StudentName>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.display_name FROM enrollments e JOIN students s ON s.id = e.student_id
         WHERE e.course_id = $1 AND e.status = 'ACTIVE'
         ORDER BY s.display_name, s.id",
    )
    .bind(course_id)
    .fetch_all(exec)
    .await?)
}

/// Inserts the guide's assignment (kind GUIDE, reason TEACHER_MANUAL) with a new id.
pub async fn insert_assignment(
    exec: impl PgExecutor<'_>,
    guide: &GuideRow,
    teacher_id: &TeacherId,
) -> DbResult<AssignmentId> {
    let id = AssignmentId::new(new_id());
    sqlx::query(
        "INSERT INTO assignments (id, course_id, created_by_teacher_id, title, reason, kind, due_at)
         VALUES ($1, $2, $3, $4, 'TEACHER_MANUAL', 'GUIDE', $5)",
    )
    .bind(&id)
    .bind(&guide.course_id)
    .bind(teacher_id)
    .bind(&guide.title)
    .bind(guide.due_at)
    .execute(exec)
    .await?;
    Ok(id)
}

// ---- submissions (teacher's reads) -------------------------------------------------------------

/// A submission as the teacher sees it, with its effective error tag: the teacher's override
/// if any, else the linked attempt's tag.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Deserialize)]
pub struct SubmissionRow {
    pub id: SubmissionId,
    pub guide_id: GuideId,
    pub guide_question_id: QuestionId,
    pub student_id: StudentId,
    pub attempt_number: i32,
    pub status: SubmissionStatus,
    pub photo_keys: Vec<String>,
    pub transcription_latex: Option<String>,
    pub transcription_confidence: Option<f64>,
    pub alignment_json: Option<serde_json::Value>,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    pub failure_reason: Option<String>,
    pub override_error_tag_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
}

const SUBMISSION_SELECT: &str = "SELECT s.id, s.guide_id, s.guide_question_id, s.student_id, \
     s.attempt_number, s.status, COALESCE(s.photo_keys, '{}') AS photo_keys, \
     s.transcription_latex, s.transcription_confidence, s.alignment_json, s.score, s.is_correct, \
     s.failure_reason, s.override_error_tag_id, s.created_at, \
     COALESCE(ot.code, at.code) AS error_tag_code, COALESCE(ot.name, at.name) AS error_tag_name \
     FROM guide_submissions s \
     LEFT JOIN error_tags ot ON ot.id = s.override_error_tag_id \
     LEFT JOIN attempts a ON a.id = s.attempt_id \
     LEFT JOIN error_tags at ON at.id = a.error_tag_id";

/// The latest try (highest attempt number) of each student on each question of the guide,
/// highest attempt numbers first (ties: oldest first, then id).
pub async fn latest_submissions(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
) -> DbResult<Vec<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT * FROM (
            {DISTINCT_SELECT} WHERE s.guide_id = $1
            ORDER BY s.guide_question_id, s.student_id, s.attempt_number DESC
         ) latest ORDER BY attempt_number DESC, created_at, id",
        DISTINCT_SELECT = SUBMISSION_SELECT.replacen(
            "SELECT",
            "SELECT DISTINCT ON (s.guide_question_id, s.student_id)",
            1
        )
    ))
    .bind(guide_id)
    .fetch_all(exec)
    .await?)
}

/// What the results matrix of a guide shows, in one statement: the course's ACTIVE students (as
/// [`active_students`]), the guide's APPROVED questions (in [`questions_of`]'s order), and the
/// latest try of each student on each question (as [`latest_submissions`]).
pub async fn results_data(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
    course_id: &CourseId,
) -> DbResult<(Vec<StudentName>, Vec<QuestionRow>, Vec<SubmissionRow>)> {
    let latest = SUBMISSION_SELECT.replacen(
        "SELECT",
        "SELECT DISTINCT ON (s.guide_question_id, s.student_id)",
        1,
    );
    let (students, questions, submissions): (
        serde_json::Value,
        serde_json::Value,
        serde_json::Value,
    ) = sqlx::query_as(&format!(
        "SELECT
           (SELECT COALESCE(json_agg(x ORDER BY x.display_name, x.id), '[]')
            FROM (SELECT s.id, s.display_name FROM enrollments e
                  JOIN students s ON s.id = e.student_id
                  WHERE e.course_id = $2 AND e.status = 'ACTIVE') x),
           (SELECT COALESCE(json_agg(x ORDER BY x.sequence, x.id), '[]')
            FROM (SELECT {QUESTION_COLUMNS} FROM guide_questions q
                  WHERE q.guide_id = $1 AND q.status = 'APPROVED') x),
           (SELECT COALESCE(json_agg(x ORDER BY x.attempt_number DESC, x.created_at, x.id), '[]')
            FROM ({latest} WHERE s.guide_id = $1
                  ORDER BY s.guide_question_id, s.student_id, s.attempt_number DESC) x)"
    ))
    .bind(guide_id)
    .bind(course_id)
    .fetch_one(exec)
    .await?;
    let decode = |e: serde_json::Error| {
        super::DbError::Other(sqlx::Error::Decode(
            format!("the results of guide {guide_id} do not read back: {e}").into(),
        ))
    };
    Ok((
        serde_json::from_value(students).map_err(decode)?,
        serde_json::from_value(questions).map_err(decode)?,
        serde_json::from_value(submissions).map_err(decode)?,
    ))
}

/// The submission if it belongs to the guide.
pub async fn submission_in_guide(
    exec: impl PgExecutor<'_>,
    guide_id: &GuideId,
    submission_id: &SubmissionId,
) -> DbResult<Option<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "{SUBMISSION_SELECT} WHERE s.id = $1 AND s.guide_id = $2"
    ))
    .bind(submission_id)
    .bind(guide_id)
    .fetch_optional(exec)
    .await?)
}

/// Sets (or, with `None`, clears) the teacher's error-tag override.
pub async fn set_override(
    exec: impl PgExecutor<'_>,
    submission_id: &SubmissionId,
    tag_and_teacher: Option<(&str, &TeacherId)>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE guide_submissions SET override_error_tag_id = $2, override_by_id = $3,
                override_at = CASE WHEN $2::text IS NULL THEN NULL ELSE CURRENT_TIMESTAMP END,
                updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(submission_id)
    .bind(tag_and_teacher.map(|(t, _)| t))
    .bind(tag_and_teacher.map(|(_, by)| by))
    .execute(exec)
    .await?;
    Ok(())
}
