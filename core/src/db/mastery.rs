//! Per-student BKT state (`student_topic_mastery`) and its history (`innova.mastery_history`),
//! from which `trend_7d` is computed (decision 18).

use chrono::NaiveDateTime;
use innova_domain::bkt::{self, BktParams, MasteryPoint};
use innova_domain::ids::{AttemptId, CourseId, ExerciseId, StudentId, TopicId};
use sqlx::{PgConnection, PgExecutor};

use super::DbResult;
use super::exercises::FROM_GUIDE;

/// The result of applying one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryChange {
    pub prior: f64,
    pub p_known: f64,
    pub attempts_count: i32,
    pub trend_7d: Option<f64>,
}

/// Applies one observation to (student, topic) — BKT from the stored `pKnown` (or the topic's
/// `pL0`) — records the new value in the history and refreshes `trend_7d`. Must run inside the
/// caller's transaction: the row is locked (`FOR UPDATE`) so concurrent attempts of the same
/// student on the same topic apply one after the other instead of overwriting each other (the
/// reference's read-then-write lost updates).
///
/// Three statements: lock and read the row; read the history points the trend needs; write the
/// row, the new history point and the pruning together.
pub async fn apply_attempt(
    conn: &mut PgConnection,
    student_id: &StudentId,
    topic_id: &TopicId,
    params: &BktParams,
    is_correct: bool,
) -> DbResult<MasteryChange> {
    let now = super::now();
    let now_ms = now.and_utc().timestamp_millis();
    let cutoff = now - chrono::Duration::milliseconds(bkt::TREND_WINDOW_MS);
    // Two passes at most: if the row appears between our read and our insert, the second pass
    // reads and locks it.
    for _ in 0..2 {
        let stored: Option<(f64, i32)> = sqlx::query_as(
            "SELECT p_known, attempts_count FROM student_topic_mastery
             WHERE student_id = $1 AND topic_id = $2 FOR UPDATE",
        )
        .bind(student_id)
        .bind(topic_id)
        .fetch_optional(&mut *conn)
        .await?;
        let prior = bkt::prior(stored.map(|(p, _)| p), params);
        let p_known = bkt::update(prior, params, is_correct);
        // Read after the lock, so the previous writer's history point is visible.
        let mut history = trend_points(&mut *conn, student_id, topic_id, cutoff, now).await?;
        history.push(MasteryPoint {
            at_ms: now_ms,
            p_known,
        });
        let trend_7d = bkt::trend_7d(&history, now_ms);
        let write = if stored.is_some() {
            UPDATE_AND_RECORD
        } else {
            INSERT_AND_RECORD
        };
        let attempts_count: Option<i32> = sqlx::query_scalar(write)
            .bind(student_id)
            .bind(topic_id)
            .bind(p_known)
            .bind(now)
            .bind(cutoff)
            .bind(trend_7d)
            .fetch_optional(&mut *conn)
            .await?;
        match attempts_count {
            Some(attempts_count) => {
                return Ok(MasteryChange {
                    prior,
                    p_known,
                    attempts_count,
                    trend_7d,
                });
            }
            // Someone inserted the row since our read: lock it and start over.
            None if stored.is_none() => continue,
            None => break,
        }
    }
    Err(super::DbError::Other(sqlx::Error::Protocol(
        "mastery row changed concurrently twice".into(),
    )))
}

/// The history point and its pruning, appended to the row write of [`apply_attempt`] (`$1`
/// student, `$2` topic, `$3` pKnown, `$4` now, `$5` the window's start, `$6` trend). The pruning
/// drops what no trend can need any more: everything before the last point at or before the
/// window's start.
macro_rules! record_and_prune {
    ($row_write:literal) => {
        concat!(
            "WITH m AS (",
            $row_write,
            "), h AS (
                 INSERT INTO innova.mastery_history (student_id, topic_id, p_known, recorded_at)
                 SELECT $1, $2, $3, $4 FROM m
             ), pruned AS (
                 DELETE FROM innova.mastery_history
                 WHERE student_id = $1 AND topic_id = $2
                   AND recorded_at < (SELECT max(recorded_at) FROM innova.mastery_history
                                      WHERE student_id = $1 AND topic_id = $2 AND recorded_at <= $5)
             )
             SELECT attempts_count FROM m"
        )
    };
}

