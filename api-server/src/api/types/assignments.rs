//! `/assignments`: a teacher's assignment for a course or for named students, the recommended
//! assignment, and a student's assignments.

use chrono::NaiveDateTime;
use innova_app::assignments as app;
use innova_domain::ids::{AssignmentId, CourseId, ExerciseId, StudentId, TeacherId, TopicId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::{
    AssignmentKind, AssignmentReason, AssignmentTargetStatus, ExerciseSource, ExerciseStatus,
};
use super::items::Exercise;
use super::skills::Topic;
use crate::validate::{Problems, Valid, Validate};

/// Longest id or title accepted.
const MAX_TEXT: usize = 200;
/// Most students or exercises one assignment names.
pub const MAX_LIST: usize = 200;

/// The shape of a due date, stated in the contract so a client (or a fuzzer) can tell a valid
/// one: what [`parse_due_at`] reads, with ASCII digits only (`\d` would take any Unicode digit
/// in some regex engines). A calendar-impossible day (`2026-02-30`) fits the shape and is still
/// refused, with the same 400.
pub const DUE_AT_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\
     ([Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?\
     ([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$";

/// A due date: an RFC 3339 date-time with its offset (`2026-05-02T12:00:00.000Z`,
/// `2026-05-02T09:00:00-03:00`) or a bare date (`2026-05-02`, midnight UTC, as JavaScript's
/// `Date` reads it); stored as UTC.
pub fn parse_due_at(s: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        // chrono also takes padded fields (` 2026-05-02`, `2026- 5-02`): only `YYYY-MM-DD`.
        .filter(|d| d.format("%Y-%m-%d").to_string() == s)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// The message for a `dueAt` that does not parse.
pub fn check_due_at(p: &mut Problems, due_at: Option<&str>) {
    if let Some(due_at) = due_at {
        p.check(parse_due_at(due_at).is_some(), || {
            "dueAt must be an ISO-8601 date-time with an offset (2026-05-02T12:00:00Z) or a date \
             (2026-05-02)"
                .into()
        });
    }
}

/// Ids of a list: each not blank, at most [`MAX_TEXT`] characters, at most [`MAX_LIST`] of them.
pub fn check_ids<T: AsRef<str>>(p: &mut Problems, field: &str, ids: &[T]) {
    p.check(ids.len() <= MAX_LIST, || {
        format!("{field} must name at most {MAX_LIST} ids")
    });
    for (i, id) in ids.iter().enumerate() {
        p.not_blank(&format!("{field}.{i}"), id.as_ref());
        p.chars_between(&format!("{field}.{i}"), id.as_ref(), 0, MAX_TEXT);
    }
}

fn check_no_duplicates<T: PartialEq + std::fmt::Display>(p: &mut Problems, field: &str, ids: &[T]) {
    let twice = ids
        .iter()
        .enumerate()
        .find(|(i, id)| ids[..*i].contains(id))
        .map(|(_, id)| id);
    if let Some(id) = twice {
        p.check(false, || {
            format!("{field} must not name a student twice ({id})")
        });
    }
}

// ---- POST /assignments ------------------------------------------------------------------------

/// An assignment: for a course the caller teaches (its targets, if any, ACTIVE in it), or for
/// students the caller teaches.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAssignment {
    /// The course. Required unless `studentIds` names someone.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub course_id: Option<CourseId>,
    /// The students it is addressed to, each once (at most 200). Without a course, each must be
    /// a student of the caller; with one, ACTIVE in it.
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub student_ids: Option<Vec<StudentId>>,
    /// The exercises, in order (may be empty, may repeat one; at most 200).
    #[schemars(length(max = 200))]
    pub exercise_ids: Vec<ExerciseId>,
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    pub reason: AssignmentReason,
    /// ISO-8601: a date-time with its offset, or a date (midnight UTC).
    #[serde(default)]
    #[schemars(length(min = 1, max = 40), regex = "DUE_AT_PATTERN")]
    pub due_at: Option<String>,
}

impl CreateAssignment {
    /// The target students named (none when absent).
    pub fn students(&self) -> &[StudentId] {
        self.student_ids.as_deref().unwrap_or_default()
    }
}

impl Validate for CreateAssignment {
    fn validate(&self, p: &mut Problems) {
        if let Some(course) = &self.course_id {
            p.not_blank("courseId", course);
            p.chars_between("courseId", course, 0, MAX_TEXT);
        }
        p.check(
            self.course_id.is_some() || !self.students().is_empty(),
            || {
                "courseId or studentIds is required: an assignment is for a course or for students"
                    .into()
            },
        );
        check_ids(p, "studentIds", self.students());
        check_no_duplicates(p, "studentIds", self.students());
        check_ids(p, "exerciseIds", &self.exercise_ids);
        p.not_blank("title", &self.title);
        p.chars_between("title", &self.title, 0, MAX_TEXT);
        check_due_at(p, self.due_at.as_deref());
    }
}

impl From<Valid<CreateAssignment>> for app::NewAssignment {
    fn from(body: Valid<CreateAssignment>) -> Self {
        let body = body.into_inner();
        app::NewAssignment {
            due_at: body.due_at.as_deref().and_then(parse_due_at),
            course_id: body.course_id,
            student_ids: body.student_ids.unwrap_or_default(),
            exercise_ids: body.exercise_ids,
            title: body.title,
            reason: body.reason,
        }
    }
}

/// One exercise of an assignment, at its position.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentExercise {
    pub assignment_id: AssignmentId,
    pub exercise_id: ExerciseId,
    /// 0, 1, 2… in the order given.
    pub sequence: i32,
    pub exercise: Exercise,
}

/// A student an assignment is addressed to: the row, whose JSON is the wire's.
pub use app::TargetRow as AssignmentTarget;

/// An assignment with its exercises and targets.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentDetail {
    pub id: AssignmentId,
    /// `null`: addressed to its targets only.
    pub course_id: Option<CourseId>,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    pub reason: AssignmentReason,
    pub kind: AssignmentKind,
    /// ISO-8601 UTC.
    pub due_at: Option<String>,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// In sequence.
    pub assignment_exercises: Vec<AssignmentExercise>,
    /// In the order named.
    pub targets: Vec<AssignmentTarget>,
}

impl From<app::AssignmentDetail> for AssignmentDetail {
    fn from(d: app::AssignmentDetail) -> Self {
        let a = d.assignment;
        AssignmentDetail {
            id: a.id,
            course_id: a.course_id,
            created_by_teacher_id: a.created_by_teacher_id,
            title: a.title,
            reason: a.reason,
            kind: a.kind,
            due_at: a.due_at.map(iso),
            created_at: iso(a.created_at),
            assignment_exercises: d
                .exercises
                .into_iter()
                .map(|(s, x)| AssignmentExercise {
                    assignment_id: s.assignment_id,
                    exercise_id: s.exercise_id,
                    sequence: s.sequence,
                    exercise: x.into(),
                })
                .collect(),
            targets: d.targets,
        }
    }
}

// ---- POST /assignments/recommend ----------------------------------------------------------------

/// `?studentId=&topicId=`: whom to recommend for, optionally within one topic.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecommendAssignmentQuery {
    /// A student of the caller.
    #[schemars(length(min = 1, max = 200))]
    pub student_id: StudentId,
    /// Only this topic (a topic with prerequisites is then always skipped, as in the reference).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub topic_id: Option<TopicId>,
}

impl Validate for RecommendAssignmentQuery {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("studentId", &self.student_id);
        p.chars_between("studentId", &self.student_id, 0, MAX_TEXT);
        if let Some(topic) = &self.topic_id {
            p.not_blank("topicId", topic);
            p.chars_between("topicId", topic, 0, MAX_TEXT);
        }
    }
}

// ---- GET /assignments/student/{id} --------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AssignmentStudentPath {
    /// The student id.
    pub id: StudentId,
}

