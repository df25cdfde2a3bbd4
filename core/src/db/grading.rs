//! What the attempt-reprocess worker reads and writes: a guide submission locked with its
//! guide, question, topic and current solution; the attempt it becomes; the submission marked
//! GRADED; and, for the legacy OCR path, an existing attempt regraded in place.

use innova_domain::ids::{
    AssignmentId, AttemptId, CourseId, ExerciseId, QuestionId, StudentId, SubmissionId, TopicId,
};
use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};
use sqlx::PgExecutor;

use super::DbResult;

/// A submission to grade, with what grading it needs (one row, the submission locked).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubmissionToGrade {
    pub id: SubmissionId,
    pub student_id: StudentId,
    pub status: String,
    pub attempt_id: Option<AttemptId>,
    /// What the AI engine's grader stored (the reference's `ocrConfidence`).
    pub transcription_confidence: Option<f64>,
    pub course_id: CourseId,
    pub assignment_id: Option<AssignmentId>,
    pub question_id: QuestionId,
    pub statement_latex: String,
    pub exercise_id: Option<ExerciseId>,
    /// The question's own domain (when it was classified by subdomain only).
    pub question_domain_id: Option<String>,
    pub topic_id: Option<TopicId>,
    pub topic_code: Option<String>,
    pub topic_domain_id: Option<String>,
    pub domain_code: Option<String>,
    pub subdomain_code: Option<String>,
    pub bkt_p_l0: Option<f64>,
    pub bkt_p_transit: Option<f64>,
    pub bkt_p_slip: Option<f64>,
    pub bkt_p_guess: Option<f64>,
    /// The current solution's final answer.
    pub solution_final_answer: Option<String>,
    /// The student is ACTIVE in the guide's course.
    pub enrolled: bool,
}

impl SubmissionToGrade {
    /// Whether a previous delivery already graded it.
    pub fn is_graded(&self) -> bool {
        self.status == "GRADED" && self.attempt_id.is_some()
    }
}

/// Loads the submission and locks its row until the transaction ends, so a concurrent delivery
/// of the same message waits and then sees it GRADED.
pub async fn lock_submission(
    exec: impl PgExecutor<'_>,
    id: &SubmissionId,
) -> DbResult<Option<SubmissionToGrade>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.student_id, s.status::text AS status, s.attempt_id,
                s.transcription_confidence, g.course_id, g.assignment_id,
                q.id AS question_id, q.statement_latex, q.exercise_id,
                q.domain_id AS question_domain_id,
                t.id AS topic_id, t.code AS topic_code, t.domain_id AS topic_domain_id,
                d.code AS domain_code, sd.code AS subdomain_code,
                t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess,
                (SELECT sol.final_answer FROM guide_solutions sol
                  WHERE sol.guide_question_id = q.id AND sol.is_current
                  ORDER BY sol.version DESC LIMIT 1) AS solution_final_answer,
                EXISTS (SELECT 1 FROM enrollments e
                        WHERE e.student_id = s.student_id AND e.course_id = g.course_id
                          AND e.status = 'ACTIVE') AS enrolled
         FROM guide_submissions s
         JOIN guides g ON g.id = s.guide_id
         JOIN guide_questions q ON q.id = s.guide_question_id
         LEFT JOIN topics t ON t.id = q.topic_id
         LEFT JOIN domains d ON d.id = t.domain_id
         LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
         WHERE s.id = $1
         FOR UPDATE OF s",
    )
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// A photo-graded attempt to insert (every column the reference's worker sets, one statement).
#[derive(Debug, Clone)]
pub struct NewGradedAttempt<'a> {
    pub id: &'a AttemptId,
    pub student_id: &'a StudentId,
    pub exercise_id: Option<&'a ExerciseId>,
    pub course_id: Option<&'a CourseId>,
    pub assignment_id: Option<&'a AssignmentId>,
    pub is_correct: bool,
    pub error_tag_id: Option<&'a str>,
    pub classifier_source: ClassifierSource,
    pub confidence: f64,
    pub ocr_confidence: Option<f64>,
    pub ocr_provider: &'a str,
    pub input_mode: InputMode,
    pub status: AttemptStatus,
    pub final_answer: Option<&'a str>,
    pub trace_id: &'a str,
}

pub async fn insert_attempt(exec: impl PgExecutor<'_>, a: &NewGradedAttempt<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO attempts (id, student_id, exercise_id, course_id, assignment_id, is_correct,
                               error_tag_id, classifier_source, confidence, ocr_confidence,
                               ocr_provider, input_mode, status, final_answer, trace_id,
                               classified_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 CASE WHEN $13 = 'CLASSIFIED' THEN CURRENT_TIMESTAMP END,
                 CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    .bind(a.id)
    .bind(a.student_id)
    .bind(a.exercise_id)
    .bind(a.course_id)
    .bind(a.assignment_id)
    .bind(a.is_correct)
    .bind(a.error_tag_id)
    .bind(a.classifier_source.as_str())
    .bind(a.confidence)
    .bind(a.ocr_confidence)
    .bind(a.ocr_provider)
    .bind(a.input_mode.as_str())
    .bind(a.status.as_str())
    .bind(a.final_answer)
    .bind(a.trace_id)
    .execute(exec)
    .await?;
    Ok(())
}

