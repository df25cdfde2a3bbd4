//! The hourly alert generator (workers-infra.md §2.4; decision 20): loads every non-archived
//! course in chunks, applies the rules of [`innova_domain::alerts`] and inserts what is new.
//!
//! Run by the `alertGenerator` Lambda (EventBridge, hourly), by the local server every hour, and
//! by `innova alerts run`. Idempotent: a second run in the same hour (or the same day, for an
//! alert resolved since) inserts nothing, because the dedup reads the stored alerts inside each
//! course's write transaction, under that course's advisory lock.

use innova_domain::ids::{CourseId, StudentId, TeacherId, TopicId};
use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use innova_core::db::{self, alert_generator as repo, alerts as alert_rows};
use innova_domain::alerts::{
    self as rules, CourseSnapshot, ExistingAlert, GuideSnapshot, MasteryEntry, QuestionError,
    StudentSnapshot,
};
use innova_domain::guides::GuideStatus;

use crate::{App, AppError, AppResult};

/// Courses read per chunk: the reads of a chunk are a fixed number of statements.
pub const COURSES_PER_CHUNK: i64 = 50;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub courses: usize,
    pub students: usize,
    /// Alerts inserted.
    pub inserted: u64,
    /// Courses that had new alerts (one write transaction each).
    pub courses_written: usize,
}

/// One generator cycle at `now`.
pub async fn run(app: &App, now: DateTime<Utc>) -> AppResult<RunReport> {
    let now_ms = now.timestamp_millis();
    let today = ms_to_naive(rules::dedup_window_start(now_ms))?;
    let mut report = RunReport::default();
    let mut after = CourseId::new("");
    loop {
        let courses = repo::courses_after(&app.db, &after, COURSES_PER_CHUNK).await?;
        let Some(last) = courses.last() else { break };
        after = last.id.clone();
        let chunk = Chunk::load(app, courses, today).await?;
        report.courses += chunk.courses.len();
        report.students += chunk.enrolled.len();
        for course in chunk.snapshots() {
            // Decided against what the chunk read; re-checked under the course's lock below.
            let existing = chunk.existing_of(course.course_id);
            if rules::generate_alerts(std::slice::from_ref(&course), &existing, now_ms).is_empty() {
                continue;
            }
            let inserted = write_course(app, &course, today, now_ms).await?;
            if inserted > 0 {
                report.courses_written += 1;
                report.inserted += inserted;
            }
        }
    }
    tracing::info!(
        courses = report.courses,
        students = report.students,
        inserted = report.inserted,
        "alert generator cycle complete"
    );
    Ok(report)
}

/// One course's inserts in one transaction, deduplicated against what is stored now.
async fn write_course(
    app: &App,
    course: &CourseSnapshot<'_>,
    today: NaiveDateTime,
    now_ms: i64,
) -> AppResult<u64> {
    let mut tx = db::begin(&app.db).await?;
    // The rules work on the ids as text; the rows they name are typed again here.
    let course_id = CourseId::new(course.course_id);
    repo::lock_course(&mut *tx, &course_id).await?;
    let stored = repo::blocking_alerts(&mut *tx, std::slice::from_ref(&course_id), today).await?;
    let existing: Vec<ExistingAlert> = stored.iter().map(existing_alert).collect();
    let alerts = rules::generate_alerts(std::slice::from_ref(course), &existing, now_ms);
    let ids: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                TeacherId::new(a.teacher_id.as_str()),
                CourseId::new(a.course_id.as_str()),
                a.topic_id.as_ref().map(TopicId::new),
                a.student_id.as_ref().map(StudentId::new),
            )
        })
        .collect();
    let rows: Vec<alert_rows::NewAlert> = alerts
        .iter()
        .zip(&ids)
        .map(
            |(a, (teacher, course, topic, student))| alert_rows::NewAlert {
                teacher_id: teacher,
                course_id: course,
                topic_id: topic.as_ref(),
                student_id: student.as_ref(),
                alert_type: a.alert_type,
                severity: a.severity,
                payload: &a.payload,
            },
        )
        .collect();
    let inserted = if rows.is_empty() {
        0
    } else {
        repo::insert_all(&mut *tx, &rows).await?
    };
    tx.commit().await.map_err(db::DbError::from)?;
    Ok(inserted)
}

/// The rows of one chunk of courses.
struct Chunk {
    courses: Vec<repo::CourseRow>,
    enrolled: Vec<repo::EnrolledRow>,
    mastery: HashMap<StudentId, Vec<repo::MasteryRow>>,
    guides: Vec<repo::GuideRow>,
    question_errors: Vec<repo::QuestionErrorRow>,
    blocking: Vec<repo::BlockingRow>,
}

