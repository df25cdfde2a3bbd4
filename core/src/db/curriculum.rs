//! Curriculum and taxonomy: domains, subdomains, units, topics and topic prerequisites.

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, TopicId};
use sqlx::PgExecutor;

use super::{DbResult, new_id};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DomainRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubdomainRow {
    pub id: String,
    pub domain_id: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub curriculum_id: String,
    pub grade_level: i32,
    pub sequence: i32,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
}

/// A topic: the unit of mastery, with its BKT priors.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TopicRow {
    pub id: TopicId,
    pub unit_id: String,
    pub subdomain_id: Option<String>,
    pub domain_id: Option<String>,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub bkt_p_l0: f64,
    pub bkt_p_transit: f64,
    pub bkt_p_slip: f64,
    pub bkt_p_guess: f64,
    pub bkt_calibrated_at: Option<NaiveDateTime>,
}

/// A topic with the codes of its domain and subdomain (the rule engine's registry key is
/// `<domain code>_<subdomain code>`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TopicWithCodes {
    #[sqlx(flatten)]
    pub topic: TopicRow,
    pub domain_code: Option<String>,
    pub subdomain_code: Option<String>,
}

/// A topic to create; BKT priors default to the schema's (0.3 / 0.1 / 0.1 / 0.2).
#[derive(Debug, Clone, Default)]
pub struct NewTopic {
    pub unit_id: String,
    pub domain_id: Option<String>,
    pub subdomain_id: Option<String>,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
}

const TOPIC_COLUMNS: &str = "t.id, t.unit_id, t.subdomain_id, t.domain_id, t.code, t.name, \
     t.description, t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess, t.bkt_calibrated_at";

// ---- domains and subdomains ----------------------------------------------------------------

/// All domains, ordered by code.
pub async fn list_domains(exec: impl PgExecutor<'_>) -> DbResult<Vec<DomainRow>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, description FROM domains ORDER BY code")
            .fetch_all(exec)
            .await?,
    )
}

pub async fn domain_by_code(exec: impl PgExecutor<'_>, code: &str) -> DbResult<Option<DomainRow>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, description FROM domains WHERE code = $1")
            .bind(code)
            .fetch_optional(exec)
            .await?,
    )
}

/// The subdomains of a domain, ordered by code.
pub async fn subdomains_of_domain(
    exec: impl PgExecutor<'_>,
    domain_id: &str,
) -> DbResult<Vec<SubdomainRow>> {
    Ok(sqlx::query_as(
        "SELECT id, domain_id, code, name FROM subdomains WHERE domain_id = $1 ORDER BY code",
    )
    .bind(domain_id)
    .fetch_all(exec)
    .await?)
}

/// A subdomain by its domain's code and its own (subdomain codes repeat across domains).
pub async fn subdomain_by_codes(
    exec: impl PgExecutor<'_>,
    domain_code: &str,
    subdomain_code: &str,
) -> DbResult<Option<SubdomainRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.domain_id, s.code, s.name
         FROM subdomains s JOIN domains d ON d.id = s.domain_id
         WHERE d.code = $1 AND s.code = $2",
    )
    .bind(domain_code)
    .bind(subdomain_code)
    .fetch_optional(exec)
    .await?)
}

// ---- units ---------------------------------------------------------------------------------

pub async fn unit_by_id(exec: impl PgExecutor<'_>, id: &str) -> DbResult<Option<UnitRow>> {
    Ok(sqlx::query_as(
        "SELECT id, curriculum_id, grade_level, sequence, code, name, description
         FROM units WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The units of a curriculum in teaching order (grade, sequence, code).
pub async fn units_of_curriculum(
    exec: impl PgExecutor<'_>,
    curriculum_id: &str,
) -> DbResult<Vec<UnitRow>> {
    Ok(sqlx::query_as(
        "SELECT id, curriculum_id, grade_level, sequence, code, name, description
         FROM units WHERE curriculum_id = $1 ORDER BY grade_level, sequence, code, id",
    )
    .bind(curriculum_id)
    .fetch_all(exec)
    .await?)
}

// ---- topics --------------------------------------------------------------------------------

pub async fn topic_by_id(
    exec: impl PgExecutor<'_>,
    id: &TopicId,
) -> DbResult<Option<TopicWithCodes>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS}, d.code AS domain_code, s.code AS subdomain_code
         FROM topics t
         LEFT JOIN domains d ON d.id = t.domain_id
         LEFT JOIN subdomains s ON s.id = t.subdomain_id
         WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The topics of a unit, ordered by code.
pub async fn topics_of_unit(exec: impl PgExecutor<'_>, unit_id: &str) -> DbResult<Vec<TopicRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.unit_id = $1 ORDER BY t.code, t.id"
    ))
    .bind(unit_id)
    .fetch_all(exec)
    .await?)
}

