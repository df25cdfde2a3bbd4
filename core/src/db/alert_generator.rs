//! What the hourly alert generator reads and writes (workers-infra.md §2.4, with the fixes of
//! `innova_domain::alerts`).
//!
//! Reads are per **chunk of courses**, a fixed number of statements whatever the number of
//! students or topics in it (no query per student); each course's writes are one transaction
//! holding a per-course advisory lock, so two runs at once (the schedule and `innova alerts run`)
//! cannot both insert the same alert.

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, GuideId, QuestionId, StudentId, TeacherId, TopicId};
use sqlx::PgExecutor;

use super::DbResult;
use super::alerts::NewAlert;

/// A non-archived course with its teachers (sorted by id).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseRow {
    pub id: CourseId,
    pub teacher_ids: Vec<TeacherId>,
}

/// Up to `limit` non-archived courses with ids after `after`, in id order (keyset chunks).
pub async fn courses_after(
    exec: impl PgExecutor<'_>,
    after: &str,
    limit: i64,
) -> DbResult<Vec<CourseRow>> {
    Ok(sqlx::query_as(
        "SELECT c.id,
                COALESCE(array_agg(ct.teacher_id ORDER BY ct.teacher_id)
                         FILTER (WHERE ct.teacher_id IS NOT NULL), '{}') AS teacher_ids
         FROM courses c
         LEFT JOIN course_teachers ct ON ct.course_id = c.id
         WHERE c.archived_at IS NULL AND c.id > $1
         GROUP BY c.id
         ORDER BY c.id
         LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// A student with an ACTIVE enrollment in one of the courses.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrolledRow {
    pub course_id: CourseId,
    pub student_id: StudentId,
    pub display_name: String,
    /// Their most recent attempt, in any course.
    pub last_attempt_at: Option<NaiveDateTime>,
}

/// The ACTIVE enrollments of `course_ids` (students not deleted), in enrollment order per course.
pub async fn enrolled_students(
    exec: impl PgExecutor<'_>,
    course_ids: &[CourseId],
) -> DbResult<Vec<EnrolledRow>> {
    Ok(sqlx::query_as(
        "SELECT e.course_id, s.id AS student_id, s.display_name, last.at AS last_attempt_at
         FROM enrollments e
         JOIN students s ON s.id = e.student_id AND s.deleted_at IS NULL
         LEFT JOIN LATERAL (SELECT max(a.created_at) AS at FROM attempts a
                            WHERE a.student_id = s.id) last ON true
         WHERE e.course_id = ANY($1) AND e.status = 'ACTIVE'
         ORDER BY e.course_id, e.joined_at, e.id",
    )
    .bind(course_ids)
    .fetch_all(exec)
    .await?)
}

/// A mastery row with its topic and unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MasteryRow {
    pub student_id: StudentId,
    pub topic_id: TopicId,
    pub topic_code: String,
    pub p_known: f64,
    pub unit_id: String,
    pub unit_name: String,
}

/// Every mastery row of the students, by student then topic id (a stable "load order").
pub async fn mastery_of(
    exec: impl PgExecutor<'_>,
    student_ids: &[StudentId],
) -> DbResult<Vec<MasteryRow>> {
    Ok(sqlx::query_as(
        "SELECT m.student_id, m.topic_id, t.code AS topic_code, m.p_known,
                u.id AS unit_id, u.name AS unit_name
         FROM student_topic_mastery m
         JOIN topics t ON t.id = m.topic_id
         JOIN units u ON u.id = t.unit_id
         WHERE m.student_id = ANY($1)
         ORDER BY m.student_id, m.topic_id",
    )
    .bind(student_ids)
    .fetch_all(exec)
    .await?)
}

/// A non-archived guide in REVIEW or PUBLISHED with its submission counts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GuideRow {
    pub id: GuideId,
    pub course_id: CourseId,
    pub title: String,
    pub status: String,
    pub due_at: Option<NaiveDateTime>,
    pub question_count: i32,
    /// Submissions being transcribed or graded.
    pub in_flight: i64,
    /// Students ACTIVE in the course with at least one GRADED submission.
    pub graded_students: i64,
}

pub async fn guides_of(
    exec: impl PgExecutor<'_>,
    course_ids: &[CourseId],
) -> DbResult<Vec<GuideRow>> {
    Ok(sqlx::query_as(
        "SELECT g.id, g.course_id, g.title, g.status::text AS status, g.due_at, g.question_count,
                COALESCE(sub.in_flight, 0) AS in_flight,
                COALESCE(sub.graded_students, 0) AS graded_students
         FROM guides g
         LEFT JOIN LATERAL (
             SELECT count(*) FILTER (WHERE s.status IN ('TRANSCRIBING', 'GRADING')) AS in_flight,
                    count(DISTINCT s.student_id) FILTER (
                        WHERE s.status = 'GRADED' AND EXISTS (
                            SELECT 1 FROM enrollments e
                            WHERE e.course_id = g.course_id AND e.student_id = s.student_id
                              AND e.status = 'ACTIVE')) AS graded_students
             FROM guide_submissions s WHERE s.guide_id = g.id
         ) sub ON g.status = 'PUBLISHED'
         WHERE g.course_id = ANY($1) AND g.archived_at IS NULL
           AND g.status IN ('REVIEW', 'PUBLISHED')
         ORDER BY g.course_id, g.created_at, g.id",
    )
    .bind(course_ids)
    .fetch_all(exec)
    .await?)
}

