//! Attempts: one answer and its classification, its steps, its photo submission and the field
//! reports disputing it.

use chrono::NaiveDateTime;
use innova_domain::ids::{AttemptId, CourseId, ExerciseId, StudentId, TopicId, UserId};
pub use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};
use sqlx::{PgConnection, PgExecutor};

use super::DbResult;
use super::exercises::FROM_GUIDE;

/// An attempt to insert. The caller chooses the id (it goes into queue messages too).
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub id: &'a AttemptId,
    pub student_id: &'a StudentId,
    pub exercise_id: Option<&'a ExerciseId>,
    pub course_id: Option<&'a CourseId>,
    pub is_correct: bool,
    pub error_tag_id: Option<&'a str>,
    pub classifier_source: ClassifierSource,
    pub confidence: Option<f64>,
    pub input_mode: InputMode,
    pub status: AttemptStatus,
    pub trace_id: &'a str,
}

/// Inserts an attempt. Unknown student, exercise or course ids surface as
/// [`super::DbError::MissingReference`] naming the field.
pub async fn insert(exec: impl PgExecutor<'_>, a: &NewAttempt<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO attempts (id, student_id, exercise_id, course_id, is_correct, error_tag_id,
                               classifier_source, confidence, input_mode, status, trace_id,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    .bind(a.id)
    .bind(a.student_id)
    .bind(a.exercise_id)
    .bind(a.course_id)
    .bind(a.is_correct)
    .bind(a.error_tag_id)
    .bind(a.classifier_source.as_str())
    .bind(a.confidence)
    .bind(a.input_mode.as_str())
    .bind(a.status.as_str())
    .bind(a.trace_id)
    .execute(exec)
    .await?;
    Ok(())
}

/// One step of an attempt, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStep<'a> {
    pub content_latex: &'a str,
    /// Only final steps carry the attempt's verdict; the others are `None`.
    pub is_correct: Option<bool>,
}

/// Inserts the steps of an attempt in one statement (`step_index` = position); an existing
/// `(attempt_id, step_index)` is left alone, as the reference's `skipDuplicates`.
pub async fn insert_steps(
    exec: impl PgExecutor<'_>,
    attempt_id: &AttemptId,
    steps: &[NewStep<'_>],
) -> DbResult<u64> {
    if steps.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = steps.iter().map(|_| super::new_id()).collect();
    let indexes: Vec<i32> = (0..steps.len() as i32).collect();
    let contents: Vec<&str> = steps.iter().map(|s| s.content_latex).collect();
    let verdicts: Vec<Option<bool>> = steps.iter().map(|s| s.is_correct).collect();
    let done = sqlx::query(
        "INSERT INTO attempt_steps (id, attempt_id, step_index, content_latex, is_correct)
         SELECT s.id, $2, s.step_index, s.content_latex, s.is_correct
         FROM UNNEST($1::text[], $3::int[], $4::text[], $5::bool[])
              AS s(id, step_index, content_latex, is_correct)
         ON CONFLICT (attempt_id, step_index) DO NOTHING",
    )
    .bind(&ids)
    .bind(attempt_id)
    .bind(&indexes)
    .bind(&contents)
    .bind(&verdicts)
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}

/// An attempt with its error tag's code and name, as the status and detail routes show it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptView {
    pub id: AttemptId,
    pub student_id: StudentId,
    pub course_id: Option<CourseId>,
    pub exercise_id: Option<ExerciseId>,
    #[sqlx(try_from = "String")]
    pub status: AttemptStatus,
    pub is_correct: bool,
    #[sqlx(try_from = "String")]
    pub classifier_source: ClassifierSource,
    pub confidence: Option<f64>,
    pub trace_id: String,
    pub error_tag_id: Option<String>,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub input_mode: InputMode,
    pub created_at: NaiveDateTime,
    pub classified_at: Option<NaiveDateTime>,
}

const VIEW_COLUMNS: &str = "a.id, a.student_id, a.course_id, a.exercise_id, a.status, a.is_correct,
     a.classifier_source, a.confidence, a.trace_id, a.error_tag_id,
     t.code AS error_tag_code, t.name AS error_tag_name, a.input_mode,
     a.created_at, a.classified_at";