/// Finds a topic by code, deterministically (decisions.md 17). Topic codes are unique only
/// within a unit (after the seed, `ADD`, `SUB`, `MUL`… exist under several domains), so among
/// the topics with exactly this code:
///
/// 1. when `course_id` is given, topics of the **course's curriculum** come first: units of a
///    curriculum for the course's subject and its school's country;
/// 2. then the curriculum's teaching order: the unit's grade level, its sequence, its code;
/// 3. finally the topic id, so equal candidates still resolve the same way every time.
///
/// With the seed, `SUB` therefore resolves to ARITH:SUB (unit sequence 1) rather than INT:SUB
/// or DEC:SUB, as the reference's unordered lookup happened to do on a fresh database.
pub async fn topic_by_code(
    exec: impl PgExecutor<'_>,
    code: &str,
    course_id: Option<&CourseId>,
) -> DbResult<Option<TopicWithCodes>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS}, d.code AS domain_code, s.code AS subdomain_code
         FROM topics t
         JOIN units u ON u.id = t.unit_id
         JOIN curricula cu ON cu.id = u.curriculum_id
         LEFT JOIN domains d ON d.id = t.domain_id
         LEFT JOIN subdomains s ON s.id = t.subdomain_id
         LEFT JOIN (
             SELECT c.subject_id, o.country
             FROM courses c
             JOIN schools sc ON sc.id = c.school_id
             JOIN organizations o ON o.id = sc.organization_id
             WHERE c.id = $2
         ) course ON course.subject_id = cu.subject_id AND course.country = cu.country
         WHERE t.code = $1
         ORDER BY (course.subject_id IS NOT NULL) DESC, u.grade_level, u.sequence, u.code, t.id
         LIMIT 1"
    ))
    .bind(code)
    .bind(course_id)
    .fetch_optional(exec)
    .await?)
}

/// A topic of the catalogue with what [`topic_by_code`] orders candidates by: the subject and
/// country of its curriculum.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogTopic {
    #[sqlx(flatten)]
    pub topic: TopicWithCodes,
    pub subject_id: String,
    pub country: String,
}

/// Every topic, in [`topic_by_code`]'s teaching order (the unit's grade level, sequence and code,
/// then the topic id — ordered by the database, so its collation decides as it does there), for
/// a cache that resolves codes without a query ([`topic_by_code`] is the reference).
pub async fn topic_catalog(exec: impl PgExecutor<'_>) -> DbResult<Vec<CatalogTopic>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS}, d.code AS domain_code, s.code AS subdomain_code,
                cu.subject_id, cu.country
         FROM topics t
         JOIN units u ON u.id = t.unit_id
         JOIN curricula cu ON cu.id = u.curriculum_id
         LEFT JOIN domains d ON d.id = t.domain_id
         LEFT JOIN subdomains s ON s.id = t.subdomain_id
         ORDER BY u.grade_level, u.sequence, u.code, t.id"
    ))
    .fetch_all(exec)
    .await?)
}

/// The subject and country of a course's curriculum (what [`topic_by_code`] prefers), if the
/// course exists.
pub async fn course_scope(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
) -> DbResult<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT c.subject_id, o.country
         FROM courses c
         JOIN schools sc ON sc.id = c.school_id
         JOIN organizations o ON o.id = sc.organization_id
         WHERE c.id = $1",
    )
    .bind(course_id)
    .fetch_optional(exec)
    .await?)
}

/// Inserts a topic; an unknown `unit_id` is [`super::DbError::MissingReference`] `unitId`, a
/// code already used in the unit is a conflict on `unitId, code`.
pub async fn insert_topic(exec: impl PgExecutor<'_>, topic: &NewTopic) -> DbResult<TopicRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO topics AS t (id, unit_id, domain_id, subdomain_id, code, name, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {TOPIC_COLUMNS}"
    ))
    .bind(new_id())
    .bind(&topic.unit_id)
    .bind(&topic.domain_id)
    .bind(&topic.subdomain_id)
    .bind(&topic.code)
    .bind(&topic.name)
    .bind(&topic.description)
    .fetch_one(exec)
    .await?)
}

/// Codes of the topics that come before this one (its prerequisites), ordered.
pub async fn prerequisite_codes(
    exec: impl PgExecutor<'_>,
    topic_id: &TopicId,
) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT p.code FROM topic_prerequisites tp
         JOIN topics p ON p.id = tp.prerequisite_topic_id
         WHERE tp.topic_id = $1
         ORDER BY p.code, p.id",
    )
    .bind(topic_id)
    .fetch_all(exec)
    .await?)
}

