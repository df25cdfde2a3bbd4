//! `/attempts`: typed answers, ad-hoc problems, photo reading, an attempt's classification and
//! detail, disputes.

use innova_core::ocr::OcrExercise;
use innova_domain::ids::{AttemptId, CourseId, ExerciseId, StudentId};
use innova_domain::rules::{Operand, RawStep};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{AttemptStatus, ClassifierSource};
use crate::validate::{Problems, Valid, Validate};

// ---- POST /attempts ---------------------------------------------------------------------------

/// One step of the student's work.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepInput {
    /// The step as typed (e.g. `53 - 26 = 33`).
    pub expression: String,
    /// Whether this step is the final answer.
    pub is_final: bool,
}

/// A digital attempt.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAttempt {
    /// The student answering: the caller's own student profile.
    #[schemars(length(min = 1))]
    pub student_id: StudentId,
    /// Code of the topic practised (e.g. `SUB`); picks the rule-engine strategy.
    #[schemars(length(min = 1))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub topic_code: String,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub exercise_id: Option<ExerciseId>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub course_id: Option<CourseId>,
    /// The student's work, in order (may be empty).
    pub raw_steps: Vec<StepInput>,
    pub expected_answer: f64,
    pub student_answer: f64,
    /// Operand 1 for the strategies that need it (minuend, first addend or factor, dividend).
    #[serde(default, deserialize_with = "present")]
    pub minuend: Option<Option<f64>>,
    /// Operand 2 (subtrahend, second addend or factor, divisor).
    #[serde(default, deserialize_with = "present")]
    pub subtrahend: Option<Option<f64>>,
}

/// Keeps an explicit `null` apart from an absent field: the rule engine treats them differently
/// (as the reference did).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

fn operand(field: Option<Option<f64>>) -> Operand {
    match field {
        None => Operand::Absent,
        Some(None) => Operand::Null,
        Some(Some(v)) => Operand::Value(v),
    }
}

impl Validate for CreateAttempt {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("studentId", &self.student_id);
        p.not_blank("topicCode", &self.topic_code);
        p.code("topicCode", &self.topic_code);
        p.not_blank_if_present("exerciseId", self.exercise_id.as_deref());
        p.not_blank_if_present("courseId", self.course_id.as_deref());
    }
}

impl From<Valid<CreateAttempt>> for innova_app::attempts::DigitalAttempt {
    fn from(body: Valid<CreateAttempt>) -> Self {
        let body = body.into_inner();
        innova_app::attempts::DigitalAttempt {
            student_id: body.student_id,
            topic_code: body.topic_code,
            exercise_id: body.exercise_id,
            course_id: body.course_id,
            raw_steps: body
                .raw_steps
                .into_iter()
                .map(|s| RawStep {
                    expression: s.expression,
                    is_final: s.is_final,
                })
                .collect(),
            expected_answer: body.expected_answer,
            student_answer: body.student_answer,
            minuend: operand(body.minuend),
            subtrahend: operand(body.subtrahend),
        }
    }
}

/// The verdict on an attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptCreated {
    pub attempt_id: AttemptId,
    pub is_correct: bool,
    /// The rule engine's tag (`CORRECT`, `UNCLASSIFIED` or a procedural-error code).
    pub error_tag_code: String,
    /// `RULE`, or `LLM` when the attempt waits for the LLM classifier.
    pub classifier_source: ClassifierSource,
    pub confidence: f64,
}

impl From<innova_app::attempts::Recorded> for AttemptCreated {
    fn from(r: innova_app::attempts::Recorded) -> Self {
        AttemptCreated {
            attempt_id: r.attempt_id,
            is_correct: r.is_correct,
            error_tag_code: r.error_tag_code,
            classifier_source: r.classifier_source,
            confidence: r.confidence,
        }
    }
}

// ---- POST /attempts/solve-adhoc --------------------------------------------------------------

/// The grade assumed when `gradeLevel` is absent.
pub const DEFAULT_GRADE_LEVEL: i64 = 7;

/// A problem the student photographed or typed freely, solved asynchronously.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SolveAdhoc {
    /// The caller's own student profile.
    #[schemars(length(min = 1))]
    pub student_id: StudentId,
    #[schemars(length(min = 1))]
    pub problem_latex: String,
    #[serde(default)]
    pub student_steps: Option<Vec<String>>,
    #[schemars(length(min = 1))]
    pub student_final_answer: String,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub course_id: Option<CourseId>,
    /// 1–12 (default 7).
    #[serde(default)]
    #[schemars(range(min = 1, max = 12))]
    pub grade_level: Option<i64>,
}

impl Validate for SolveAdhoc {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("studentId", &self.student_id);
        p.not_blank("problemLatex", &self.problem_latex);
        p.not_blank("studentFinalAnswer", &self.student_final_answer);
        p.in_range("gradeLevel", self.grade_level, 1, 12);
        p.not_blank_if_present("courseId", self.course_id.as_deref());
    }
}

