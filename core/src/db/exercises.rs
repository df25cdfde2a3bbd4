//! The exercise bank (`exercises`): items teachers write, the bank's list and views with their
//! topic, the candidates of the recommenders, and what an exercise-generation request names.

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, ExerciseId, TeacherId, TopicId};
pub use innova_domain::vocab::{ExerciseSource, ExerciseStatus};
use sqlx::PgExecutor;

use super::DbResult;
use super::curriculum::TopicRow;

/// A stored exercise (the reference's raw `Exercise` row).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExerciseRow {
    pub id: ExerciseId,
    pub topic_id: TopicId,
    #[sqlx(try_from = "String")]
    pub source: ExerciseSource,
    /// A `teachers.id` (no foreign key in the reference schema).
    pub created_by_teacher_id: Option<TeacherId>,
    /// Free-form JSON (data-model.md §2.5 lists the shapes in use).
    pub content: serde_json::Value,
    pub language: String,
    pub irt_a: f64,
    pub irt_b: f64,
    pub irt_calibrated_at: Option<NaiveDateTime>,
    #[sqlx(try_from = "String")]
    pub status: ExerciseStatus,
    pub created_at: NaiveDateTime,
}

/// An exercise with the code and name of its topic.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExerciseWithTopic {
    #[sqlx(flatten)]
    pub exercise: ExerciseRow,
    pub topic_code: String,
    pub topic_name: String,
}

/// Who reads the bank. An exercise made from a course's guide carries that guide's answer key
/// (its `content.final_answer`), so only the course's teachers and admins may list or read it;
/// the shared bank (seed, teachers' items, the AI engine's generated ones) is open to every
/// signed-in user. Students reach a guide's questions through the guide routes, which follow
/// its own rule (`showSolutionAfterGrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankReader<'a> {
    /// Reads everything.
    Admin,
    /// Reads the shared bank and the guide exercises of the courses this teacher teaches.
    Teacher(&'a TeacherId),
    /// Students, parents, and anyone else: the shared bank only.
    Learner,
}

impl<'a> BankReader<'a> {
    fn admin(self) -> bool {
        self == BankReader::Admin
    }

    fn teacher(self) -> Option<&'a str> {
        match self {
            BankReader::Teacher(id) => Some(id),
            _ => None,
        }
    }
}

/// SQL, true when the exercise `x` was made from a guide: marked `GUIDE_EXTRACTED`, or linked
/// from a guide question (`guide_questions.exercise_id`, unique and indexed).
pub const FROM_GUIDE: &str = "(x.source = 'GUIDE_EXTRACTED' OR EXISTS \
     (SELECT 1 FROM guide_questions gq WHERE gq.exercise_id = x.id))";

/// SQL, true when the exercise `x` is readable by the [`BankReader`] bound as `$<admin>` (bool)
/// and `$<teacher>` (text, null unless a teacher).
fn readable(admin: u8, teacher: u8) -> String {
    format!(
        "(NOT {FROM_GUIDE} OR ${admin} OR EXISTS (
             SELECT 1 FROM guide_questions gq
             JOIN guides g ON g.id = gq.guide_id
             JOIN course_teachers ct ON ct.course_id = g.course_id
             WHERE gq.exercise_id = x.id AND ct.teacher_id = ${teacher}))"
    )
}

const COLUMNS: &str = "x.id, x.topic_id, x.source, x.created_by_teacher_id, x.content, x.language, \
     x.irt_a, x.irt_b, x.irt_calibrated_at, x.status, x.created_at";

/// An exercise to insert (ACTIVE, language `es`, `created_at` the database's clock).
#[derive(Debug, Clone)]
pub struct NewExercise<'a> {
    pub topic_id: &'a TopicId,
    pub source: ExerciseSource,
    pub created_by_teacher_id: Option<&'a TeacherId>,
    pub content: &'a serde_json::Value,
    pub irt_a: f64,
    pub irt_b: f64,
}

