//! `/alerts`: a course's unresolved teacher alerts, raising one, resolving one.

use innova_app::alerts as app;
use innova_domain::ids::{AlertId, CourseId, StudentId, TeacherId, TopicId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::{AlertSeverity, AlertType};
use crate::error::ApiError;
use crate::validate::{Problems, Valid, Validate};

// ---- GET /alerts ------------------------------------------------------------------------------

/// `?courseId=` (or the reference's alias `?classroomId=`): the course whose alerts to list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlertsQuery {
    /// The course. Required unless `classroomId` is given.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub course_id: Option<CourseId>,
    /// The course, under the name older clients use; when both are given they must be equal.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub classroom_id: Option<CourseId>,
}

impl AlertsQuery {
    /// The course named (`courseId`, or its alias `classroomId`): one of them, as [`Validate`]
    /// requires.
    pub fn course(&self) -> Result<&CourseId, ApiError> {
        self.course_id
            .as_ref()
            .or(self.classroom_id.as_ref())
            .ok_or_else(|| {
                ApiError::validation(vec![
                    "courseId is required (or its alias classroomId)".into(),
                ])
            })
    }
}

impl Validate for AlertsQuery {
    fn validate(&self, p: &mut Problems) {
        p.not_blank_if_present("courseId", self.course_id.as_deref());
        p.not_blank_if_present("classroomId", self.classroom_id.as_deref());
        match (&self.course_id, &self.classroom_id) {
            (None, None) => p.check(false, || {
                "courseId is required (or its alias classroomId)".into()
            }),
            (Some(c), Some(k)) => p.check(c == k, || {
                "classroomId must equal courseId when both are given".into()
            }),
            _ => {}
        }
    }
}

// ---- POST /alerts -----------------------------------------------------------------------------

/// An alert raised by the calling teacher.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAlert {
    /// A course the caller teaches.
    #[schemars(length(min = 1))]
    pub course_id: CourseId,
    /// Accepted for the reference's clients, never trusted: the alert's teacher is always the
    /// caller, and a `teacherId` that is not the caller's own teacher profile is refused (422).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub teacher_id: Option<TeacherId>,
    /// A topic of the course's curriculum.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub topic_id: Option<TopicId>,
    /// A student with an ACTIVE enrollment in the course.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub student_id: Option<StudentId>,
    pub alert_type: AlertType,
    /// Default `MED`.
    #[serde(default)]
    pub severity: Option<AlertSeverity>,
    /// Free-form details (default `{}`).
    #[serde(default)]
    pub payload: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Validate for CreateAlert {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("courseId", &self.course_id);
        p.not_blank_if_present("teacherId", self.teacher_id.as_deref());
        p.not_blank_if_present("topicId", self.topic_id.as_deref());
        p.not_blank_if_present("studentId", self.student_id.as_deref());
    }
}

/// The use case's input (the alert's teacher is the caller; a `teacherId` naming another is
/// refused by the use case).
impl From<Valid<CreateAlert>> for app::NewAlert {
    fn from(alert: Valid<CreateAlert>) -> Self {
        let alert = alert.into_inner();
        app::NewAlert {
            teacher_id: alert.teacher_id,
            course_id: alert.course_id,
            topic_id: alert.topic_id,
            student_id: alert.student_id,
            alert_type: alert.alert_type,
            severity: alert.severity.unwrap_or_default(),
            payload: serde_json::Value::Object(alert.payload.unwrap_or_default()),
        }
    }
}

// ---- PATCH /alerts/{id}/resolve ---------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AlertPath {
    /// The alert id.
    pub id: AlertId,
}

// ---- responses --------------------------------------------------------------------------------

/// A teacher alert.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    pub id: AlertId,
    /// The teacher the alert is for.
    pub teacher_id: TeacherId,
    pub course_id: CourseId,
    pub topic_id: Option<TopicId>,
    pub student_id: Option<StudentId>,
    pub alert_type: AlertType,
    pub severity: AlertSeverity,
    /// Free-form details (an object) with a `message`, in camelCase fields; an alert the AI
    /// engine raised reads the same (its snake_case fields renamed, its `dedup_ref` left out).
    pub payload: serde_json::Value,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC; `null` while unresolved.
    pub resolved_at: Option<String>,
    /// The user id of whoever resolved it; `null` while unresolved (and for alerts resolved by
    /// the reference, which did not record it).
    pub resolved_by: Option<String>,
}

impl From<app::AlertRow> for AlertView {
    fn from(r: app::AlertRow) -> Self {
        AlertView {
            id: r.id,
            teacher_id: r.teacher_id,
            course_id: r.course_id,
            topic_id: r.topic_id,
            student_id: r.student_id,
            alert_type: r.alert_type,
            severity: r.severity,
            // An engine-raised alert reads as ours (camelCase fields, a message; decision 25).
            payload: innova_domain::alerts::normalize_payload(r.alert_type, r.payload),
            created_at: iso(r.created_at),
            resolved_at: r.resolved_at.map(iso),
            resolved_by: r.resolved_by,
        }
    }
}
