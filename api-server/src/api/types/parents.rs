//! `/parent`: a parent's children (confirmed links only) and a child's summary — bands, never
//! numbers; no photos, no attempt steps.

use innova_app::parents as app;
use innova_domain::ids::{AlertId, GuideId, StudentId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::{AlertSeverity, AlertType, GuideStatus, MasteryBand};

/// A child of the calling parent: the row, whose JSON is the wire's.
pub use app::ChildRow as Child;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildPath {
    /// The child's student id.
    pub student_id: StudentId,
}

/// Who the summary is about.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildIdentity {
    pub id: StudentId,
    pub display_name: String,
}

/// How the child stands in a unit of their curriculum.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitStanding {
    pub unit_id: String,
    pub code: String,
    pub name: String,
    /// From the mean estimate over the unit's topics: `high` (≥ 0.7), `mid` (≥ 0.4), `low`.
    pub band: MasteryBand,
}

/// A published guide of one of the child's courses.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildGuide {
    pub id: GuideId,
    pub title: String,
    /// `PUBLISHED`.
    pub status: GuideStatus,
    /// ISO-8601 UTC, or `null`.
    pub due_at: Option<String>,
    /// Approved questions the child has a graded submission for.
    pub graded_questions: i64,
    /// Approved questions.
    pub total_questions: i64,
}

/// An open alert about the child.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildAlert {
    pub id: AlertId,
    pub severity: AlertSeverity,
    pub alert_type: AlertType,
    /// ISO-8601 UTC.
    pub created_at: String,
}

/// A child's summary for a parent.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildSummary {
    pub student: ChildIdentity,
    /// The units of the child's curriculum, in teaching order.
    pub units: Vec<UnitStanding>,
    /// Up to 8, most recently published first.
    pub recent_guides: Vec<ChildGuide>,
    /// Up to 5 unresolved, newest first.
    pub alerts: Vec<ChildAlert>,
}

impl From<app::ChildSummary> for ChildSummary {
    fn from(s: app::ChildSummary) -> Self {
        ChildSummary {
            student: ChildIdentity {
                id: s.student_id,
                display_name: s.display_name,
            },
            units: s
                .units
                .into_iter()
                .map(|u| UnitStanding {
                    unit_id: u.unit_id,
                    code: u.code,
                    name: u.name,
                    band: u.band,
                })
                .collect(),
            recent_guides: s
                .recent_guides
                .into_iter()
                .map(|g| ChildGuide {
                    id: g.id,
                    title: g.title,
                    status: g.status,
                    due_at: g.due_at.map(iso),
                    graded_questions: g.graded_questions,
                    total_questions: g.total_questions,
                })
                .collect(),
            alerts: s
                .alerts
                .into_iter()
                .map(|a| ChildAlert {
                    id: a.id,
                    severity: a.severity,
                    alert_type: a.alert_type,
                    created_at: iso(a.created_at),
                })
                .collect(),
        }
    }
}