const UPDATE_AND_RECORD: &str = record_and_prune!(
    "UPDATE student_topic_mastery
     SET p_known = $3, attempts_count = attempts_count + 1, last_attempt_at = $4, updated_at = $4,
         trend_7d = $6
     WHERE student_id = $1 AND topic_id = $2
     RETURNING attempts_count"
);

const INSERT_AND_RECORD: &str = record_and_prune!(
    "INSERT INTO student_topic_mastery
       (student_id, topic_id, p_known, attempts_count, last_attempt_at, updated_at, trend_7d)
     VALUES ($1, $2, $3, 1, $4, $4, $6)
     ON CONFLICT (student_id, topic_id) DO NOTHING
     RETURNING attempts_count"
);

/// The recorded points [`bkt::trend_7d`] can use at `now`, besides a new one at `now` itself:
/// the last at or before the window's start (the baseline) and the first inside the window (the
/// baseline when there is none before). Points after `now` never count.
async fn trend_points(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    topic_id: &TopicId,
    window_start: NaiveDateTime,
    now: NaiveDateTime,
) -> DbResult<Vec<MasteryPoint>> {
    let rows: Vec<(NaiveDateTime, f64)> = sqlx::query_as(
        "(SELECT recorded_at, p_known FROM innova.mastery_history
          WHERE student_id = $1 AND topic_id = $2 AND recorded_at <= $3
          ORDER BY recorded_at DESC LIMIT 1)
         UNION ALL
         (SELECT recorded_at, p_known FROM innova.mastery_history
          WHERE student_id = $1 AND topic_id = $2 AND recorded_at > $3 AND recorded_at <= $4
          ORDER BY recorded_at LIMIT 1)",
    )
    .bind(student_id)
    .bind(topic_id)
    .bind(window_start)
    .bind(now)
    .fetch_all(exec)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, p_known)| MasteryPoint {
            at_ms: at.and_utc().timestamp_millis(),
            p_known,
        })
        .collect())
}

/// A mastery row with its topic.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MasteryRow {
    pub student_id: StudentId,
    pub topic_id: TopicId,
    pub topic_code: String,
    pub topic_name: String,
    pub subdomain_id: Option<String>,
    pub p_known: f64,
    pub attempts_count: i32,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub trend_7d: Option<f64>,
}

const MASTERY_COLUMNS: &str = "m.student_id, m.topic_id, t.code AS topic_code, t.name AS topic_name, \
     t.subdomain_id, m.p_known, m.attempts_count, m.last_attempt_at, m.trend_7d";

/// Every mastery row of a student (topic code order, so the answer is stable).
pub async fn of_student(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<MasteryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MASTERY_COLUMNS} FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
         WHERE m.student_id = $1 ORDER BY t.code, m.topic_id"
    ))
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// A student's rows, weakest first (ties: topic id), for the recommender.
pub async fn of_student_weakest_first(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<MasteryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MASTERY_COLUMNS} FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
         WHERE m.student_id = $1 ORDER BY m.p_known, m.topic_id"
    ))
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// The rows of several students (course views).
pub async fn of_students(
    exec: impl PgExecutor<'_>,
    student_ids: &[StudentId],
) -> DbResult<Vec<MasteryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MASTERY_COLUMNS} FROM student_topic_mastery m JOIN topics t ON t.id = m.topic_id
         WHERE m.student_id = ANY($1) ORDER BY m.student_id, t.code, m.topic_id"
    ))
    .bind(student_ids)
    .fetch_all(exec)
    .await?)
}

// ---- course views (GET /mastery/course/*) ----------------------------------------------------

/// A student with an ACTIVE enrollment in a course.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CourseStudent {
    pub student_id: StudentId,
    pub display_name: String,
    /// The student's account email, if they have an account.
    pub email: Option<String>,
}

/// The ACTIVE students of a course, in joining order (students who joined at the same moment, as
/// the seeded ones did, by id).
pub async fn course_students(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
) -> DbResult<Vec<CourseStudent>> {
    Ok(sqlx::query_as(
        "SELECT s.id AS student_id, s.display_name, u.email
         FROM enrollments e
         JOIN students s ON s.id = e.student_id
         LEFT JOIN users u ON u.id = s.user_id
         WHERE e.course_id = $1 AND e.status = 'ACTIVE'
         ORDER BY e.joined_at, e.student_id",
    )
    .bind(course_id)
    .fetch_all(exec)
    .await?)
}