/// A stored exercise with its topic.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignedExerciseDetail {
    pub id: ExerciseId,
    pub topic_id: TopicId,
    pub source: ExerciseSource,
    pub created_by_teacher_id: Option<TeacherId>,
    /// Free-form JSON.
    pub content: serde_json::Value,
    pub language: String,
    pub irt_a: f64,
    pub irt_b: f64,
    pub irt_calibrated_at: Option<String>,
    pub status: ExerciseStatus,
    pub created_at: String,
    pub topic: Topic,
}

/// One exercise of a student's assignment.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignedExercise {
    pub assignment_id: AssignmentId,
    pub exercise_id: ExerciseId,
    pub sequence: i32,
    pub exercise: AssignedExerciseDetail,
}

impl From<app::AssignedExercise> for AssignedExercise {
    fn from(a: app::AssignedExercise) -> Self {
        let x = a.exercise;
        AssignedExercise {
            assignment_id: a.position.assignment_id,
            exercise_id: a.position.exercise_id,
            sequence: a.position.sequence,
            exercise: AssignedExerciseDetail {
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
                topic: a.topic.into(),
            },
        }
    }
}

/// An assignment as a student's list shows it: its exercises, no targets.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentAssignmentDetail {
    pub id: AssignmentId,
    pub course_id: Option<CourseId>,
    pub created_by_teacher_id: TeacherId,
    pub title: String,
    pub reason: AssignmentReason,
    pub kind: AssignmentKind,
    pub due_at: Option<String>,
    pub created_at: String,
    /// In sequence.
    pub assignment_exercises: Vec<AssignedExercise>,
}

