//! `/guides`: the teacher's side of the worksheet pipeline (R33–R46).

use innova_app::guides as app;
use innova_domain::ids::{
    AssignmentId, CourseId, ExerciseId, GuideId, QuestionId, SolutionId, StudentId, SubmissionId,
    TeacherId, TopicId,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::assignments::{DUE_AT_PATTERN, check_due_at, parse_due_at};
use super::common::iso;
use super::enums::{GuideQuestionStatus, GuideStatus, SubmissionStatus};
use crate::validate::{Problems, Valid, Validate};
use innova_core::db::enums::SolutionSource;

/// Longest title, label or id accepted.
const MAX_TEXT: usize = 200;
/// Longest description or statement accepted.
const MAX_LONG_TEXT: usize = 20_000;

fn text_if_present(p: &mut Problems, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        p.chars_between(field, v, 1, max);
        p.not_blank(field, v);
    }
}

// ---- paths --------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GuidePath {
    /// The guide id.
    pub id: GuideId,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct QuestionPath {
    /// The guide id.
    pub id: GuideId,
    /// A question of the guide.
    pub qid: QuestionId,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SubmissionPath {
    /// The guide id.
    pub id: GuideId,
    /// A submission to one of the guide's questions.
    pub sid: SubmissionId,
}

// ---- POST /guides -------------------------------------------------------------------------------

/// A guide to create; its PDF is uploaded afterwards to the returned URL.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateGuide {
    /// A course the caller teaches.
    #[schemars(length(min = 1, max = 200))]
    pub course_id: CourseId,
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    #[serde(default)]
    #[schemars(length(max = 20000))]
    pub description: Option<String>,
    /// The PDF's name on the teacher's device (accepted, not used).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub file_name: Option<String>,
    /// ISO-8601: a date-time with its offset, or a date (midnight UTC).
    #[serde(default)]
    #[schemars(length(min = 1, max = 40), regex = "DUE_AT_PATTERN")]
    pub due_at: Option<String>,
}

impl Validate for CreateGuide {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("courseId", &self.course_id);
        p.chars_between("courseId", &self.course_id, 1, MAX_TEXT);
        p.not_blank("title", &self.title);
        p.chars_between("title", &self.title, 1, MAX_TEXT);
        if let Some(d) = &self.description {
            p.chars_between("description", d, 0, MAX_LONG_TEXT);
        }
        if let Some(f) = &self.file_name {
            p.chars_between("fileName", f, 0, MAX_TEXT);
        }
        check_due_at(p, self.due_at.as_deref());
    }
}

impl From<Valid<CreateGuide>> for app::NewGuide {
    fn from(b: Valid<CreateGuide>) -> Self {
        let b = b.into_inner();
        app::NewGuide {
            due_at: b.due_at.as_deref().and_then(parse_due_at),
            course_id: b.course_id,
            title: b.title,
            description: b.description,
        }
    }
}

/// The created guide and where to PUT its PDF (`Content-Type: application/pdf`, short-lived): the use case's, whose JSON is the wire's.
pub use app::GuideCreated;

/// The guide's status after an ingest request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IngestAccepted {
    pub status: GuideStatus,
}

// ---- GET /guides --------------------------------------------------------------------------------

/// `?courseId=&status=&page=&pageSize=`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GuidesQuery {
    /// One of the caller's courses (403 otherwise); default: all of them.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub course_id: Option<CourseId>,
    #[serde(default)]
    pub status: Option<GuideStatus>,
    /// 1-based page (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
    /// Guides per page, 1–100 (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

impl Validate for GuidesQuery {
    fn validate(&self, p: &mut Problems) {
        text_if_present(p, "courseId", self.course_id.as_deref(), MAX_TEXT);
        p.in_range("page", self.page.map(i64::from), 1, 100_000);
        p.in_range("pageSize", self.page_size.map(i64::from), 1, 100);
    }
}

impl GuidesQuery {
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1)
    }

    pub fn page_size(&self) -> u32 {
        self.page_size.unwrap_or(20)
    }

    pub fn request(&self) -> app::ListRequest {
        let size = i64::from(self.page_size());
        app::ListRequest {
            course_id: self.course_id.clone(),
            status: self.status,
            limit: size,
            offset: (i64::from(self.page()) - 1) * size,
        }
    }
}