/// A course's ACTIVE students (joining order) with their mastery rows (topic code order), in
/// one statement: a student without rows appears once, with `None`.
pub async fn course_students_with_mastery(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
) -> DbResult<Vec<(CourseStudent, Option<MasteryRow>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        student: CourseStudent,
        topic_id: Option<TopicId>,
        topic_code: Option<String>,
        topic_name: Option<String>,
        subdomain_id: Option<String>,
        p_known: Option<f64>,
        attempts_count: Option<i32>,
        last_attempt_at: Option<NaiveDateTime>,
        trend_7d: Option<f64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id AS student_id, s.display_name, u.email,
                m.topic_id, t.code AS topic_code, t.name AS topic_name, t.subdomain_id,
                m.p_known, m.attempts_count, m.last_attempt_at, m.trend_7d
         FROM enrollments e
         JOIN students s ON s.id = e.student_id
         LEFT JOIN users u ON u.id = s.user_id
         LEFT JOIN student_topic_mastery m ON m.student_id = s.id
         LEFT JOIN topics t ON t.id = m.topic_id
         WHERE e.course_id = $1 AND e.status = 'ACTIVE'
         ORDER BY e.joined_at, e.student_id, t.code, m.topic_id",
    )
    .bind(course_id)
    .fetch_all(exec)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mastery = match (
                r.topic_id,
                r.topic_code,
                r.topic_name,
                r.p_known,
                r.attempts_count,
            ) {
                (
                    Some(topic_id),
                    Some(topic_code),
                    Some(topic_name),
                    Some(p_known),
                    Some(attempts_count),
                ) => Some(MasteryRow {
                    student_id: r.student.student_id.clone(),
                    topic_id,
                    topic_code,
                    topic_name,
                    subdomain_id: r.subdomain_id,
                    p_known,
                    attempts_count,
                    last_attempt_at: r.last_attempt_at,
                    trend_7d: r.trend_7d,
                }),
                _ => None,
            };
            (r.student, mastery)
        })
        .collect())
}

/// An attempt as the course views use it: outcome, tag, and what places it in a subdomain.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CourseAttempt {
    pub student_id: StudentId,
    pub id: AttemptId,
    /// `exercises.content->'prompt'`, any JSON type (the view stringifies numbers and booleans).
    pub exercise_prompt: Option<serde_json::Value>,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub tag_domain_id: Option<String>,
    pub tag_subdomain_code: Option<String>,
    pub exercise_subdomain_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub classifier_source: innova_domain::vocab::ClassifierSource,
    pub confidence: Option<f64>,
    pub created_at: NaiveDateTime,
}

/// Each student's most recent `per_student` attempts in the course (newest first). The newest are
/// picked from the attempts alone (`innova_attempts_student_course_created_at_idx` gives them
/// in order) before anything is joined to them: the cost follows `per_student`, not the student's
/// history.
pub async fn course_attempts(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
    per_student: i64,
) -> DbResult<Vec<CourseAttempt>> {
    Ok(sqlx::query_as(
        "SELECT st.student_id, a.id, x.content->'prompt' AS exercise_prompt, a.is_correct,
                t.code AS error_tag_code, t.name AS error_tag_name, t.domain_id AS tag_domain_id,
                t.subdomain_code AS tag_subdomain_code, tp.subdomain_id AS exercise_subdomain_id,
                a.classifier_source, a.confidence, a.created_at
         FROM (SELECT student_id FROM enrollments
               WHERE course_id = $1 AND status = 'ACTIVE') AS st
         CROSS JOIN LATERAL (
             SELECT a.id, a.is_correct, a.error_tag_id, a.exercise_id, a.classifier_source,
                    a.confidence, a.created_at
             FROM attempts a
             WHERE a.student_id = st.student_id AND a.course_id = $1
             ORDER BY a.created_at DESC, a.id DESC
             LIMIT $2
         ) AS a
         LEFT JOIN error_tags t ON t.id = a.error_tag_id
         LEFT JOIN exercises x ON x.id = a.exercise_id
         LEFT JOIN topics tp ON tp.id = x.topic_id
         ORDER BY st.student_id, a.created_at DESC, a.id DESC",
    )
    .bind(course_id)
    .bind(per_student)
    .fetch_all(exec)
    .await?)
}