/// Inserts an ACTIVE exercise with a new id. An unknown topic is
/// [`super::DbError::MissingReference`] `topicId`.
pub async fn insert(exec: impl PgExecutor<'_>, x: &NewExercise<'_>) -> DbResult<ExerciseRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO exercises AS x (id, topic_id, source, created_by_teacher_id, content, irt_a,
                                     irt_b, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE')
         RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(x.topic_id)
    .bind(x.source.as_str())
    .bind(x.created_by_teacher_id)
    .bind(x.content)
    .bind(x.irt_a)
    .bind(x.irt_b)
    .fetch_one(exec)
    .await?)
}

/// Whose an exercise is, for reading it: the shared bank's, or a guide's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The shared bank: every signed-in user reads it.
    Bank,
    /// Made from a guide of this course (`None`: marked `GUIDE_EXTRACTED` but linked from no
    /// question, so no course's teachers read it; admins do).
    Guide(Option<CourseId>),
}

/// An exercise of any status, with its topic and its [`Owner`].
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OwnedExercise {
    #[sqlx(flatten)]
    pub exercise: ExerciseWithTopic,
    from_guide: bool,
    guide_course_id: Option<CourseId>,
}

impl OwnedExercise {
    pub fn owner(&self) -> Owner {
        if self.from_guide {
            Owner::Guide(self.guide_course_id.clone())
        } else {
            Owner::Bank
        }
    }
}

/// An exercise of any status, with its topic and whose it is.
pub async fn find(exec: impl PgExecutor<'_>, id: &ExerciseId) -> DbResult<Option<OwnedExercise>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name,
                {FROM_GUIDE} AS from_guide,
                (SELECT g.course_id FROM guide_questions gq JOIN guides g ON g.id = gq.guide_id
                 WHERE gq.exercise_id = x.id) AS guide_course_id
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// `(irtA, irtB)` of an exercise `reader` may read (an exercise it may not is as unknown).
pub async fn irt(
    exec: impl PgExecutor<'_>,
    id: &ExerciseId,
    reader: BankReader<'_>,
) -> DbResult<Option<(f64, f64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT x.irt_a, x.irt_b FROM exercises x WHERE x.id = $1 AND {}",
        readable(2, 3)
    ))
    .bind(id)
    .bind(reader.admin())
    .bind(reader.teacher())
    .fetch_optional(exec)
    .await?)
}

/// ACTIVE exercises `reader` may read, oldest first (ties: id), optionally only those whose
/// topic has the code `topic_code` (codes repeat across units: every such topic counts, as the
/// reference's relation filter), `limit` of them after skipping `offset`.
pub async fn list_active(
    exec: impl PgExecutor<'_>,
    reader: BankReader<'_>,
    topic_code: Option<&str>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.status = 'ACTIVE' AND ($1::text IS NULL OR t.code = $1) AND {}
         ORDER BY x.created_at, x.id
         LIMIT $2 OFFSET $3",
        readable(4, 5)
    ))
    .bind(topic_code)
    .bind(limit)
    .bind(offset)
    .bind(reader.admin())
    .bind(reader.teacher())
    .fetch_all(exec)
    .await?)
}

/// Exercises by id (any status), in no particular order; unknown ids are skipped.
pub async fn by_ids(exec: impl PgExecutor<'_>, ids: &[ExerciseId]) -> DbResult<Vec<ExerciseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM exercises x WHERE x.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// Exercises by id (any status) that `reader` may read, in no particular order; unknown and
/// unreadable ids are skipped.
pub async fn readable_by_ids(
    exec: impl PgExecutor<'_>,
    ids: &[ExerciseId],
    reader: BankReader<'_>,
) -> DbResult<Vec<ExerciseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM exercises x WHERE x.id = ANY($1) AND {}",
        readable(2, 3)
    ))
    .bind(ids)
    .bind(reader.admin())
    .bind(reader.teacher())
    .fetch_all(exec)
    .await?)
}