/// A guide (the stored row).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Guide {
    pub id: GuideId,
    pub course_id: CourseId,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    pub description: Option<String>,
    pub status: GuideStatus,
    pub source_pdf_key: String,
    pub source_pdf_pages: Option<i32>,
    /// SCANNED, DIGITAL or MIXED (set by the AI engine).
    pub source_kind: Option<String>,
    pub latex_key: Option<String>,
    pub extraction_confidence: Option<f64>,
    pub extraction_model: Option<String>,
    pub failure_reason: Option<String>,
    pub question_count: i32,
    pub max_resubmissions: i32,
    pub show_solution_after_grade: bool,
    pub assignment_id: Option<AssignmentId>,
    /// ISO-8601 UTC.
    pub due_at: Option<String>,
    pub published_at: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
}

impl From<app::GuideRow> for Guide {
    fn from(g: app::GuideRow) -> Self {
        Guide {
            id: g.id,
            course_id: g.course_id,
            created_by_teacher_id: g.created_by_teacher_id,
            title: g.title,
            description: g.description,
            status: g.status,
            source_pdf_key: g.source_pdf_key,
            source_pdf_pages: g.source_pdf_pages,
            source_kind: g.source_kind,
            latex_key: g.latex_key,
            extraction_confidence: g.extraction_confidence,
            extraction_model: g.extraction_model,
            failure_reason: g.failure_reason,
            question_count: g.question_count,
            max_resubmissions: g.max_resubmissions,
            show_solution_after_grade: g.show_solution_after_grade,
            assignment_id: g.assignment_id,
            due_at: g.due_at.map(iso),
            published_at: g.published_at.map(iso),
            trace_id: g.trace_id,
            created_at: iso(g.created_at),
            updated_at: iso(g.updated_at),
            archived_at: g.archived_at.map(iso),
        }
    }
}

/// How many questions and submissions a guide has.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuideCounts {
    pub questions: i64,
    pub submissions: i64,
}

/// A guide of the list, with its counts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuideListItem {
    #[serde(flatten)]
    pub guide: Guide,
    #[serde(rename = "_count")]
    pub count: GuideCounts,
}

impl From<app::GuideListRow> for GuideListItem {
    fn from(r: app::GuideListRow) -> Self {
        GuideListItem {
            guide: r.guide.into(),
            count: GuideCounts {
                questions: r.questions,
                submissions: r.submissions,
            },
        }
    }
}

/// One page of the caller's guides.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuideList {
    pub items: Vec<GuideListItem>,
    /// Guides over all pages.
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

// ---- GET /guides/{id} ---------------------------------------------------------------------------

/// `{id, code, name}` of a topic, domain or subdomain: the row, whose JSON is the wire's.
pub use app::CodeName;

/// A question of a guide (the stored row).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuideQuestion {
    pub id: QuestionId,
    pub guide_id: GuideId,
    pub sequence: i32,
    pub label: Option<String>,
    pub statement_latex: String,
    pub statement_json: Option<serde_json::Value>,
    /// Object keys of the question's figure crops.
    pub figure_keys: Vec<String>,
    pub provided_answer: Option<String>,
    pub provided_solution_latex: Option<String>,
    pub points: f64,
    pub status: GuideQuestionStatus,
    pub topic_id: Option<TopicId>,
    pub domain_id: Option<String>,
    pub subdomain_id: Option<String>,
    pub topic_confidence: Option<f64>,
    /// `LLM`/`AI` (the AI engine) or `TEACHER`.
    pub topic_source: Option<String>,
    pub exercise_id: Option<ExerciseId>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<app::QuestionRow> for GuideQuestion {
    fn from(q: app::QuestionRow) -> Self {
        GuideQuestion {
            id: q.id,
            guide_id: q.guide_id,
            sequence: q.sequence,
            label: q.label,
            statement_latex: q.statement_latex,
            statement_json: q.statement_json,
            figure_keys: q.figure_keys,
            provided_answer: q.provided_answer,
            provided_solution_latex: q.provided_solution_latex,
            points: q.points,
            status: q.status,
            topic_id: q.topic_id,
            domain_id: q.domain_id,
            subdomain_id: q.subdomain_id,
            topic_confidence: q.topic_confidence,
            topic_source: q.topic_source,
            exercise_id: q.exercise_id,
            created_at: iso(q.created_at),
            updated_at: iso(q.updated_at),
        }
    }
}

