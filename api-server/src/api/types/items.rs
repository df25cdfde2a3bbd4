//! `/items`: the exercise bank — writing an item, the list and one item as the bank shows them,
//! an item's IRT parameters, and AI generation queued for the AI engine.

use innova_app::items as app;
use innova_domain::ids::{ExerciseId, TeacherId, TopicId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::{Difficulty, ExerciseSource, ExerciseStatus};
use crate::validate::{Problems, Valid, Validate};

/// Longest id, code or topic key accepted.
const MAX_KEY: usize = 200;
/// Longest prompt accepted.
pub const MAX_PROMPT: usize = 10_000;

// ---- POST /items ------------------------------------------------------------------------------

/// The content of a written item: its prompt only.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemContentInput {
    /// The statement shown to the student (not blank).
    #[schemars(length(min = 1, max = 10000))]
    pub prompt: String,
}

/// An exercise written by a teacher or an admin.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateItem {
    /// The topic's id (a `Topic`, called a skill here).
    #[schemars(length(min = 1, max = 200))]
    pub skill_id: TopicId,
    pub content: ItemContentInput,
    /// Discrimination `a` of the 2PL model: positive, at most 5 (items near 0 tell students
    /// apart no better than chance).
    #[schemars(range(min = 0.1, max = 5.0))]
    pub irt_a: f64,
    /// Difficulty `b` of the 2PL model, on the ability scale: −6 to 6.
    #[schemars(range(min = -6.0, max = 6.0))]
    pub irt_b: f64,
}

/// The range of a written item's discrimination `a`.
pub const IRT_A: (f64, f64) = (0.1, 5.0);
/// The range of a written item's difficulty `b`.
pub const IRT_B: (f64, f64) = (-6.0, 6.0);

impl Validate for CreateItem {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("skillId", &self.skill_id);
        p.chars_between("skillId", &self.skill_id, 0, MAX_KEY);
        p.not_blank("content.prompt", &self.content.prompt);
        p.chars_between("content.prompt", &self.content.prompt, 0, MAX_PROMPT);
        p.number_between("irtA", self.irt_a, IRT_A.0, IRT_A.1);
        p.number_between("irtB", self.irt_b, IRT_B.0, IRT_B.1);
    }
}

/// The use case's input (its author is the caller, set by the use case).
impl From<Valid<CreateItem>> for app::NewItem {
    fn from(item: Valid<CreateItem>) -> Self {
        let item = item.into_inner();
        app::NewItem {
            topic_id: item.skill_id,
            prompt: item.content.prompt,
            irt_a: item.irt_a,
            irt_b: item.irt_b,
            created_by_teacher_id: None,
        }
    }
}

/// A stored exercise, as the database has it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Exercise {
    pub id: ExerciseId,
    pub topic_id: TopicId,
    pub source: ExerciseSource,
    /// The author's teacher profile, when a teacher wrote it.
    pub created_by_teacher_id: Option<TeacherId>,
    /// Free-form: `{prompt, expectedAnswer?}` for bank items, `{statement_latex, figures,
    /// final_answer}` for guide questions.
    pub content: serde_json::Value,
    /// `es`.
    pub language: String,
    pub irt_a: f64,
    pub irt_b: f64,
    /// ISO-8601 UTC; `null` until calibrated.
    pub irt_calibrated_at: Option<String>,
    pub status: ExerciseStatus,
    /// ISO-8601 UTC.
    pub created_at: String,
}

impl From<app::ExerciseRow> for Exercise {
    fn from(x: app::ExerciseRow) -> Self {
        Exercise {
            id: x.id,
            topic_id: x.topic_id,
            source: x.source,
            created_by_teacher_id: x.created_by_teacher_id,
            content: x.content,
            language: x.language,
            irt_a: x.irt_a,
            irt_b: x.irt_b,
            irt_calibrated_at: x.irt_calibrated_at.map(iso),
            status: x.status,
            created_at: iso(x.created_at),
        }
    }
}

// ---- GET /items -------------------------------------------------------------------------------

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 32;
/// Most items per page.
pub const MAX_LIMIT: u32 = 100;

/// `?skillKey=&topic=&limit=&page=`: which ACTIVE items, and which page of them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ItemsQuery {
    /// Only items of topics with this code (e.g. `SUB`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub skill_key: Option<String>,
    /// The same filter under its other name; ignored when `skillKey` is given.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub topic: Option<String>,
    /// Items per page, 1–100 (default 32).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// 1-based page of `limit` items (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
}

impl Validate for ItemsQuery {
    fn validate(&self, p: &mut Problems) {
        for (field, value) in [("skillKey", &self.skill_key), ("topic", &self.topic)] {
            if let Some(value) = value {
                p.not_blank(field, value);
                p.chars_between(field, value, 0, MAX_KEY);
            }
        }
        p.in_range("limit", self.limit.map(i64::from), 1, i64::from(MAX_LIMIT));
        p.in_range("page", self.page.map(i64::from), 1, 100_000);
    }
}

impl ItemsQuery {
    /// The use case's filter, with the defaults applied.
    pub fn filter(&self) -> app::ItemFilter {
        let limit = i64::from(self.limit.unwrap_or(DEFAULT_LIMIT));
        let page = i64::from(self.page.unwrap_or(1).max(1));
        app::ItemFilter {
            topic_code: self.skill_key.clone().or_else(|| self.topic.clone()),
            limit,
            offset: (page - 1) * limit,
        }
    }
}

/// An item's content as the bank shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemContent {
    /// The prompt, or a guide question's LaTeX statement, or `""`.
    pub prompt: String,
    /// The same as `prompt` (older clients read this name).
    pub problem: String,
    /// The numeric answer, when the item has one.
    pub expected_answer: Option<f64>,
    /// The answer in LaTeX, when the item has one.
    #[serde(rename = "correct_answer_latex")]
    pub correct_answer_latex: Option<String>,
}