impl From<Valid<SolveAdhoc>> for innova_app::attempts::AdhocProblem {
    fn from(body: Valid<SolveAdhoc>) -> Self {
        let body = body.into_inner();
        innova_app::attempts::AdhocProblem {
            student_id: body.student_id,
            problem_latex: body.problem_latex,
            student_steps: body.student_steps.unwrap_or_default(),
            student_final_answer: body.student_final_answer,
            course_id: body.course_id,
            // Validated to 1..=12.
            grade_level: body.grade_level.unwrap_or(DEFAULT_GRADE_LEVEL) as i32,
        }
    }
}

/// The attempt to poll (`GET /attempts/{id}/status`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptAccepted {
    pub attempt_id: AttemptId,
}

// ---- POST /attempts/ocr-extract ---------------------------------------------------------------

/// Largest photo accepted by `ocr-extract`.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest `ocr-extract` body: the photo plus the multipart framing and a few text fields.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// The `multipart/form-data` form of `ocr-extract`: the photo in the file field `image`. Other
/// text fields are ignored; another file field is refused.
#[derive(Debug, JsonSchema)]
#[allow(dead_code)] // A schema only: the body is read as a stream (`crate::body::ImageUpload`).
pub struct PhotoForm {
    /// The photo: JPEG, PNG, WebP, HEIC or GIF, at most 10 MiB.
    #[schemars(schema_with = "binary_schema")]
    pub image: Vec<u8>,
}

fn binary_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some("binary".into()),
        ..Default::default()
    }
    .into()
}

/// The exercises read on a photo.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OcrResult {
    pub exercises: Vec<OcrExercise>,
}

// ---- GET /attempts/{id}/status, /detail, POST /attempts/{id}/report -------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttemptPath {
    /// The attempt id.
    pub id: AttemptId,
}

/// An attempt's classification.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptClassification {
    pub attempt_id: AttemptId,
    pub status: AttemptStatus,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    /// `null` when the tag has no name.
    pub error_tag_name: Option<String>,
    pub classifier_source: ClassifierSource,
    pub confidence: Option<f64>,
}

impl From<&innova_app::attempts::AttemptView> for AttemptClassification {
    fn from(a: &innova_app::attempts::AttemptView) -> Self {
        AttemptClassification {
            attempt_id: a.id.clone(),
            status: a.status,
            is_correct: a.is_correct,
            error_tag_code: a.error_tag_code.clone(),
            // Decision 7: an empty name is null, on every route.
            error_tag_name: a.error_tag_name.clone().filter(|n| !n.is_empty()),
            classifier_source: a.classifier_source,
            confidence: a.confidence,
        }
    }
}

/// One step of an attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    pub step_index: i32,
    pub content_latex: String,
    pub is_correct: Option<bool>,
}

/// The photo submission behind an attempt (guide pipeline).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionView {
    /// Short-lived download URLs of the photos.
    pub photo_urls: Vec<String>,
    pub transcription_latex: Option<String>,
    pub transcription_json: Option<serde_json::Value>,
    pub transcription_confidence: Option<f64>,
}

/// An attempt with its steps and photos.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDetail {
    #[serde(flatten)]
    pub classification: AttemptClassification,
    pub steps: Vec<StepView>,
    pub submission: Option<SubmissionView>,
}

impl AttemptDetail {
    pub fn new(
        attempt: &innova_app::attempts::AttemptView,
        detail: innova_app::attempts::Detail,
    ) -> Self {
        AttemptDetail {
            classification: attempt.into(),
            steps: detail
                .steps
                .into_iter()
                .map(|s| StepView {
                    step_index: s.step_index,
                    content_latex: s.content_latex,
                    is_correct: s.is_correct,
                })
                .collect(),
            submission: detail.submission.map(|s| SubmissionView {
                photo_urls: s.photo_urls,
                transcription_latex: s.transcription_latex,
                transcription_json: s.transcription_json,
                transcription_confidence: s.transcription_confidence,
            }),
        }
    }
}

/// Longest dispute comment.
pub const MAX_COMMENT_CHARS: usize = 500;

/// A disputed classification.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReportAttempt {
    /// The tag the reporter thinks is right (any status).
    #[schemars(length(min = 1))]
    pub error_tag_code: String,
    /// At most 500 characters.
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub comment: Option<String>,
}

impl Validate for ReportAttempt {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("errorTagCode", &self.error_tag_code);
        p.code("errorTagCode", &self.error_tag_code);
        if let Some(comment) = &self.comment {
            p.chars_between("comment", comment, 0, MAX_COMMENT_CHARS);
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptReported {
    pub attempt_id: AttemptId,
    /// Always true.
    pub reported: bool,
}

impl AttemptReported {
    pub fn new(attempt_id: AttemptId) -> Self {
        AttemptReported {
            attempt_id,
            reported: true,
        }
    }
}