/// A version of a question's answer key (the stored row).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuideSolution {
    pub id: SolutionId,
    pub guide_question_id: QuestionId,
    pub version: i32,
    pub is_current: bool,
    pub source: SolutionSource,
    pub final_answer: String,
    /// The canonical solution (ADR-118), as stored: saved back unchanged by `PATCH
    /// …/solution`, it is accepted.
    #[schemars(with = "CanonicalSolutionSchema")]
    pub steps_json: serde_json::Value,
    pub solution_latex: Option<String>,
    /// Error-tag codes.
    pub expected_error_tags: Vec<String>,
    pub generated_by_model: Option<String>,
    pub prompt_version: Option<String>,
    pub validation_notes: Option<String>,
    pub created_by_teacher_id: Option<TeacherId>,
    pub created_at: String,
}

impl From<app::SolutionRow> for GuideSolution {
    fn from(s: app::SolutionRow) -> Self {
        GuideSolution {
            id: s.id,
            guide_question_id: s.guide_question_id,
            version: s.version,
            is_current: s.is_current,
            source: s.source,
            final_answer: s.final_answer,
            steps_json: s.steps_json,
            solution_latex: s.solution_latex,
            expected_error_tags: s.expected_error_tags,
            generated_by_model: s.generated_by_model,
            prompt_version: s.prompt_version,
            validation_notes: s.validation_notes,
            created_by_teacher_id: s.created_by_teacher_id,
            created_at: iso(s.created_at),
        }
    }
}

/// A question of the review wizard.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WizardQuestion {
    #[serde(flatten)]
    pub question: GuideQuestion,
    pub topic: Option<CodeName>,
    /// The current answer key: zero or one element.
    pub solutions: Vec<GuideSolution>,
    pub domain: Option<CodeName>,
    pub subdomain: Option<CodeName>,
}

impl From<app::WizardQuestion> for WizardQuestion {
    fn from(w: app::WizardQuestion) -> Self {
        let (topic, domain, subdomain) = (
            w.question.topic(),
            w.question.domain(),
            w.question.subdomain(),
        );
        WizardQuestion {
            question: w.question.question.into(),
            topic,
            solutions: w.current_solution.into_iter().map(Into::into).collect(),
            domain,
            subdomain,
        }
    }
}

/// A guide with its questions by sequence.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuideDetail {
    #[serde(flatten)]
    pub guide: Guide,
    pub questions: Vec<WizardQuestion>,
}

// ---- PATCH /guides/{id} -------------------------------------------------------------------------

/// The metadata to change; absent (or `null`) fields stay as they are.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateGuide {
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub title: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 20000))]
    pub description: Option<String>,
    /// ISO-8601: a date-time with its offset, or a date (midnight UTC).
    #[serde(default)]
    #[schemars(length(min = 1, max = 40), regex = "DUE_AT_PATTERN")]
    pub due_at: Option<String>,
    /// Tries a student may hand in after the first.
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub max_resubmissions: Option<i32>,
    #[serde(default)]
    pub show_solution_after_grade: Option<bool>,
}

impl Validate for UpdateGuide {
    fn validate(&self, p: &mut Problems) {
        text_if_present(p, "title", self.title.as_deref(), MAX_TEXT);
        if let Some(d) = &self.description {
            p.chars_between("description", d, 0, MAX_LONG_TEXT);
        }
        check_due_at(p, self.due_at.as_deref());
        p.in_range(
            "maxResubmissions",
            self.max_resubmissions.map(i64::from),
            0,
            100,
        );
    }
}