// --- Classrooms, parents, skills: topic CRUD (`/skills`) ------------------------------------

/// All subdomains, ordered by domain and code (the taxonomy tree's leaves, read at once).
pub async fn list_subdomains(exec: impl PgExecutor<'_>) -> DbResult<Vec<SubdomainRow>> {
    Ok(sqlx::query_as(
        "SELECT id, domain_id, code, name FROM subdomains ORDER BY domain_id, code, id",
    )
    .fetch_all(exec)
    .await?)
}

pub async fn subdomain_by_id(
    exec: impl PgExecutor<'_>,
    id: &str,
) -> DbResult<Option<SubdomainRow>> {
    Ok(
        sqlx::query_as("SELECT id, domain_id, code, name FROM subdomains WHERE id = $1")
            .bind(id)
            .fetch_optional(exec)
            .await?,
    )
}

/// The first unit in teaching order (grade, sequence, code, id): where a topic created without
/// a unit goes (the reference took an arbitrary first unit).
pub async fn first_unit(exec: impl PgExecutor<'_>) -> DbResult<Option<UnitRow>> {
    Ok(sqlx::query_as(
        "SELECT id, curriculum_id, grade_level, sequence, code, name, description
         FROM units ORDER BY grade_level, sequence, code, id LIMIT 1",
    )
    .fetch_optional(exec)
    .await?)
}

/// A page of all topics, ordered by unit id (the reference's order), then code and id.
pub async fn list_topics(
    exec: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<TopicRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t ORDER BY t.unit_id, t.code, t.id LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?)
}

/// What to change in a topic; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct TopicChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
}

/// Updates a topic in one statement; `None` for an unknown id. A code already used in the
/// topic's unit is a conflict on `unitId, code`.
pub async fn update_topic(
    exec: impl PgExecutor<'_>,
    id: &TopicId,
    changes: &TopicChanges,
) -> DbResult<Option<TopicRow>> {
    let (set_description, description) = match &changes.description {
        Some(d) => (true, d.clone()),
        None => (false, None),
    };
    Ok(sqlx::query_as(&format!(
        "UPDATE topics AS t
         SET code = COALESCE($2, t.code),
             name = COALESCE($3, t.name),
             description = CASE WHEN $4 THEN $5 ELSE t.description END
         WHERE t.id = $1
         RETURNING {TOPIC_COLUMNS}"
    ))
    .bind(id)
    .bind(&changes.code)
    .bind(&changes.name)
    .bind(set_description)
    .bind(description)
    .fetch_optional(exec)
    .await?)
}

/// The rows that keep a topic from being deleted (its foreign keys are RESTRICT): exercises,
/// students' mastery estimates, and topics that list it as a prerequisite (their codes). Its own
/// prerequisite links are not in the way: they go with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicReferences {
    pub exercises: i64,
    pub mastery_rows: i64,
    /// Codes of the topics that have this one as a prerequisite, ordered.
    pub dependents: Vec<String>,
}

impl TopicReferences {
    pub fn is_empty(&self) -> bool {
        self.exercises == 0 && self.mastery_rows == 0 && self.dependents.is_empty()
    }
}

pub async fn topic_references(
    exec: impl PgExecutor<'_>,
    id: &TopicId,
) -> DbResult<TopicReferences> {
    let (exercises, mastery_rows, dependents): (i64, i64, Vec<String>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM exercises WHERE topic_id = $1),
                (SELECT count(*) FROM student_topic_mastery WHERE topic_id = $1),
                COALESCE((SELECT array_agg(t.code ORDER BY t.code, t.id)
                          FROM topic_prerequisites tp JOIN topics t ON t.id = tp.topic_id
                          WHERE tp.prerequisite_topic_id = $1), '{}')",
    )
    .bind(id)
    .fetch_one(exec)
    .await?;
    Ok(TopicReferences {
        exercises,
        mastery_rows,
        dependents,
    })
}

/// Deletes a topic and its own prerequisite links; `false` when there was no such topic. Rows
/// still referencing it (see [`topic_references`]) make this a
/// [`super::DbError::Conflict`]; alerts and guide questions about it lose their topic (their
/// foreign keys are SET NULL), learning-objective links go (CASCADE). Run it in a transaction.
pub async fn delete_topic(conn: &mut super::PgConnection, id: &TopicId) -> DbResult<bool> {
    sqlx::query("DELETE FROM topic_prerequisites WHERE topic_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let deleted = sqlx::query("DELETE FROM topics WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(deleted > 0)
}