pub async fn view(exec: impl PgExecutor<'_>, id: &AttemptId) -> DbResult<Option<AttemptView>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id
         WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The attempt a retry key already belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedKey {
    pub attempt_id: AttemptId,
    /// The digest of the request that claimed it (`None` for keys claimed before digests were
    /// kept).
    pub body_digest: Option<Vec<u8>>,
}

/// Claims the retry key `(student_id, trace_id)` for `attempt_id` and the request whose digest
/// is `digest`, inside the attempt's transaction (`innova.attempt_requests`). `None`: claimed,
/// store the attempt. `Some(key)`: the key already belongs to an attempt (a retry, or another
/// request reusing the key: compare the digests). A concurrent claim of the same key waits until
/// the first transaction ends: on commit it gets `Some`, on rollback it claims the key itself.
pub async fn claim_trace(
    conn: &mut PgConnection,
    student_id: &StudentId,
    trace_id: &str,
    attempt_id: &AttemptId,
    digest: &[u8],
) -> DbResult<Option<ClaimedKey>> {
    let claimed = sqlx::query(
        "INSERT INTO innova.attempt_requests (student_id, trace_id, attempt_id, body_digest)
         VALUES ($1, $2, $3, $4) ON CONFLICT (student_id, trace_id) DO NOTHING",
    )
    .bind(student_id)
    .bind(trace_id)
    .bind(attempt_id)
    .bind(digest)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if claimed {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT attempt_id, body_digest FROM innova.attempt_requests
         WHERE student_id = $1 AND trace_id = $2",
    )
    .bind(student_id)
    .bind(trace_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// What an attempt names, checked in one statement before it is stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptReferences {
    /// The named exercise exists.
    pub exercise_found: bool,
    /// Its content (`None` when none is named or it does not exist).
    pub exercise_content: Option<serde_json::Value>,
    /// It was made from a guide (its answer is the guide's key).
    pub exercise_from_guide: bool,
    /// The student is ACTIVE in the named course (`None` when none is named).
    pub enrolled: Option<bool>,
}

/// The exercise `exercise_id` (if any) and the enrollment of `student_id` in `course_id` (if
/// any), in one round trip.
pub async fn references(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    exercise_id: Option<&ExerciseId>,
    course_id: Option<&CourseId>,
) -> DbResult<AttemptReferences> {
    Ok(sqlx::query_as(&format!(
        "SELECT x.id IS NOT NULL AS exercise_found, x.content AS exercise_content,
                COALESCE({FROM_GUIDE}, false) AS exercise_from_guide,
                CASE WHEN $3::text IS NULL THEN NULL
                     ELSE EXISTS (SELECT 1 FROM enrollments e
                                  WHERE e.student_id = $1 AND e.course_id = $3
                                    AND e.status = 'ACTIVE')
                END AS enrolled
         FROM (SELECT 1) AS one LEFT JOIN exercises x ON x.id = $2"
    ))
    .bind(student_id)
    .bind(exercise_id)
    .bind(course_id)
    .fetch_one(exec)
    .await?)
}

/// A stored step.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StepRow {
    pub step_index: i32,
    pub content_latex: String,
    pub is_correct: Option<bool>,
}

/// The steps of an attempt, by index.
pub async fn steps(exec: impl PgExecutor<'_>, attempt_id: &AttemptId) -> DbResult<Vec<StepRow>> {
    Ok(sqlx::query_as(
        "SELECT step_index, content_latex, is_correct FROM attempt_steps
         WHERE attempt_id = $1 ORDER BY step_index",
    )
    .bind(attempt_id)
    .fetch_all(exec)
    .await?)
}

/// The photo submission (guide pipeline) linked to an attempt, if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubmissionOfAttempt {
    pub id: String,
    pub photo_keys: Vec<String>,
    pub transcription_latex: Option<String>,
    pub transcription_json: Option<serde_json::Value>,
    pub transcription_confidence: Option<f64>,
}