impl From<Valid<UpdateGuide>> for app::GuideChanges {
    fn from(b: Valid<UpdateGuide>) -> Self {
        let b = b.into_inner();
        app::GuideChanges {
            due_at: b.due_at.as_deref().and_then(parse_due_at),
            title: b.title,
            description: b.description,
            max_resubmissions: b.max_resubmissions,
            show_solution_after_grade: b.show_solution_after_grade,
        }
    }
}

// ---- PATCH /guides/{id}/questions/{qid} ---------------------------------------------------------

/// The review decisions a teacher may take on a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewStatus {
    Approved,
    Excluded,
}

impl From<ReviewStatus> for GuideQuestionStatus {
    fn from(s: ReviewStatus) -> Self {
        match s {
            ReviewStatus::Approved => GuideQuestionStatus::Approved,
            ReviewStatus::Excluded => GuideQuestionStatus::Excluded,
        }
    }
}

/// Changes to a question; absent (or `null`) fields stay as they are.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateQuestion {
    #[serde(default)]
    #[schemars(length(min = 1, max = 20000))]
    pub statement_latex: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub label: Option<String>,
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1000.0))]
    pub points: Option<f64>,
    /// Classify under this topic (its domain and subdomain follow).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub topic_id: Option<TopicId>,
    /// Classify under this subdomain (wins over `topicId`; the topic stays).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub subdomain_id: Option<String>,
    #[serde(default)]
    pub status: Option<ReviewStatus>,
}

impl Validate for UpdateQuestion {
    fn validate(&self, p: &mut Problems) {
        text_if_present(
            p,
            "statementLatex",
            self.statement_latex.as_deref(),
            MAX_LONG_TEXT,
        );
        text_if_present(p, "label", self.label.as_deref(), MAX_TEXT);
        text_if_present(p, "topicId", self.topic_id.as_deref(), MAX_TEXT);
        text_if_present(p, "subdomainId", self.subdomain_id.as_deref(), MAX_TEXT);
        if let Some(points) = self.points {
            p.check((0.0..=1000.0).contains(&points), || {
                "points must be a number from 0 to 1000".into()
            });
        }
    }
}

impl From<Valid<UpdateQuestion>> for app::QuestionChanges {
    fn from(b: Valid<UpdateQuestion>) -> Self {
        let b = b.into_inner();
        app::QuestionChanges {
            statement_latex: b.statement_latex,
            label: b.label,
            points: b.points,
            status: b.status.map(Into::into),
            topic_id: b.topic_id,
            subdomain_id: b.subdomain_id,
        }
    }
}

// ---- PATCH /guides/{id}/questions/{qid}/solution ------------------------------------------------

/// The canonical solution (ADR-118), as stored and served, and as accepted back: unknown keys
/// are dropped on write. The AI engine's older solutions omit `final_answer`, `points` and the
/// steps' `idx`: a write fills them in (the body's `finalAnswer`, the question's points, the
/// step's position), so what this API stores has them.
#[allow(dead_code)]
#[derive(JsonSchema)]
pub(crate) struct CanonicalSolutionSchema {
    /// Absent: the body's `finalAnswer`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    final_answer: Option<String>,
    /// Absent: the question's points.
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    points: Option<f64>,
    /// At least one step.
    #[schemars(length(min = 1))]
    steps: Vec<SolutionStepSchema>,
    /// Alternative paths (optional).
    #[serde(default)]
    alt_paths: Vec<AltPathSchema>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct SolutionStepSchema {
    /// Absent: the step's position in its path.
    #[serde(default)]
    #[schemars(range(min = 0))]
    idx: Option<u32>,
    #[schemars(length(min = 1))]
    latex: String,
    #[serde(default)]
    explanation_es: String,
    #[serde(default)]
    rule: String,
    /// Whether the grader checks the student's work at this step.
    checkpoint: bool,
    #[serde(default)]
    expected_error_tags: Vec<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct AltPathSchema {
    #[schemars(length(min = 1))]
    label: String,
    #[schemars(length(min = 1))]
    steps: Vec<SolutionStepSchema>,
}

/// A new answer-key version written by the teacher.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSolution {
    #[schemars(length(min = 1, max = 20000))]
    pub final_answer: String,
    /// The canonical solution: at least one step; a changed solution needs at least one
    /// checkpoint step (main path or an alternative path), the current one saved back unchanged
    /// does not.
    #[schemars(with = "CanonicalSolutionSchema")]
    pub steps_json: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    #[schemars(length(max = 100000))]
    pub solution_latex: Option<String>,
    /// Error-tag codes this question tends to provoke.
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub expected_error_tags: Option<Vec<String>>,
}

impl Validate for UpdateSolution {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("finalAnswer", &self.final_answer);
        p.chars_between("finalAnswer", &self.final_answer, 1, MAX_LONG_TEXT);
        if let Some(l) = &self.solution_latex {
            p.chars_between("solutionLatex", l, 0, 100_000);
        }
        if let Some(tags) = &self.expected_error_tags {
            p.check(tags.len() <= 50, || {
                "expectedErrorTags must name at most 50 codes".into()
            });
            for (i, t) in tags.iter().enumerate() {
                p.not_blank(&format!("expectedErrorTags.{i}"), t);
            }
        }
        let steps = serde_json::Value::Object(self.steps_json.clone());
        for problem in app::solution_problems(&steps, &self.final_answer) {
            p.check(false, || problem);
        }
    }
}