/// A subdomain with its domain.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubdomainWithDomain {
    pub id: String,
    pub code: String,
    pub name: String,
    pub domain_id: String,
    pub domain_code: String,
    pub domain_name: String,
}

/// The whole taxonomy (17 domains, ~106 subdomains).
pub async fn subdomains_with_domains(
    exec: impl PgExecutor<'_>,
) -> DbResult<Vec<SubdomainWithDomain>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.code, s.name, d.id AS domain_id, d.code AS domain_code, d.name AS domain_name
         FROM subdomains s JOIN domains d ON d.id = s.domain_id
         ORDER BY d.code, s.code",
    )
    .fetch_all(exec)
    .await?)
}

// ---- recommendations ------------------------------------------------------------------------

/// An ACTIVE exercise of a topic, with what the recommender shows.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CandidateExercise {
    pub id: ExerciseId,
    pub topic_id: TopicId,
    pub content: serde_json::Value,
    pub irt_a: f64,
    pub irt_b: f64,
}

/// Up to `per_topic` ACTIVE exercises of the shared bank (no guide's: their answers are the
/// guides' keys) of each topic, not in `excluded`, oldest first.
pub async fn candidate_exercises(
    exec: impl PgExecutor<'_>,
    topic_ids: &[TopicId],
    excluded: &[ExerciseId],
    per_topic: i64,
) -> DbResult<Vec<CandidateExercise>> {
    Ok(sqlx::query_as(&format!(
        "SELECT x.id, x.topic_id, x.content, x.irt_a, x.irt_b
         FROM UNNEST($1::text[]) AS tp(topic_id)
         CROSS JOIN LATERAL (
             SELECT x.id, x.topic_id, x.content, x.irt_a, x.irt_b
             FROM exercises x
             WHERE x.topic_id = tp.topic_id AND x.status = 'ACTIVE' AND NOT (x.id = ANY($2))
               AND NOT {FROM_GUIDE}
             ORDER BY x.created_at, x.id
             LIMIT $3
         ) x"
    ))
    .bind(topic_ids)
    .bind(excluded)
    .bind(per_topic)
    .fetch_all(exec)
    .await?)
}

/// Exercises the student answered correctly in the course since `since`.
pub async fn recently_solved(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    course_id: &CourseId,
    since: NaiveDateTime,
) -> DbResult<Vec<ExerciseId>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT exercise_id FROM attempts
         WHERE student_id = $1 AND course_id = $2 AND is_correct AND created_at >= $3
           AND exercise_id IS NOT NULL",
    )
    .bind(student_id)
    .bind(course_id)
    .bind(since)
    .fetch_all(exec)
    .await?)
}

/// A mastery row with its topic's prerequisites (the assignment recommender's input).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GatedMasteryRow {
    pub topic_id: TopicId,
    pub topic_code: String,
    pub p_known: f64,
    /// The topic's prerequisite topic ids, ordered.
    pub prerequisite_topic_ids: Vec<TopicId>,
}

/// A student's mastery rows (only the one of `topic_id` when given) with their topics'
/// prerequisites, by topic id (the reference's query had no order; this one is stable).
pub async fn with_prerequisites(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    topic_id: Option<&TopicId>,
) -> DbResult<Vec<GatedMasteryRow>> {
    Ok(sqlx::query_as(
        "SELECT m.topic_id, t.code AS topic_code, m.p_known,
                COALESCE(array_agg(tp.prerequisite_topic_id ORDER BY tp.prerequisite_topic_id)
                             FILTER (WHERE tp.prerequisite_topic_id IS NOT NULL), '{}')
                    AS prerequisite_topic_ids
         FROM student_topic_mastery m
         JOIN topics t ON t.id = m.topic_id
         LEFT JOIN topic_prerequisites tp ON tp.topic_id = m.topic_id
         WHERE m.student_id = $1 AND ($2::text IS NULL OR m.topic_id = $2)
         GROUP BY m.topic_id, t.code, m.p_known
         ORDER BY m.topic_id",
    )
    .bind(student_id)
    .bind(topic_id)
    .fetch_all(exec)
    .await?)
}