/// The ids among `ids` that are exercises made from a guide, each once, in the order given.
pub async fn from_guides(
    exec: impl PgExecutor<'_>,
    ids: &[ExerciseId],
) -> DbResult<Vec<ExerciseId>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT x.id FROM exercises x
         JOIN (SELECT g.id, min(g.n) AS n FROM UNNEST($1::text[]) WITH ORDINALITY AS g(id, n)
               GROUP BY g.id) g ON g.id = x.id
         WHERE {FROM_GUIDE}
         ORDER BY g.n"
    ))
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// The ids among `ids` that are no exercise, each once, in the order given.
pub async fn missing(exec: impl PgExecutor<'_>, ids: &[ExerciseId]) -> DbResult<Vec<ExerciseId>> {
    Ok(sqlx::query_scalar(
        "SELECT g.id FROM UNNEST($1::text[]) WITH ORDINALITY AS g(id, n)
         WHERE NOT EXISTS (SELECT 1 FROM exercises x WHERE x.id = g.id)
         GROUP BY g.id ORDER BY min(g.n)",
    )
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// Every ACTIVE exercise of the shared bank of these topics (no limit), oldest first (ties:
/// id): the candidates of the assignment recommender (recommendations are practice for a
/// student, so never a guide's exercise, whose answer is the guide's key).
pub async fn active_of_topics(
    exec: impl PgExecutor<'_>,
    topic_ids: &[TopicId],
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.topic_id = ANY($1) AND x.status = 'ACTIVE' AND NOT {FROM_GUIDE}
         ORDER BY x.created_at, x.id"
    ))
    .bind(topic_ids)
    .fetch_all(exec)
    .await?)
}

/// At most `limit` ACTIVE exercises of the shared bank (no guide's), oldest first (ties: id),
/// optionally only those whose topic belongs to the domain `domain_id`: the candidates of the
/// practice recommender.
pub async fn active_in_domain(
    exec: impl PgExecutor<'_>,
    domain_id: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.status = 'ACTIVE' AND ($1::text IS NULL OR t.domain_id = $1)
           AND NOT {FROM_GUIDE}
         ORDER BY x.created_at, x.id
         LIMIT $2"
    ))
    .bind(domain_id)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// Topics by id, in no particular order; unknown ids are skipped.
pub async fn topics_by_ids(exec: impl PgExecutor<'_>, ids: &[TopicId]) -> DbResult<Vec<TopicRow>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.unit_id, t.subdomain_id, t.domain_id, t.code, t.name, t.description,
                t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess, t.bkt_calibrated_at
         FROM topics t WHERE t.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// What an exercise-generation request names, checked in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationReferences {
    /// Some subdomain (of any domain: the codes are bare) has the code.
    pub subdomain_exists: bool,
    /// The target error codes that are no error tag's code, each once, in the order given.
    pub unknown_error_codes: Vec<String>,
}

pub async fn generation_references(
    exec: impl PgExecutor<'_>,
    subdomain_code: &str,
    error_codes: &[String],
) -> DbResult<GenerationReferences> {
    let (subdomain_exists, unknown_error_codes): (bool, Vec<String>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM subdomains WHERE code = $1),
                COALESCE((SELECT array_agg(u.code ORDER BY u.n)
                          FROM (SELECT g.code, min(g.n) AS n
                                FROM UNNEST($2::text[]) WITH ORDINALITY AS g(code, n)
                                WHERE NOT EXISTS (SELECT 1 FROM error_tags e WHERE e.code = g.code)
                                GROUP BY g.code) u), '{}')",
    )
    .bind(subdomain_code)
    .bind(error_codes)
    .fetch_one(exec)
    .await?;
    Ok(GenerationReferences {
        subdomain_exists,
        unknown_error_codes,
    })
}