/// An item as the bank shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: ExerciseId,
    pub topic_id: TopicId,
    pub topic_code: String,
    pub topic_name: String,
    pub content: ItemContent,
    /// From `irtB`: `easy` at −0.4 or less, `hard` at 0.7 or more, else `medium`.
    pub difficulty: Difficulty,
    pub irt_a: f64,
    pub irt_b: f64,
    pub source: ExerciseSource,
    /// ISO-8601 UTC.
    pub created_at: String,
}

impl From<app::ItemView> for ItemView {
    fn from(v: app::ItemView) -> Self {
        let x = v.exercise;
        ItemView {
            id: x.id,
            topic_id: x.topic_id,
            topic_code: v.topic_code,
            topic_name: v.topic_name,
            content: ItemContent {
                problem: v.prompt.clone(),
                prompt: v.prompt,
                expected_answer: v.expected_answer,
                correct_answer_latex: v.correct_answer_latex,
            },
            difficulty: v.difficulty,
            irt_a: x.irt_a,
            irt_b: x.irt_b,
            source: x.source,
            created_at: iso(x.created_at),
        }
    }
}

// ---- GET /items/{id}, /items/{id}/irt ---------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemPath {
    /// The exercise id.
    pub id: ExerciseId,
}

/// An item's 2PL parameters: the use case's type, whose JSON is the wire's.
pub use app::IrtParams as ItemIrt;

// ---- POST /items/generate ---------------------------------------------------------------------

/// Most target error codes in one request.
pub const MAX_TARGET_CODES: usize = 50;

/// Exercises to be written by the AI engine.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateItems {
    /// A subdomain's code, bare (`SUB`, not `ARITH_SUB`).
    #[schemars(length(min = 1, max = 200))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub subdomain_code: String,
    /// School grade, 1–12.
    #[schemars(range(min = 1, max = 12))]
    pub grade_level: i64,
    /// Codes of the error tags the exercises should provoke: 1–50, each an existing tag's code.
    #[schemars(length(min = 1, max = 50))]
    #[schemars(inner(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$")))]
    pub target_error_codes: Vec<String>,
    /// How many exercises, 1–10.
    #[schemars(range(min = 1, max = 10))]
    pub count: i64,
}

impl Validate for GenerateItems {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("subdomainCode", &self.subdomain_code);
        p.chars_between("subdomainCode", &self.subdomain_code, 0, MAX_KEY);
        p.code("subdomainCode", &self.subdomain_code);
        p.in_range("gradeLevel", Some(self.grade_level), 1, 12);
        p.check(
            (1..=MAX_TARGET_CODES).contains(&self.target_error_codes.len()),
            || format!("targetErrorCodes must name 1 to {MAX_TARGET_CODES} error codes"),
        );
        for (i, code) in self.target_error_codes.iter().enumerate() {
            p.not_blank(&format!("targetErrorCodes.{i}"), code);
            p.chars_between(&format!("targetErrorCodes.{i}"), code, 0, MAX_KEY);
            p.code(&format!("targetErrorCodes.{i}"), code);
        }
        p.in_range("count", Some(self.count), 1, 10);
    }
}

impl From<Valid<GenerateItems>> for app::GenerationRequest {
    /// After [`Validate`]: the numbers are in range, so they fit.
    fn from(body: Valid<GenerateItems>) -> Self {
        let body = body.into_inner();
        app::GenerationRequest {
            subdomain_code: body.subdomain_code,
            grade_level: body.grade_level.clamp(1, 12) as i32,
            target_error_codes: body.target_error_codes,
            count: body.count.clamp(1, 10) as i32,
        }
    }
}

/// The generation was queued: the use case's, whose JSON is the wire's.
pub use app::GenerationQueued;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validated;

    #[test]
    fn the_list_query_has_defaults_and_pages() {
        let q = |skill_key: Option<&str>, topic: Option<&str>, limit, page| ItemsQuery {
            skill_key: skill_key.map(Into::into),
            topic: topic.map(Into::into),
            limit,
            page,
        };
        let f = q(None, Some("SUB"), None, None).filter();
        assert_eq!(
            (f.topic_code.as_deref(), f.limit, f.offset),
            (Some("SUB"), 32, 0)
        );
        let f = q(Some("ADD"), Some("SUB"), Some(10), Some(3)).filter();
        assert_eq!(
            (f.topic_code.as_deref(), f.limit, f.offset),
            (Some("ADD"), 10, 20)
        );
        assert!(validated(q(None, None, Some(0), None)).is_err());
        assert!(validated(q(None, None, Some(101), None)).is_err());
        assert!(validated(q(Some(" "), None, None, None)).is_err());
        assert!(validated(q(None, None, None, Some(0))).is_err());
    }

    #[test]
    fn a_generation_request_is_checked_field_by_field() {
        let body = |codes: Vec<&str>, grade, count| GenerateItems {
            subdomain_code: "SUB".into(),
            grade_level: grade,
            target_error_codes: codes.into_iter().map(Into::into).collect(),
            count,
        };
        assert!(validated(body(vec!["A"], 1, 10)).is_ok());
        let e = validated(body(vec![], 13, 0)).unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "gradeLevel must be an integer from 1 to 12".into(),
                "targetErrorCodes must name 1 to 50 error codes".into(),
                "count must be an integer from 1 to 10".into(),
            ])
        );
        let e = validated(body(vec!["A", ""], 5, 2)).unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "targetErrorCodes.1 should not be empty".into()
            ])
        );
    }
}