/// An assignment addressed to the student, with the student's status on it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentAssignment {
    pub assignment_id: AssignmentId,
    pub student_id: StudentId,
    pub status: AssignmentTargetStatus,
    pub assignment: StudentAssignmentDetail,
}

impl From<app::StudentAssignment> for StudentAssignment {
    fn from(s: app::StudentAssignment) -> Self {
        let a = s.target.assignment;
        StudentAssignment {
            assignment_id: a.id.clone(),
            student_id: s.target.student_id,
            status: s.target.status,
            assignment: StudentAssignmentDetail {
                id: a.id,
                course_id: a.course_id,
                created_by_teacher_id: a.created_by_teacher_id,
                title: a.title,
                reason: a.reason,
                kind: a.kind,
                due_at: a.due_at.map(iso),
                created_at: iso(a.created_at),
                assignment_exercises: s.exercises.into_iter().map(Into::into).collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validated;

    #[test]
    fn due_dates_are_rfc3339_with_an_offset_or_a_date() {
        let at = |s: &str| parse_due_at(s).map(iso);
        assert_eq!(
            at("2026-05-02T12:00:00.000Z").as_deref(),
            Some("2026-05-02T12:00:00.000Z")
        );
        assert_eq!(
            at("2026-05-02T09:00:00-03:00").as_deref(),
            Some("2026-05-02T12:00:00.000Z")
        );
        assert_eq!(
            at("2026-05-02").as_deref(),
            Some("2026-05-02T00:00:00.000Z")
        );
        for bad in ["2026-05-02T12:00:00", "tomorrow", "2026-13-01", ""] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    /// The contract's pattern and the parser agree: what fits the pattern parses (calendar-
    /// impossible days aside), and what the parser refuses for its shape does not fit it.
    #[test]
    fn the_due_date_pattern_states_what_the_parser_reads() {
        let pattern = regex::Regex::new(DUE_AT_PATTERN).unwrap();
        for good in [
            "2026-05-02",
            "2026-05-02T12:00:00Z",
            "2026-05-02T12:00:00.000Z",
            "2026-05-02T09:00:00.123456789-03:00",
            "2026-05-02t23:59:59z",
            "2026-05-02 00:00:00+14:00",
            "0000-01-01",
        ] {
            assert!(pattern.is_match(good), "pattern refuses {good}");
            assert!(parse_due_at(good).is_some(), "parser refuses {good}");
        }
        for bad in [
            "0",
            "",
            "2026-05-02T12:00:00",
            "2026-13-01",
            "2026-05-00",
            "2026-05-02T24:00:00Z",
            "2026-05-02T12:00Z",
            "2026-05-02T12:00:00+0300",
            "2026-05-02\n",
            "٢٠٢٦-05-02",
            " 2026-05-02",
            "2026- 5-02",
            " 2026-05-02T12:00:00Z",
            "2026-05-02T12:00:00Z ",
        ] {
            assert!(!pattern.is_match(bad), "pattern takes {bad:?}");
            assert!(parse_due_at(bad).is_none(), "parser takes {bad:?}");
        }
    }

    fn body(course: Option<&str>, students: Option<Vec<&str>>) -> CreateAssignment {
        CreateAssignment {
            course_id: course.map(Into::into),
            student_ids: students.map(|s| s.into_iter().map(Into::into).collect()),
            exercise_ids: vec!["x".into()],
            title: "Tarea".into(),
            reason: AssignmentReason::TeacherManual,
            due_at: None,
        }
    }

    #[test]
    fn an_assignment_names_a_course_or_students_each_once() {
        assert!(validated(body(Some("c"), None)).is_ok());
        assert!(validated(body(None, Some(vec!["s1", "s2"]))).is_ok());
        let messages = |b| match validated(b).unwrap_err().message() {
            crate::error::ErrorMessage::Many(m) => m.clone(),
            other => panic!("{other:?}"),
        };
        assert!(messages(body(None, Some(vec![])))[0].starts_with("courseId or studentIds"));
        assert_eq!(
            messages(body(None, Some(vec!["s1", "s2", "s1"]))),
            ["studentIds must not name a student twice (s1)"]
        );
        let mut late = body(Some("c"), None);
        late.due_at = Some("someday".into());
        assert!(messages(late)[0].starts_with("dueAt must be"));
    }
}
