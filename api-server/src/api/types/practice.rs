//! `/practice`: a single-student assignment, and the next exercise by Fisher information.

use innova_app::assignments::AssignmentDetail;
use innova_app::practice as app;
use innova_domain::ids::{AssignmentId, ExerciseId, StudentId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::assignments::{DUE_AT_PATTERN, check_due_at, check_ids, parse_due_at};
use super::common::iso;
use crate::validate::{Problems, Validate};

const MAX_TEXT: usize = 200;

// ---- POST /practice/assign ------------------------------------------------------------------

/// Exercises for one student of the caller.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssignPractice {
    /// A student of the caller (ACTIVE in a course they teach).
    #[schemars(length(min = 1, max = 200))]
    pub student_id: StudentId,
    /// The exercises, in order (at most 200; may be empty, may repeat one).
    #[schemars(length(max = 200))]
    pub item_ids: Vec<ExerciseId>,
    /// ISO-8601: a date-time with its offset, or a date (midnight UTC).
    #[serde(default)]
    #[schemars(length(min = 1, max = 40), regex = "DUE_AT_PATTERN")]
    pub due_at: Option<String>,
}

impl Validate for AssignPractice {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("studentId", &self.student_id);
        p.chars_between("studentId", &self.student_id, 0, MAX_TEXT);
        check_ids(p, "itemIds", &self.item_ids);
        check_due_at(p, self.due_at.as_deref());
    }
}

impl AssignPractice {
    /// The due date (after [`Validate`], a parsable one or none).
    pub fn due_at(&self) -> Option<chrono::NaiveDateTime> {
        self.due_at.as_deref().and_then(parse_due_at)
    }
}

/// The practice assignment made.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PracticeAssigned {
    /// The assignment id.
    pub id: AssignmentId,
    pub student_id: StudentId,
    /// The exercises, in order.
    pub item_ids: Vec<ExerciseId>,
    /// ISO-8601 UTC; absent when there is no due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
}

impl PracticeAssigned {
    pub fn new(student_id: StudentId, detail: AssignmentDetail) -> Self {
        PracticeAssigned {
            id: detail.assignment.id,
            student_id,
            item_ids: detail
                .exercises
                .into_iter()
                .map(|(s, _)| s.exercise_id)
                .collect(),
            due_at: detail.assignment.due_at.map(iso),
        }
    }
}

// ---- GET /practice/recommend-next -------------------------------------------------------------

/// `?studentId=&domainId=`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecommendNextQuery {
    /// The student to recommend for.
    #[schemars(length(min = 1, max = 200))]
    pub student_id: StudentId,
    /// Only exercises whose topic is of this domain (a `domains.id`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub domain_id: Option<String>,
}

impl Validate for RecommendNextQuery {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("studentId", &self.student_id);
        p.chars_between("studentId", &self.student_id, 0, MAX_TEXT);
        if let Some(domain) = &self.domain_id {
            p.not_blank("domainId", domain);
            p.chars_between("domainId", domain, 0, MAX_TEXT);
        }
    }
}

/// The next exercise for the student.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PracticeRecommendation {
    pub exercise: innova_app::items::PickedExercise,
    /// θ of the exercise's topic: logit(clamp(pKnown, 0.05, 0.95)), pKnown 0.3 when unknown.
    pub student_theta: f64,
    /// `θ = <θ>, b = <b> → I(θ) = <information> (Fisher máx)`.
    pub reasoning: String,
}

impl From<app::PracticePick> for PracticeRecommendation {
    fn from(p: app::PracticePick) -> Self {
        PracticeRecommendation {
            exercise: p.exercise,
            student_theta: p.student_theta,
            reasoning: p.reasoning,
        }
    }
}
