//! `/student`: a student's published guides, the quiz (never a solution), photo submissions,
//! their results and page scans.

use innova_app::student_guides as app;
use innova_domain::ids::{GuideId, QuestionId, SubmissionId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::SubmissionStatus;
use crate::validate::{Problems, Validate};

// ---- paths ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StudentGuidePath {
    /// The guide id.
    pub id: GuideId,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StudentQuestionPath {
    /// The guide id.
    pub id: GuideId,
    /// The question id.
    pub qid: QuestionId,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StudentSubmissionPath {
    /// The submission id.
    pub id: SubmissionId,
}

// ---- GET /student/guides ----------------------------------------------------------------------

/// A published guide of one of the caller's courses, with their progress.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentGuideSummary {
    pub id: GuideId,
    pub title: String,
    pub description: Option<String>,
    /// ISO-8601 UTC.
    pub due_at: Option<String>,
    /// APPROVED questions.
    pub total_questions: i64,
    /// APPROVED questions with a GRADED submission of the caller.
    pub graded_questions: i64,
}

impl From<app::StudentGuideRow> for StudentGuideSummary {
    fn from(r: app::StudentGuideRow) -> Self {
        StudentGuideSummary {
            id: r.id,
            title: r.title,
            description: r.description,
            due_at: r.due_at.map(iso),
            total_questions: r.total_questions,
            graded_questions: r.graded_questions,
        }
    }
}

// ---- GET /student/guides/{id} -----------------------------------------------------------------

/// The quiz: the guide and its APPROVED questions, without answers or solutions.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentQuiz {
    pub guide: StudentQuizGuide,
    pub questions: Vec<StudentQuizQuestion>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentQuizGuide {
    pub id: GuideId,
    pub title: String,
    /// ISO-8601 UTC.
    pub due_at: Option<String>,
    /// Submissions allowed per question beyond the first (FAILED ones do not count).
    pub max_resubmissions: i32,
}

/// A question of the quiz, with the caller's submissions to it (newest attempt first).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentQuizQuestion {
    pub id: QuestionId,
    pub sequence: i32,
    pub label: Option<String>,
    pub statement_latex: String,
    /// Sub-parts, options, tables, as extracted.
    pub statement_json: Option<serde_json::Value>,
    /// Object keys of the question's figures.
    pub figure_keys: Vec<String>,
    pub points: f64,
    pub submissions: Vec<StudentSubmissionSummary>,
}

/// One of the caller's submissions to a question.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentSubmissionSummary {
    pub id: SubmissionId,
    pub guide_question_id: QuestionId,
    pub attempt_number: i32,
    pub status: SubmissionStatus,
    /// 0..1, once graded.
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    /// ISO-8601 UTC.
    pub graded_at: Option<String>,
}

impl From<&app::SubmissionRow> for StudentSubmissionSummary {
    fn from(s: &app::SubmissionRow) -> Self {
        StudentSubmissionSummary {
            id: s.id.clone(),
            guide_question_id: s.guide_question_id.clone(),
            attempt_number: s.attempt_number,
            status: s.status,
            score: s.score,
            is_correct: s.is_correct,
            graded_at: s.graded_at.map(iso),
        }
    }
}

impl StudentQuiz {
    pub fn new(guide: &app::PublishedGuide, questions: Vec<app::QuizQuestion>) -> Self {
        StudentQuiz {
            guide: StudentQuizGuide {
                id: guide.id.clone(),
                title: guide.title.clone(),
                due_at: guide.due_at.map(iso),
                max_resubmissions: guide.max_resubmissions,
            },
            questions: questions
                .into_iter()
                .map(|q| StudentQuizQuestion {
                    submissions: q.submissions.iter().map(Into::into).collect(),
                    id: q.question.id,
                    sequence: q.question.sequence,
                    label: q.question.label,
                    statement_latex: q.question.statement_latex,
                    statement_json: q.question.statement_json,
                    figure_keys: q.question.figure_keys,
                    points: q.question.points,
                })
                .collect(),
        }
    }
}

// ---- POST /student/guides/{id}/questions/{qid}/submissions -----------------------------------

/// A new photo submission to a question.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSubmission {
    /// How many photos will be uploaded: 1–3.
    #[schemars(range(min = 1, max = 3))]
    pub photo_count: i64,
}

impl Validate for CreateSubmission {
    fn validate(&self, p: &mut Problems) {
        p.in_range(
            "photoCount",
            Some(self.photo_count),
            1,
            app::MAX_PHOTOS as i64,
        );
    }
}

impl CreateSubmission {
    /// The number of photos (validated to 1–3).
    pub fn photos(&self) -> usize {
        self.photo_count.clamp(1, app::MAX_PHOTOS as i64) as usize
    }
}

/// A started submission: upload each photo with `PUT` and `Content-Type: image/jpeg` to its URL,: the use case's, whose JSON is the wire's.
pub use app::Started as SubmissionStarted;

// ---- POST /student/submissions/{id}/complete --------------------------------------------------

/// The submission was queued for grading; it stays `UPLOADED` until the grader picks it up.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubmissionCompleted {
    pub status: SubmissionStatus,
}

// ---- GET /student/submissions/{id}/status -----------------------------------------------------

/// Where a submission is, and its grade once graded.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentSubmissionStatus {
    pub id: SubmissionId,
    pub status: SubmissionStatus,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    /// The procedural error of the graded attempt.
    pub error_tag_code: Option<String>,
    /// `null` when the tag has no name.
    pub error_tag_name: Option<String>,
    pub diagnostic_hint: Option<String>,
    /// ISO-8601 UTC.
    pub graded_at: Option<String>,
}

