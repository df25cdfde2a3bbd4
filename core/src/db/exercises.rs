//! The exercise bank (`exercises`): items teachers write, the bank's list and views with their
//! topic, the candidates of the recommenders, and what an exercise-generation request names.

use chrono::NaiveDateTime;
pub use innova_domain::vocab::{ExerciseSource, ExerciseStatus};
use sqlx::PgExecutor;

use super::DbResult;
use super::curriculum::TopicRow;

/// A stored exercise (the reference's raw `Exercise` row).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExerciseRow {
    pub id: String,
    pub topic_id: String,
    #[sqlx(try_from = "String")]
    pub source: ExerciseSource,
    /// A `teachers.id` (no foreign key in the reference schema).
    pub created_by_teacher_id: Option<String>,
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

const COLUMNS: &str = "x.id, x.topic_id, x.source, x.created_by_teacher_id, x.content, x.language, \
     x.irt_a, x.irt_b, x.irt_calibrated_at, x.status, x.created_at";

/// An exercise to insert (ACTIVE, language `es`, `created_at` the database's clock).
#[derive(Debug, Clone)]
pub struct NewExercise<'a> {
    pub topic_id: &'a str,
    pub source: ExerciseSource,
    pub created_by_teacher_id: Option<&'a str>,
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

/// An exercise of any status, with its topic.
pub async fn find(exec: impl PgExecutor<'_>, id: &str) -> DbResult<Option<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// `(irtA, irtB)` of an exercise.
pub async fn irt(exec: impl PgExecutor<'_>, id: &str) -> DbResult<Option<(f64, f64)>> {
    Ok(
        sqlx::query_as("SELECT irt_a, irt_b FROM exercises WHERE id = $1")
            .bind(id)
            .fetch_optional(exec)
            .await?,
    )
}

/// ACTIVE exercises, oldest first (ties: id), optionally only those whose topic has the code
/// `topic_code` (codes repeat across units: every such topic counts, as the reference's relation
/// filter), `limit` of them after skipping `offset`.
pub async fn list_active(
    exec: impl PgExecutor<'_>,
    topic_code: Option<&str>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.status = 'ACTIVE' AND ($1::text IS NULL OR t.code = $1)
         ORDER BY x.created_at, x.id
         LIMIT $2 OFFSET $3"
    ))
    .bind(topic_code)
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?)
}

/// Exercises by id (any status), in no particular order; unknown ids are skipped.
pub async fn by_ids(exec: impl PgExecutor<'_>, ids: &[String]) -> DbResult<Vec<ExerciseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM exercises x WHERE x.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// The ids among `ids` that are no exercise, each once, in the order given.
pub async fn missing(exec: impl PgExecutor<'_>, ids: &[String]) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT g.id FROM UNNEST($1::text[]) WITH ORDINALITY AS g(id, n)
         WHERE NOT EXISTS (SELECT 1 FROM exercises x WHERE x.id = g.id)
         GROUP BY g.id ORDER BY min(g.n)",
    )
    .bind(ids)
    .fetch_all(exec)
    .await?)
}

/// Every ACTIVE exercise of these topics (no limit), oldest first (ties: id): the candidates of
/// the assignment recommender.
pub async fn active_of_topics(
    exec: impl PgExecutor<'_>,
    topic_ids: &[String],
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.topic_id = ANY($1) AND x.status = 'ACTIVE'
         ORDER BY x.created_at, x.id"
    ))
    .bind(topic_ids)
    .fetch_all(exec)
    .await?)
}

/// At most `limit` ACTIVE exercises, oldest first (ties: id), optionally only those whose topic
/// belongs to the domain `domain_id`: the candidates of the practice recommender.
pub async fn active_in_domain(
    exec: impl PgExecutor<'_>,
    domain_id: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ExerciseWithTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, t.code AS topic_code, t.name AS topic_name
         FROM exercises x JOIN topics t ON t.id = x.topic_id
         WHERE x.status = 'ACTIVE' AND ($1::text IS NULL OR t.domain_id = $1)
         ORDER BY x.created_at, x.id
         LIMIT $2"
    ))
    .bind(domain_id)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// Topics by id, in no particular order; unknown ids are skipped.
pub async fn topics_by_ids(exec: impl PgExecutor<'_>, ids: &[String]) -> DbResult<Vec<TopicRow>> {
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
