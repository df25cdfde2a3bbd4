//! What a parent sees (`/parent/**`): their confirmed children, and a child's summary — the
//! estimates behind the unit bands, the recent guides of the child's courses, the child's open
//! alerts. Nothing here reads photos or attempt steps.

use chrono::NaiveDateTime;
pub use innova_domain::alerts::{AlertType, Severity};
pub use innova_domain::guides::GuideStatus;
use innova_domain::ids::{AlertId, GuideId, ParentId, StudentId, TopicId};
use sqlx::PgExecutor;

use super::DbResult;

/// A child of a parent, through a confirmed link (on the wire as it is).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Child", description = "A child of the calling parent.")]
pub struct ChildRow {
    pub student_id: StudentId,
    pub display_name: String,
    /// As stored: `PADRE`, `MADRE`, `TUTOR`…
    pub relationship: String,
}

/// One topic of a unit of the child's curriculum, with the child's estimate if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UnitTopicRow {
    pub unit_id: String,
    pub unit_code: String,
    pub unit_name: String,
    pub topic_id: TopicId,
    /// The child's pKnown; `None` without a mastery row.
    pub p_known: Option<f64>,
    /// The topic's prior `bktPL0`.
    pub prior: f64,
}

/// A published guide of one of the child's courses, with the child's progress in it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChildGuideRow {
    pub id: GuideId,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub status: GuideStatus,
    pub due_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    /// APPROVED questions with at least one GRADED submission of the child.
    pub graded_questions: i64,
    /// APPROVED questions.
    pub total_questions: i64,
}

/// An unresolved alert about the child.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChildAlertRow {
    pub id: AlertId,
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    #[sqlx(try_from = "String")]
    pub alert_type: AlertType,
    pub created_at: NaiveDateTime,
}

/// The children a parent has a **confirmed** link to (students not deleted), by name.
pub async fn confirmed_children(
    exec: impl PgExecutor<'_>,
    parent_id: &ParentId,
) -> DbResult<Vec<ChildRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id AS student_id, s.display_name, pl.relationship
         FROM parent_links pl JOIN students s ON s.id = pl.student_id
         WHERE pl.parent_id = $1 AND pl.confirmed_at IS NOT NULL AND s.deleted_at IS NULL
         ORDER BY s.display_name, s.id",
    )
    .bind(parent_id)
    .fetch_all(exec)
    .await?)
}

/// The topics of the child's curriculum — the units of every curriculum of the subject and
/// country of a course the child has an ACTIVE enrollment in — with the child's estimates, in
/// unit order (sequence, code) and, within a unit, topic-code order. Empty for a child in no
/// course. (The reference banded every topic of the database, whatever the child studies.)
pub async fn curriculum_estimates(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<UnitTopicRow>> {
    Ok(sqlx::query_as(
        "WITH child_curricula AS (
             SELECT DISTINCT cu.id
             FROM enrollments e
             JOIN courses c ON c.id = e.course_id
             JOIN schools sc ON sc.id = c.school_id
             JOIN organizations o ON o.id = sc.organization_id
             JOIN curricula cu ON cu.subject_id = c.subject_id AND cu.country = o.country
             WHERE e.student_id = $1 AND e.status = 'ACTIVE'
         )
         SELECT u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, t.id AS topic_id,
                m.p_known, t.bkt_p_l0 AS prior
         FROM units u
         JOIN topics t ON t.unit_id = u.id
         LEFT JOIN student_topic_mastery m ON m.topic_id = t.id AND m.student_id = $1
         WHERE u.curriculum_id IN (SELECT id FROM child_curricula)
         ORDER BY u.sequence, u.code, u.id, t.code, t.id",
    )
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// Up to `limit` PUBLISHED guides of the courses the child has an ACTIVE enrollment in, most
/// recently published first, with the child's graded and the total APPROVED questions.
pub async fn recent_guides(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    limit: i64,
) -> DbResult<Vec<ChildGuideRow>> {
    Ok(sqlx::query_as(
        "SELECT g.id, g.title, g.status::text AS status, g.due_at, g.published_at,
                count(q.id) FILTER (WHERE EXISTS (
                    SELECT 1 FROM guide_submissions s
                    WHERE s.guide_question_id = q.id AND s.student_id = $1
                      AND s.status = 'GRADED')) AS graded_questions,
                count(q.id) AS total_questions
         FROM guides g
         LEFT JOIN guide_questions q ON q.guide_id = g.id AND q.status = 'APPROVED'
         WHERE g.status = 'PUBLISHED'
           AND g.course_id IN (SELECT course_id FROM enrollments
                               WHERE student_id = $1 AND status = 'ACTIVE')
         GROUP BY g.id
         ORDER BY g.published_at DESC NULLS LAST, g.id
         LIMIT $2",
    )
    .bind(student_id)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// Up to `limit` unresolved alerts about the child, newest first.
pub async fn open_alerts(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    limit: i64,
) -> DbResult<Vec<ChildAlertRow>> {
    Ok(sqlx::query_as(
        "SELECT id, severity, alert_type, created_at FROM teacher_alerts
         WHERE student_id = $1 AND resolved_at IS NULL
         ORDER BY created_at DESC, id DESC
         LIMIT $2",
    )
    .bind(student_id)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}