pub async fn submission(
    exec: impl PgExecutor<'_>,
    attempt_id: &AttemptId,
) -> DbResult<Option<SubmissionOfAttempt>> {
    Ok(sqlx::query_as(
        "SELECT id, COALESCE(photo_keys, '{}') AS photo_keys, transcription_latex,
                transcription_json, transcription_confidence
         FROM guide_submissions WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_optional(exec)
    .await?)
}

/// Records that `reported_by_id` (a `users.id`) disputes an attempt's tag; the attempt itself is
/// not modified. Returns the report's id.
pub async fn insert_error_report(
    exec: impl PgExecutor<'_>,
    attempt_id: &AttemptId,
    error_tag_id: &str,
    reported_by_id: Option<&UserId>,
    comment: Option<&str>,
) -> DbResult<String> {
    let id = super::new_id();
    sqlx::query(
        "INSERT INTO attempt_error_reports (id, attempt_id, error_tag_id, reported_by_id, comment, source)
         VALUES ($1, $2, $3, $4, $5, 'FIELD_REPORTED')",
    )
    .bind(&id)
    .bind(attempt_id)
    .bind(error_tag_id)
    .bind(reported_by_id)
    .bind(comment)
    .execute(exec)
    .await?;
    Ok(id)
}

/// The exercise's prompt (`content.prompt` when it is a string), for the LLM message.
pub async fn exercise_prompt(
    exec: impl PgExecutor<'_>,
    exercise_id: &ExerciseId,
) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT content->>'prompt' FROM exercises
         WHERE id = $1 AND jsonb_typeof(content->'prompt') = 'string'",
    )
    .bind(exercise_id)
    .fetch_optional(exec)
    .await?)
}

/// The PENDING ad-hoc attempt a student stored under `trace_id`, if any: a retry of
/// `solve-adhoc` with the same `x-trace-id` reuses it instead of creating another.
pub async fn pending_adhoc_by_trace(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    trace_id: &str,
) -> DbResult<Option<AttemptId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM attempts
         WHERE student_id = $1 AND trace_id = $2 AND input_mode = $3 AND status = $4
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(student_id)
    .bind(trace_id)
    .bind(InputMode::ScanAdhoc.as_str())
    .bind(AttemptStatus::Pending.as_str())
    .fetch_optional(exec)
    .await?)
}

// ---- the write of POST /attempts in two statements -----------------------------------------------

/// What [`open`] found, in the attempt's transaction.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Opened {
    /// The retry key is ours: store the attempt. `false`: it already belongs to an attempt (a
    /// retry, or another request reusing it: read it with [`claimed_key`]).
    pub claimed: bool,
    #[sqlx(flatten)]
    pub references: AttemptReferences,
    /// The (student, topic) mastery row, locked until the transaction ends (`None`: no row yet,
    /// or no topic, or the key was not claimed).
    pub p_known: Option<f64>,
}