impl From<Valid<UpdateSolution>> for app::SolutionEdit {
    fn from(b: Valid<UpdateSolution>) -> Self {
        let b = b.into_inner();
        app::SolutionEdit {
            final_answer: b.final_answer,
            steps_json: serde_json::Value::Object(b.steps_json),
            solution_latex: b.solution_latex,
            expected_error_tags: b.expected_error_tags.unwrap_or_default(),
        }
    }
}

/// The regeneration was queued.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegenerateAccepted {
    pub enqueued: bool,
}

// ---- POST /guides/{id}/publish ------------------------------------------------------------------

/// What publishing made.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuidePublished {
    pub guide: Guide,
    pub assignment_id: AssignmentId,
    /// Exercises made of APPROVED questions with a topic.
    pub materialized_exercises: usize,
    /// APPROVED questions without a topic (no exercise).
    pub approved_without_topic: usize,
    /// Students with an ACTIVE enrollment, each a target of the assignment.
    pub students_assigned: usize,
}

impl From<app::Published> for GuidePublished {
    fn from(p: app::Published) -> Self {
        GuidePublished {
            guide: p.guide.into(),
            assignment_id: p.assignment_id,
            materialized_exercises: p.materialized_exercises,
            approved_without_topic: p.approved_without_topic,
            students_assigned: p.students_assigned,
        }
    }
}

/// A short-lived download URL.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SourceUrl {
    pub url: String,
}

// ---- GET /guides/{id}/results -------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultsStudent {
    pub id: StudentId,
    pub display_name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResultsQuestion {
    pub id: QuestionId,
    pub sequence: i32,
    pub label: Option<String>,
    pub points: f64,
}

/// A student's latest try on a question.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultsCell {
    pub submission_id: SubmissionId,
    pub question_id: QuestionId,
    pub student_id: StudentId,
    pub status: SubmissionStatus,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    pub attempt_number: i32,
    /// The teacher's override if any, else the attempt's tag.
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub is_overridden: bool,
    /// Handed in after the guide's due date.
    pub is_late: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TagCount {
    pub code: String,
    pub name: String,
    pub count: usize,
}

/// A question's most frequent error tags among its cells that are not correct (top 5).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonErrors {
    pub question_id: QuestionId,
    pub tags: Vec<TagCount>,
}

/// The student × question matrix.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuideResults {
    pub guide_id: GuideId,
    pub due_at: Option<String>,
    /// ACTIVE students of the course by display name.
    pub students: Vec<ResultsStudent>,
    /// APPROVED questions by sequence.
    pub questions: Vec<ResultsQuestion>,
    pub cells: Vec<ResultsCell>,
    pub common_errors: Vec<CommonErrors>,
}