impl Chunk {
    /// Five statements, whatever the chunk holds.
    async fn load(
        app: &App,
        courses: Vec<repo::CourseRow>,
        today: NaiveDateTime,
    ) -> AppResult<Chunk> {
        let ids: Vec<CourseId> = courses.iter().map(|c| c.id.clone()).collect();
        let enrolled = repo::enrolled_students(&app.db, &ids).await?;
        let mut students: Vec<StudentId> = enrolled.iter().map(|e| e.student_id.clone()).collect();
        students.sort();
        students.dedup();
        let mut mastery: HashMap<StudentId, Vec<repo::MasteryRow>> = HashMap::new();
        for row in repo::mastery_of(&app.db, &students).await? {
            mastery.entry(row.student_id.clone()).or_default().push(row);
        }
        Ok(Chunk {
            enrolled,
            mastery,
            guides: repo::guides_of(&app.db, &ids).await?,
            question_errors: repo::question_errors_of(&app.db, &ids).await?,
            blocking: repo::blocking_alerts(&app.db, &ids, today).await?,
            courses,
        })
    }

    fn snapshots(&self) -> Vec<CourseSnapshot<'_>> {
        self.courses
            .iter()
            .map(|c| CourseSnapshot {
                course_id: &c.id,
                teacher_ids: c.teacher_ids.iter().map(|id| id.as_str()).collect(),
                students: self
                    .enrolled
                    .iter()
                    .filter(|e| e.course_id == c.id)
                    .map(|e| self.student(e))
                    .collect(),
                guides: self
                    .guides
                    .iter()
                    .filter(|g| g.course_id == c.id)
                    .filter_map(|g| self.guide(g))
                    .collect(),
            })
            .collect()
    }

    fn student<'a>(&'a self, e: &'a repo::EnrolledRow) -> StudentSnapshot<'a> {
        StudentSnapshot {
            student_id: &e.student_id,
            display_name: &e.display_name,
            mastery: self
                .mastery
                .get(&e.student_id)
                .map(|rows| {
                    rows.iter()
                        .map(|m| MasteryEntry {
                            topic_id: &m.topic_id,
                            topic_code: &m.topic_code,
                            p_known: m.p_known,
                            unit_id: &m.unit_id,
                            unit_name: &m.unit_name,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            last_attempt_at_ms: e.last_attempt_at.map(|t| t.and_utc().timestamp_millis()),
        }
    }

    fn guide<'a>(&'a self, g: &'a repo::GuideRow) -> Option<GuideSnapshot<'a>> {
        let status: GuideStatus = g.status.parse().ok()?;
        Some(GuideSnapshot {
            guide_id: &g.id,
            title: &g.title,
            status,
            due_at_ms: g.due_at.map(|t| t.and_utc().timestamp_millis()),
            question_count: g.question_count,
            in_flight: count(g.in_flight),
            graded_students: count(g.graded_students),
            question_errors: self
                .question_errors
                .iter()
                .filter(|q| q.guide_id == g.id)
                .map(|q| QuestionError {
                    question_id: &q.question_id,
                    label: q.label.clone().unwrap_or_else(|| q.sequence.to_string()),
                    topic_id: q.topic_id.as_deref(),
                    error_tag_code: &q.error_tag_code,
                    error_tag_name: &q.error_tag_name,
                    students: count(q.students),
                    graded_students: count(q.graded_students),
                })
                .collect(),
        })
    }

    fn existing_of(&self, course_id: &str) -> Vec<ExistingAlert<'_>> {
        self.blocking
            .iter()
            .filter(|b| b.course_id == course_id)
            .map(existing_alert)
            .collect()
    }
}

fn existing_alert(b: &repo::BlockingRow) -> ExistingAlert<'_> {
    ExistingAlert {
        teacher_id: &b.teacher_id,
        course_id: &b.course_id,
        alert_type: &b.alert_type,
        topic_id: b.topic_id.as_deref(),
        student_id: b.student_id.as_deref(),
        payload: &b.payload,
        created_at_ms: b.created_at.and_utc().timestamp_millis(),
        resolved_at_ms: b.resolved_at.map(|t| t.and_utc().timestamp_millis()),
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn ms_to_naive(ms: i64) -> AppResult<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.naive_utc())
        .ok_or_else(|| AppError::Internal(format!("timestamp {ms} out of range")))
}