/// Opens the write of a typed attempt, in one statement inside its transaction: claims the retry
/// key `(student_id, trace_id)` for `attempt_id` (see [`claim_trace`]), reads what the attempt
/// names (see [`references`]), and — when the key is ours and a topic is known — locks and reads
/// the student's mastery row of the topic, so concurrent attempts on it apply one after the
/// other. The trend's history is read by [`store`], a later statement that sees what the
/// previous holder of the lock wrote.
#[allow(clippy::too_many_arguments)]
pub async fn open(
    conn: &mut PgConnection,
    student_id: &StudentId,
    trace_id: &str,
    attempt_id: &AttemptId,
    digest: &[u8],
    topic_id: Option<&TopicId>,
    exercise_id: Option<&ExerciseId>,
    course_id: Option<&CourseId>,
) -> DbResult<Opened> {
    Ok(sqlx::query_as(&format!(
        "WITH claim AS (
             INSERT INTO innova.attempt_requests (student_id, trace_id, attempt_id, body_digest)
             VALUES ($1, $2, $3, $4) ON CONFLICT (student_id, trace_id) DO NOTHING
             RETURNING attempt_id
         ), m AS (
             SELECT p_known FROM student_topic_mastery
             WHERE student_id = $1 AND topic_id = $5 AND EXISTS (SELECT 1 FROM claim)
             FOR UPDATE
         )
         SELECT EXISTS (SELECT 1 FROM claim) AS claimed,
                x.id IS NOT NULL AS exercise_found, x.content AS exercise_content,
                COALESCE({FROM_GUIDE}, false) AS exercise_from_guide,
                CASE WHEN $7::text IS NULL THEN NULL
                     ELSE EXISTS (SELECT 1 FROM enrollments e
                                  WHERE e.student_id = $1 AND e.course_id = $7
                                    AND e.status = 'ACTIVE')
                END AS enrolled,
                (SELECT p_known FROM m) AS p_known
         FROM (SELECT 1) AS one LEFT JOIN exercises x ON x.id = $6"
    ))
    .bind(student_id)
    .bind(trace_id)
    .bind(attempt_id)
    .bind(digest)
    .bind(topic_id)
    .bind(exercise_id)
    .bind(course_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// The attempt a retry key already belongs to ([`open`] answered `claimed: false`).
pub async fn claimed_key(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    trace_id: &str,
) -> DbResult<Option<ClaimedKey>> {
    Ok(sqlx::query_as(
        "SELECT attempt_id, body_digest FROM innova.attempt_requests
         WHERE student_id = $1 AND trace_id = $2",
    )
    .bind(student_id)
    .bind(trace_id)
    .fetch_optional(exec)
    .await?)
}

/// The mastery update [`store`] makes: the new `pKnown` (computed from the row [`open`] locked,
/// or from the topic's prior when there was none), at `now`, with the trend window starting at
/// `window_start`.
#[derive(Debug, Clone, Copy)]
pub struct MasteryWrite<'a> {
    pub topic_id: &'a TopicId,
    pub p_known: f64,
    /// [`open`] found (and locked) the row: update it; else insert it.
    pub existed: bool,
    pub now: NaiveDateTime,
    pub window_start: NaiveDateTime,
}

/// What [`store`] wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stored {
    /// The mastery row's attempts after the update; `None` when there was no mastery to write,
    /// or when the row appeared since [`open`] (a concurrent first attempt inserted it): apply
    /// the mastery with `mastery::apply_attempt`, which locks it, in the same transaction.
    pub attempts_count: Option<i32>,
    pub trend_7d: Option<f64>,
    /// The outbox row of `outbox_body`, when one was given.
    pub outbox_id: Option<i64>,
}

/// Stores an opened attempt in one statement: the attempt, its steps, the mastery row (with the
/// trend: `pKnown` minus the baseline — the last history point at or before the window's start,
/// else the first inside it, else the new point itself — exactly `bkt::trend_7d` over the points
/// it uses), the new history point with the pruning of points no trend can need any more, and,
/// for an attempt that asks for work, its message in the outbox (queue `outbox_queue`).
pub async fn store(
    conn: &mut PgConnection,
    a: &NewAttempt<'_>,
    steps: &[NewStep<'_>],
    mastery: Option<MasteryWrite<'_>>,
    outbox: Option<(&str, &str)>,
) -> DbResult<Stored> {
    let step_ids: Vec<String> = steps.iter().map(|_| super::new_id()).collect();
    let indexes: Vec<i32> = (0..steps.len() as i32).collect();
    let contents: Vec<&str> = steps.iter().map(|s| s.content_latex).collect();
    let verdicts: Vec<Option<bool>> = steps.iter().map(|s| s.is_correct).collect();
    let sql = match mastery {
        None => STORE_WITHOUT_MASTERY,
        Some(m) if m.existed => STORE_AND_UPDATE_MASTERY,
        Some(_) => STORE_AND_INSERT_MASTERY,
    };
    let (outbox_queue, outbox_body) = outbox.unzip();
    let row: (Option<i32>, Option<f64>, Option<i64>) = sqlx::query_as(sql)
        .bind(a.id)
        .bind(a.student_id)
        .bind(a.exercise_id)
        .bind(a.course_id)
        .bind(a.is_correct)
        .bind(a.error_tag_id)
        .bind(a.classifier_source.as_str())
        .bind(a.confidence)
        .bind(a.input_mode.as_str())
        .bind(a.status.as_str())
        .bind(a.trace_id)
        .bind(&step_ids)
        .bind(&indexes)
        .bind(&contents)
        .bind(&verdicts)
        .bind(mastery.map(|m| m.topic_id))
        .bind(mastery.map(|m| m.p_known))
        .bind(mastery.map(|m| m.now))
        .bind(mastery.map(|m| m.window_start))
        .bind(outbox_queue)
        .bind(outbox_body)
        .bind(super::outbox::REQUEST_GRACE_SECS as f64)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Stored {
        attempts_count: row.0,
        trend_7d: row.1,
        outbox_id: row.2,
    })
}