impl From<app::Results> for GuideResults {
    fn from(r: app::Results) -> Self {
        let common_errors = r
            .questions
            .iter()
            .zip(r.common_errors)
            .map(|(q, tags)| CommonErrors {
                question_id: q.id.clone(),
                tags: tags
                    .into_iter()
                    .map(|t| TagCount {
                        code: t.code,
                        name: t.name,
                        count: t.count,
                    })
                    .collect(),
            })
            .collect();
        GuideResults {
            guide_id: r.guide.id,
            due_at: r.guide.due_at.map(iso),
            students: r
                .students
                .into_iter()
                .map(|s| ResultsStudent {
                    id: s.id,
                    display_name: s.display_name,
                })
                .collect(),
            questions: r
                .questions
                .into_iter()
                .map(|q| ResultsQuestion {
                    id: q.id,
                    sequence: q.sequence,
                    label: q.label,
                    points: q.points,
                })
                .collect(),
            cells: r
                .cells
                .into_iter()
                .map(|c| {
                    let s = c.submission;
                    ResultsCell {
                        submission_id: s.id,
                        question_id: s.guide_question_id,
                        student_id: s.student_id,
                        status: s.status,
                        score: s.score,
                        is_correct: s.is_correct,
                        attempt_number: s.attempt_number,
                        is_overridden: s.override_error_tag_id.is_some(),
                        error_tag_code: s.error_tag_code,
                        error_tag_name: s.error_tag_name,
                        is_late: c.is_late,
                    }
                })
                .collect(),
            common_errors,
        }
    }
}

// ---- GET /guides/{id}/submissions/{sid} ---------------------------------------------------------

/// A submission as the teacher's drawer shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionDrawer {
    pub submission_id: SubmissionId,
    pub question_sequence: i32,
    pub question_label: Option<String>,
    pub statement_latex: String,
    pub status: SubmissionStatus,
    pub score: Option<f64>,
    pub is_correct: Option<bool>,
    pub attempt_number: i32,
    pub transcription_latex: Option<String>,
    pub transcription_confidence: Option<f64>,
    pub alignment_json: Option<serde_json::Value>,
    pub failure_reason: Option<String>,
    /// Short-lived download URLs of the photos, in order.
    pub photo_urls: Vec<String>,
    /// The teacher's override if any, else the attempt's tag.
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub is_overridden: bool,
}

impl From<app::SubmissionDetail> for SubmissionDrawer {
    fn from(d: app::SubmissionDetail) -> Self {
        let s = d.submission;
        SubmissionDrawer {
            submission_id: s.id,
            question_sequence: d.question.sequence,
            question_label: d.question.label,
            statement_latex: d.question.statement_latex,
            status: s.status,
            score: s.score,
            is_correct: s.is_correct,
            attempt_number: s.attempt_number,
            transcription_latex: s.transcription_latex,
            transcription_confidence: s.transcription_confidence,
            alignment_json: s.alignment_json,
            failure_reason: s.failure_reason,
            photo_urls: d.photo_urls,
            is_overridden: s.override_error_tag_id.is_some(),
            error_tag_code: s.error_tag_code,
            error_tag_name: s.error_tag_name,
        }
    }
}

// ---- PATCH /guides/{id}/submissions/{sid}/error-tag ---------------------------------------------

/// The teacher's error tag for a submission; `null` or absent clears the override.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverrideErrorTag {
    /// An error-tag code (any status).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub error_tag_code: Option<String>,
}

impl Validate for OverrideErrorTag {
    fn validate(&self, p: &mut Problems) {
        text_if_present(p, "errorTagCode", self.error_tag_code.as_deref(), MAX_TEXT);
        if let Some(code) = &self.error_tag_code {
            p.code("errorTagCode", code);
        }
    }
}

/// The submission's tag after the change.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTagOverridden {
    pub submission_id: SubmissionId,
    /// The effective tag: the override if any, else the attempt's tag.
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub is_overridden: bool,
}

impl From<app::SubmissionRow> for ErrorTagOverridden {
    fn from(s: app::SubmissionRow) -> Self {
        ErrorTagOverridden {
            submission_id: s.id,
            is_overridden: s.override_error_tag_id.is_some(),
            error_tag_code: s.error_tag_code,
            error_tag_name: s.error_tag_name,
        }
    }
}