/// The grade the submission records.
#[derive(Debug, Clone)]
pub struct SubmissionGrade<'a> {
    pub id: &'a SubmissionId,
    pub attempt_id: &'a AttemptId,
    pub transcription_latex: &'a str,
    pub transcription_confidence: f64,
    pub score: f64,
    pub is_correct: bool,
    pub model_used: &'a str,
    /// The message's alignment summary, stored beside the engine's alignment (`summary`).
    pub alignment_json: Option<&'a serde_json::Value>,
}

/// Marks the submission GRADED, linked to its attempt, with the final score and verdict. What
/// the AI engine's grader stored is kept: its transcription (`transcription_latex`,
/// `transcription_json`, `transcription_confidence`), its model (`model_used`) and its alignment
/// (`alignment_json`: per-step matches, provisional verdict); ours only fills what it left empty,
/// and the message's alignment summary goes beside the engine's keys, under `summary`.
pub async fn mark_graded(exec: impl PgExecutor<'_>, g: &SubmissionGrade<'_>) -> DbResult<()> {
    sqlx::query(
        "UPDATE guide_submissions
         SET status = 'GRADED', attempt_id = $2,
             transcription_latex = COALESCE(NULLIF(transcription_latex, ''), $3),
             transcription_confidence = COALESCE(transcription_confidence, $4),
             score = $5, is_correct = $6,
             model_used = COALESCE(NULLIF(model_used, ''), $7),
             alignment_json = CASE WHEN $8::jsonb IS NULL THEN alignment_json
                                   ELSE COALESCE(alignment_json, '{}'::jsonb)
                                        || jsonb_build_object('summary', $8::jsonb) END,
             graded_at = CURRENT_TIMESTAMP,
             updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(g.id)
    .bind(g.attempt_id)
    .bind(g.transcription_latex)
    .bind(g.transcription_confidence)
    .bind(g.score)
    .bind(g.is_correct)
    .bind(g.model_used)
    .bind(g.alignment_json)
    .execute(exec)
    .await?;
    Ok(())
}

/// An existing attempt for the legacy OCR path, locked, with its exercise's topic and answer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptToRegrade {
    pub id: AttemptId,
    pub student_id: StudentId,
    pub status: String,
    pub ocr_provider: Option<String>,
    pub exercise_id: Option<ExerciseId>,
    /// The exercise's statement (`content.prompt`) and numbers (`content.minuend`, …).
    pub content: Option<serde_json::Value>,
    pub topic_id: Option<TopicId>,
    pub topic_code: Option<String>,
    pub topic_domain_id: Option<String>,
    pub domain_code: Option<String>,
    pub subdomain_code: Option<String>,
    pub bkt_p_l0: Option<f64>,
    pub bkt_p_transit: Option<f64>,
    pub bkt_p_slip: Option<f64>,
    pub bkt_p_guess: Option<f64>,
}

pub async fn lock_attempt(
    exec: impl PgExecutor<'_>,
    id: &AttemptId,
) -> DbResult<Option<AttemptToRegrade>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.student_id, a.status, a.ocr_provider, a.exercise_id, e.content,
                t.id AS topic_id, t.code AS topic_code, t.domain_id AS topic_domain_id,
                d.code AS domain_code, sd.code AS subdomain_code,
                t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess
         FROM attempts a
         LEFT JOIN exercises e ON e.id = a.exercise_id
         LEFT JOIN topics t ON t.id = e.topic_id
         LEFT JOIN domains d ON d.id = t.domain_id
         LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
         WHERE a.id = $1
         FOR UPDATE OF a",
    )
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The verdict a regraded attempt records.
#[derive(Debug, Clone)]
pub struct Regrade<'a> {
    pub id: &'a AttemptId,
    pub is_correct: bool,
    pub error_tag_id: Option<&'a str>,
    pub classifier_source: ClassifierSource,
    pub confidence: f64,
    pub status: AttemptStatus,
    pub ocr_confidence: f64,
    pub ocr_provider: &'a str,
    pub final_answer: Option<&'a str>,
}

pub async fn regrade_attempt(exec: impl PgExecutor<'_>, r: &Regrade<'_>) -> DbResult<()> {
    sqlx::query(
        "UPDATE attempts
         SET is_correct = $2, error_tag_id = $3, classifier_source = $4, confidence = $5,
             status = $6, ocr_confidence = $7, ocr_provider = $8,
             final_answer = COALESCE($9, final_answer),
             classified_at = CASE WHEN $6 = 'CLASSIFIED' THEN CURRENT_TIMESTAMP END,
             updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(r.id)
    .bind(r.is_correct)
    .bind(r.error_tag_id)
    .bind(r.classifier_source.as_str())
    .bind(r.confidence)
    .bind(r.status.as_str())
    .bind(r.ocr_confidence)
    .bind(r.ocr_provider)
    .bind(r.final_answer)
    .execute(exec)
    .await?;
    Ok(())
}

/// Removes an attempt's steps (a regrade replaces them with the transcription's).
pub async fn delete_steps(exec: impl PgExecutor<'_>, attempt_id: &AttemptId) -> DbResult<u64> {
    Ok(
        sqlx::query("DELETE FROM attempt_steps WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(exec)
            .await?
            .rows_affected(),
    )
}
