//! What a parent sees: their children (confirmed links only) and a child's summary — bands per
//! unit instead of numbers, the recent guides of the child's courses, the child's open alerts.
//! Never photos, attempt steps or raw estimates.

use innova_core::db::parents::{self as repo, ChildAlertRow, ChildGuideRow};
use innova_core::db::users;
use innova_domain::bands::{Band, TopicEstimate, unit_band};
use innova_domain::ids::StudentId;

pub use innova_core::db::parents::ChildRow;

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// Guides in a summary, at most (the reference's 8).
pub const RECENT_GUIDES: i64 = 8;
/// Alerts in a summary, at most (the reference's 5).
pub const OPEN_ALERTS: i64 = 5;

/// The parent's children through confirmed links, by name.
pub async fn children(app: &App, permit: &Permit<op::ParentChildren>) -> AppResult<Vec<ChildRow>> {
    let parent_id = permit.caller()?.parent_id()?;
    Ok(repo::confirmed_children(&app.db, parent_id).await?)
}

/// A unit of the child's curriculum and how the child stands in it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitBand {
    pub unit_id: String,
    pub code: String,
    pub name: String,
    pub band: Band,
}

/// A child's summary for a parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildSummary {
    pub student_id: StudentId,
    pub display_name: String,
    /// In unit order (sequence, code).
    pub units: Vec<UnitBand>,
    pub recent_guides: Vec<ChildGuideRow>,
    pub alerts: Vec<ChildAlertRow>,
}

/// The summary of a child (the caller has checked the parent's confirmed link): per unit of the
/// child's curriculum, the band of the mean pKnown over its topics (the topic's prior where the
/// child has no estimate); the last [`RECENT_GUIDES`] published guides of the child's courses
/// with the child's progress; the newest [`OPEN_ALERTS`] unresolved alerts about the child. An
/// unknown or deleted student is [`AppError::NotFound`] `Student not found`.
pub async fn child_summary(
    app: &App,
    permit: &Permit<op::ParentChild>,
    student_id: &StudentId,
) -> AppResult<ChildSummary> {
    let not_linked = "This child is not linked to your account";
    permit
        .require_with(&app.db, Target::student(student_id), not_linked)
        .await?;
    let student = users::student_by_id(&app.db, student_id)
        .await?
        .filter(|s| s.deleted_at.is_none())
        .ok_or_else(|| AppError::NotFound("Student not found".into()))?;
    let estimates = repo::curriculum_estimates(&app.db, student_id).await?;
    let recent_guides = repo::recent_guides(&app.db, student_id, RECENT_GUIDES).await?;
    let alerts = repo::open_alerts(&app.db, student_id, OPEN_ALERTS).await?;
    Ok(ChildSummary {
        student_id: student.id,
        display_name: student.display_name,
        units: bands(&estimates),
        recent_guides,
        alerts,
    })
}

/// Groups the rows (already in unit order, topics in code order) by unit and bands each.
fn bands(rows: &[repo::UnitTopicRow]) -> Vec<UnitBand> {
    let mut units = Vec::new();
    for group in rows.chunk_by(|a, b| a.unit_id == b.unit_id) {
        let topics: Vec<TopicEstimate> = group
            .iter()
            .map(|r| TopicEstimate {
                p_known: r.p_known,
                prior: r.prior,
            })
            .collect();
        if let Some(band) = unit_band(&topics) {
            let first = &group[0];
            units.push(UnitBand {
                unit_id: first.unit_id.clone(),
                code: first.unit_code.clone(),
                name: first.unit_name.clone(),
                band,
            });
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, topic: &str, p_known: Option<f64>) -> repo::UnitTopicRow {
        repo::UnitTopicRow {
            unit_id: unit.into(),
            unit_code: format!("{unit}-code"),
            unit_name: format!("{unit} name"),
            topic_id: topic.into(),
            p_known,
            prior: 0.3,
        }
    }

    #[test]
    fn rows_group_into_banded_units_in_order() {
        let rows = [
            row("u2", "a", Some(0.9)),
            row("u2", "b", Some(0.8)),
            row("u1", "c", None),
            row("u1", "d", Some(0.5)),
        ];
        let units = bands(&rows);
        let got: Vec<(&str, &str, Band)> = units
            .iter()
            .map(|u| (u.unit_id.as_str(), u.code.as_str(), u.band))
            .collect();
        assert_eq!(
            got,
            [("u2", "u2-code", Band::High), ("u1", "u1-code", Band::Mid)]
        );
        assert!(bands(&[]).is_empty());
    }
}