/// The parts of [`store`]'s statement: `$1`–`$11` the attempt, `$12`–`$15` the steps, `$16`
/// topic, `$17` pKnown, `$18` now, `$19` window start, `$20`–`$22` the outbox row.
macro_rules! store_attempt {
    ($mastery:expr, $counts:literal) => {
        concat!(
            "WITH a AS (
                 INSERT INTO attempts (id, student_id, exercise_id, course_id, is_correct,
                                       error_tag_id, classifier_source, confidence, input_mode,
                                       status, trace_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CURRENT_TIMESTAMP,
                         CURRENT_TIMESTAMP)
                 RETURNING id
             ), s AS (
                 INSERT INTO attempt_steps (id, attempt_id, step_index, content_latex, is_correct)
                 SELECT st.id, a.id, st.step_index, st.content_latex, st.is_correct
                 FROM a, UNNEST($12::text[], $13::int[], $14::text[], $15::bool[])
                      AS st(id, step_index, content_latex, is_correct)
                 ON CONFLICT (attempt_id, step_index) DO NOTHING
             ), o AS (
                 INSERT INTO innova.outbox (queue, body, group_id, next_attempt_at)
                 SELECT $20::text, $21::text, NULL,
                        CURRENT_TIMESTAMP + make_interval(secs => $22::float8)
                 WHERE $21::text IS NOT NULL
                 RETURNING id
             )",
            $mastery,
            " SELECT ",
            $counts,
            ", (SELECT id FROM o) AS outbox_id
             FROM (SELECT $16::text, $17::float8, $18::timestamp, $19::timestamp) AS unused"
        )
    };
}

/// The trend's baseline and the history write, shared by both mastery variants.
macro_rules! mastery_write {
    ($row_write:literal) => {
        concat!(
            ", base AS (
                 SELECT COALESCE(
                     (SELECT p_known FROM innova.mastery_history
                      WHERE student_id = $2 AND topic_id = $16 AND recorded_at <= $19
                      ORDER BY recorded_at DESC LIMIT 1),
                     (SELECT p_known FROM innova.mastery_history
                      WHERE student_id = $2 AND topic_id = $16 AND recorded_at > $19
                        AND recorded_at <= $18
                      ORDER BY recorded_at LIMIT 1),
                     $17::float8) AS p_known
             ), m AS (",
            $row_write,
            "), h AS (
                 INSERT INTO innova.mastery_history (student_id, topic_id, p_known, recorded_at)
                 SELECT $2, $16, $17, $18 FROM m
             ), pruned AS (
                 DELETE FROM innova.mastery_history
                 WHERE student_id = $2 AND topic_id = $16 AND EXISTS (SELECT 1 FROM m)
                   AND recorded_at < (SELECT max(recorded_at) FROM innova.mastery_history
                                      WHERE student_id = $2 AND topic_id = $16
                                        AND recorded_at <= $19)
             )"
        )
    };
}

const STORE_WITHOUT_MASTERY: &str =
    store_attempt!("", "NULL::int AS attempts_count, NULL::float8 AS trend_7d");

const STORE_AND_UPDATE_MASTERY: &str = store_attempt!(
    mastery_write!(
        "UPDATE student_topic_mastery
         SET p_known = $17, attempts_count = attempts_count + 1, last_attempt_at = $18,
             updated_at = $18, trend_7d = $17 - (SELECT p_known FROM base)
         WHERE student_id = $2 AND topic_id = $16
         RETURNING attempts_count, trend_7d"
    ),
    "(SELECT attempts_count FROM m), (SELECT trend_7d FROM m)"
);

const STORE_AND_INSERT_MASTERY: &str = store_attempt!(
    mastery_write!(
        "INSERT INTO student_topic_mastery
           (student_id, topic_id, p_known, attempts_count, last_attempt_at, updated_at, trend_7d)
         SELECT $2, $16, $17, 1, $18, $18, $17 - base.p_known FROM base
         ON CONFLICT (student_id, topic_id) DO NOTHING
         RETURNING attempts_count, trend_7d"
    ),
    "(SELECT attempts_count FROM m), (SELECT trend_7d FROM m)"
);