/// The most common error of a question of a published guide.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuestionErrorRow {
    pub guide_id: GuideId,
    pub question_id: QuestionId,
    pub label: Option<String>,
    pub sequence: i32,
    pub topic_id: Option<TopicId>,
    pub error_tag_code: String,
    pub error_tag_name: String,
    pub students: i64,
    pub graded_students: i64,
}

/// Per question of the courses' PUBLISHED guides: the error tag most students carry on their
/// latest graded try (the teacher's override winning over the attempt's tag; ties by code), with
/// the number of students graded on the question.
pub async fn question_errors_of(
    exec: impl PgExecutor<'_>,
    course_ids: &[CourseId],
) -> DbResult<Vec<QuestionErrorRow>> {
    Ok(sqlx::query_as(
        "WITH latest AS (
             SELECT DISTINCT ON (s.guide_question_id, s.student_id)
                    s.guide_question_id, s.is_correct,
                    COALESCE(s.override_error_tag_id, a.error_tag_id) AS tag_id
             FROM guide_submissions s
             JOIN guides g ON g.id = s.guide_id
             LEFT JOIN attempts a ON a.id = s.attempt_id
             WHERE g.course_id = ANY($1) AND g.status = 'PUBLISHED' AND g.archived_at IS NULL
               AND s.status = 'GRADED'
             ORDER BY s.guide_question_id, s.student_id, s.attempt_number DESC
         ),
         graded AS (SELECT guide_question_id, count(*) AS n FROM latest GROUP BY 1),
         tagged AS (
             SELECT DISTINCT ON (l.guide_question_id) l.guide_question_id, et.code, et.name,
                    count(*) AS n
             FROM latest l JOIN error_tags et ON et.id = l.tag_id
             WHERE l.is_correct IS NOT TRUE
             GROUP BY l.guide_question_id, et.code, et.name
             ORDER BY l.guide_question_id, count(*) DESC, et.code
         )
         SELECT q.guide_id, q.id AS question_id, q.label, q.sequence, q.topic_id,
                t.code AS error_tag_code, t.name AS error_tag_name,
                t.n AS students, gr.n AS graded_students
         FROM tagged t
         JOIN graded gr USING (guide_question_id)
         JOIN guide_questions q ON q.id = t.guide_question_id
         ORDER BY q.guide_id, q.sequence",
    )
    .bind(course_ids)
    .fetch_all(exec)
    .await?)
}

/// An alert that may block a new one: unresolved, or created or resolved since `since`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlockingRow {
    pub teacher_id: TeacherId,
    pub course_id: CourseId,
    pub alert_type: String,
    pub topic_id: Option<TopicId>,
    pub student_id: Option<StudentId>,
    pub payload: serde_json::Value,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

pub async fn blocking_alerts(
    exec: impl PgExecutor<'_>,
    course_ids: &[CourseId],
    since: NaiveDateTime,
) -> DbResult<Vec<BlockingRow>> {
    Ok(sqlx::query_as(
        "SELECT teacher_id, course_id, alert_type, topic_id, student_id, payload, created_at,
                resolved_at
         FROM teacher_alerts
         WHERE course_id = ANY($1)
           AND (resolved_at IS NULL OR resolved_at >= $2 OR created_at >= $2)",
    )
    .bind(course_ids)
    .bind(since)
    .fetch_all(exec)
    .await?)
}

/// Serialises the generator's writes for one course until the transaction ends.
pub async fn lock_course(exec: impl PgExecutor<'_>, course_id: &CourseId) -> DbResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('teacher_alerts:' || $1, 0))")
        .bind(course_id)
        .execute(exec)
        .await?;
    Ok(())
}

/// Inserts the alerts in one statement; returns how many.
pub async fn insert_all(exec: impl PgExecutor<'_>, alerts: &[NewAlert<'_>]) -> DbResult<u64> {
    let column = |f: fn(&NewAlert) -> Option<String>| alerts.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<String> = alerts.iter().map(|_| super::new_id()).collect();
    let result = sqlx::query(
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, topic_id, student_id, alert_type,
                                     severity, payload)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::jsonb[])",
    )
    .bind(&ids)
    .bind(column(|a| Some(a.teacher_id.to_string())))
    .bind(column(|a| Some(a.course_id.to_string())))
    .bind(column(|a| a.topic_id.map(ToString::to_string)))
    .bind(column(|a| a.student_id.map(ToString::to_string)))
    .bind(column(|a| Some(a.alert_type.as_str().to_owned())))
    .bind(column(|a| Some(a.severity.as_str().to_owned())))
    .bind(alerts.iter().map(|a| a.payload.clone()).collect::<Vec<_>>())
    .execute(exec)
    .await?;
    Ok(result.rows_affected())
}
