//! Curriculum and taxonomy: domains, subdomains, units, topics and topic prerequisites.

use chrono::NaiveDateTime;
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
    pub id: String,
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

pub async fn topic_by_id(exec: impl PgExecutor<'_>, id: &str) -> DbResult<Option<TopicWithCodes>> {
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
    course_id: Option<&str>,
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
    topic_id: &str,
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