impl From<app::SubmissionRow> for StudentSubmissionStatus {
    fn from(s: app::SubmissionRow) -> Self {
        StudentSubmissionStatus {
            id: s.id,
            status: s.status,
            score: s.score,
            is_correct: s.is_correct,
            error_tag_code: s.error_tag_code,
            error_tag_name: non_empty(s.error_tag_name),
            diagnostic_hint: s.diagnostic_hint,
            graded_at: s.graded_at.map(iso),
        }
    }
}

/// Decision 7: an empty tag name is `null`.
fn non_empty(name: Option<String>) -> Option<String> {
    name.filter(|n| !n.is_empty())
}

// ---- GET /student/guides/{id}/results ---------------------------------------------------------

/// The caller's results in a guide.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentGuideResults {
    pub guide_id: GuideId,
    /// Whether the guide shows each question's solution once the caller's latest submission is
    /// graded.
    pub show_solution: bool,
    pub questions: Vec<StudentQuestionResult>,
}

/// Where the caller stands on a question: their latest submission's status, or `NOT_SUBMITTED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StudentResultStatus {
    #[serde(rename = "NOT_SUBMITTED")]
    NotSubmitted,
    #[serde(rename = "UPLOADED")]
    Uploaded,
    #[serde(rename = "TRANSCRIBING")]
    Transcribing,
    #[serde(rename = "GRADING")]
    Grading,
    #[serde(rename = "GRADED")]
    Graded,
    #[serde(rename = "FAILED")]
    Failed,
}

impl From<Option<SubmissionStatus>> for StudentResultStatus {
    fn from(s: Option<SubmissionStatus>) -> Self {
        match s {
            None => StudentResultStatus::NotSubmitted,
            Some(SubmissionStatus::Uploaded) => StudentResultStatus::Uploaded,
            Some(SubmissionStatus::Transcribing) => StudentResultStatus::Transcribing,
            Some(SubmissionStatus::Grading) => StudentResultStatus::Grading,
            Some(SubmissionStatus::Graded) => StudentResultStatus::Graded,
            Some(SubmissionStatus::Failed) => StudentResultStatus::Failed,
        }
    }
}

/// One APPROVED question of the caller's results.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentQuestionResult {
    pub question_id: QuestionId,
    pub sequence: i32,
    pub label: Option<String>,
    pub points: f64,
    pub status: StudentResultStatus,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    pub error_tag_code: Option<String>,
    /// `null` when the tag has no name.
    pub error_tag_name: Option<String>,
    /// The question's current solution: only when the guide shows solutions after grading and
    /// the latest submission is GRADED; otherwise `null`.
    pub solution: Option<super::guides::GuideSolution>,
}

impl StudentGuideResults {
    pub fn new(guide: &app::PublishedGuide, results: Vec<app::QuestionResult>) -> Self {
        StudentGuideResults {
            guide_id: guide.id.clone(),
            show_solution: guide.show_solution_after_grade,
            questions: results
                .into_iter()
                .map(|r| {
                    let latest = r.latest;
                    StudentQuestionResult {
                        question_id: r.question.id,
                        sequence: r.question.sequence,
                        label: r.question.label,
                        points: r.question.points,
                        status: latest.as_ref().map(|s| s.status).into(),
                        score: latest.as_ref().and_then(|s| s.score),
                        is_correct: latest.as_ref().and_then(|s| s.is_correct),
                        error_tag_code: latest.as_ref().and_then(|s| s.error_tag_code.clone()),
                        error_tag_name: non_empty(
                            latest.as_ref().and_then(|s| s.error_tag_name.clone()),
                        ),
                        solution: r.solution.map(Into::into),
                    }
                })
                .collect(),
        }
    }
}

// ---- GET /student/guides/{id}/scan-page-url ---------------------------------------------------

/// Where to upload a photo of a whole page: `PUT` with `Content-Type: image/jpeg`: the use case's, whose JSON is the wire's.
pub use app::ScanUpload as ScanPageUpload;

// ---- POST /student/guides/{id}/scan-page ------------------------------------------------------

/// A page photo uploaded through `scan-page-url`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScanPage {
    /// The `photoKey` of `GET /student/guides/{id}/scan-page-url`: a key under
    /// `guide-scans/<guideId>/<the caller's student id>/`.
    #[schemars(length(min = 1))]
    pub photo_key: String,
}

impl Validate for ScanPage {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("photoKey", &self.photo_key);
    }
}

/// What the page held: one entry per exercise paired with a question.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanPageResult {
    pub photo_key: String,
    /// Submissions created (entries not skipped).
    pub matched: usize,
    pub submissions: Vec<ScanPageEntry>,
}

/// Why a matched question got no submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScanSkipReason {
    /// The caller has used up the question's re-submissions.
    #[serde(rename = "limit_reached")]
    LimitReached,
}

/// The exercise at a position of the page, paired with the question at the same position.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanPageEntry {
    pub question_id: QuestionId,
    pub sequence: i32,
    /// The submission created; `null` when skipped.
    pub submission_id: Option<SubmissionId>,
    pub skipped: bool,
    /// Present when skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ScanSkipReason>,
}

impl ScanPageResult {
    pub fn new(photo_key: String, entries: Vec<app::ScanEntry>) -> Self {
        let submissions: Vec<ScanPageEntry> = entries
            .into_iter()
            .map(|e| {
                let (submission_id, reason) = match e.outcome {
                    Ok(id) => (Some(id), None),
                    Err(app::Skipped::LimitReached) => (None, Some(ScanSkipReason::LimitReached)),
                };
                ScanPageEntry {
                    question_id: e.question_id,
                    sequence: e.sequence,
                    skipped: submission_id.is_none(),
                    submission_id,
                    reason,
                }
            })
            .collect();
        ScanPageResult {
            photo_key,
            matched: submissions.iter().filter(|s| !s.skipped).count(),
            submissions,
        }
    }
}
