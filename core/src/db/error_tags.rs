//! The error-tag (misconception) catalogue: lookups, status changes and the batched upsert the
//! catalog import uses.

use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

use super::enums::{ErrorSeverity, ErrorSource, ErrorStatus};
use super::{DbError, DbResult, new_id};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ErrorTagRow {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Legacy topic code; `None` means the tag applies to several topics.
    pub topic_scope: Option<String>,
    pub description: String,
    pub domain_id: Option<String>,
    /// Free text, deliberately without a foreign key (data-model.md §6.3).
    pub subdomain_code: Option<String>,
    pub source: ErrorSource,
    pub status: ErrorStatus,
    pub severity: ErrorSeverity,
    pub applicable_grades: Vec<i32>,
    pub evidence_required: Vec<String>,
    pub diagnostic_hint: Option<String>,
    pub remediation: Option<String>,
    pub references: Vec<String>,
    pub deprecated_by_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// NULL arrays (Prisma creates list columns nullable) read as empty.
const COLUMNS: &str = "id, code, name, topic_scope, description, domain_id, subdomain_code, \
     source, status, severity, COALESCE(applicable_grades, '{}') AS applicable_grades, \
     COALESCE(evidence_required, '{}') AS evidence_required, diagnostic_hint, remediation, \
     COALESCE(\"references\", '{}') AS \"references\", deprecated_by_id, created_at, updated_at";

/// A tag to create (also one validated catalogue line, see [`upsert_batch`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewErrorTag {
    pub code: String,
    pub name: String,
    pub description: String,
    pub domain_id: Option<String>,
    pub subdomain_code: Option<String>,
    pub topic_scope: Option<String>,
    pub severity: ErrorSeverity,
    pub source: ErrorSource,
    pub status: ErrorStatus,
    pub applicable_grades: Vec<i32>,
    pub evidence_required: Vec<String>,
    pub diagnostic_hint: Option<String>,
    pub remediation: Option<String>,
    pub references: Vec<String>,
}

pub async fn by_code(exec: impl PgExecutor<'_>, code: &str) -> DbResult<Option<ErrorTagRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM error_tags WHERE code = $1"))
            .bind(code)
            .fetch_optional(exec)
            .await?,
    )
}

pub async fn by_id(exec: impl PgExecutor<'_>, id: &str) -> DbResult<Option<ErrorTagRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM error_tags WHERE id = $1"))
            .bind(id)
            .fetch_optional(exec)
            .await?,
    )
}

/// The id of the tag with this code (how classifications are stored: `error_tag_id`).
/// Every tag's code and id (any status), for the catalogue cache.
pub async fn codes_and_ids(exec: impl PgExecutor<'_>) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT code, id FROM error_tags")
        .fetch_all(exec)
        .await?)
}

pub async fn id_by_code(exec: impl PgExecutor<'_>, code: &str) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM error_tags WHERE code = $1")
            .bind(code)
            .fetch_optional(exec)
            .await?,
    )
}

/// ACTIVE tags of a domain, optionally of one subdomain code, ordered by code: the choices a
/// classifier may return.
pub async fn active_for(
    exec: impl PgExecutor<'_>,
    domain_id: &str,
    subdomain_code: Option<&str>,
) -> DbResult<Vec<ErrorTagRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM error_tags
         WHERE domain_id = $1 AND status = 'ACTIVE' AND ($2::text IS NULL OR subdomain_code = $2)
         ORDER BY code"
    ))
    .bind(domain_id)
    .bind(subdomain_code)
    .fetch_all(exec)
    .await?)
}

/// Number of tags per status, in the enum's order (statuses without tags included, as 0).
pub async fn count_by_status(exec: impl PgExecutor<'_>) -> DbResult<Vec<(ErrorStatus, i64)>> {
    let counts: Vec<(ErrorStatus, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM error_tags GROUP BY status")
            .fetch_all(exec)
            .await?;
    Ok(ErrorStatus::ALL
        .iter()
        .map(|s| {
            (
                *s,
                counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
            )
        })
        .collect())
}

/// Inserts one tag; an existing code is a [`DbError::Conflict`] on `code`.
pub async fn insert(exec: impl PgExecutor<'_>, tag: &NewErrorTag) -> DbResult<ErrorTagRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO error_tags (id, code, name, description, domain_id, subdomain_code,
                                 topic_scope, severity, source, status, applicable_grades,
                                 evidence_required, diagnostic_hint, remediation, \"references\",
                                 updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 CURRENT_TIMESTAMP)
         RETURNING {COLUMNS}"
    ))
    .bind(new_id())
    .bind(&tag.code)
    .bind(&tag.name)
    .bind(&tag.description)
    .bind(&tag.domain_id)
    .bind(&tag.subdomain_code)
    .bind(&tag.topic_scope)
    .bind(tag.severity)
    .bind(tag.source)
    .bind(tag.status)
    .bind(&tag.applicable_grades)
    .bind(&tag.evidence_required)
    .bind(&tag.diagnostic_hint)
    .bind(&tag.remediation)
    .bind(&tag.references)
    .fetch_one(exec)
    .await?)
}

/// Sets a tag's status (`PATCH /admin/error-tags/:code/status`).
pub async fn set_status(
    exec: impl PgExecutor<'_>,
    code: &str,
    status: ErrorStatus,
) -> DbResult<ErrorTagRow> {
    sqlx::query_as(&format!(
        "UPDATE error_tags SET status = $2, updated_at = CURRENT_TIMESTAMP WHERE code = $1
         RETURNING {COLUMNS}"
    ))
    .bind(code)
    .bind(status)
    .fetch_optional(exec)
    .await?
    .ok_or_else(|| DbError::not_found("error tag", code))
}

/// Deprecates a tag in favour of its successor (tags are never deleted).
pub async fn deprecate(
    exec: impl PgExecutor<'_>,
    code: &str,
    successor_code: &str,
) -> DbResult<ErrorTagRow> {
    if successor_code == code {
        return Err(DbError::Invalid {
            field: "deprecatedBy".into(),
            message: "a tag cannot succeed itself".into(),
        });
    }
    let row: Option<ErrorTagRow> = sqlx::query_as(&format!(
        "UPDATE error_tags
         SET status = 'DEPRECATED', updated_at = CURRENT_TIMESTAMP,
             deprecated_by_id = (SELECT id FROM error_tags WHERE code = $2)
         WHERE code = $1 AND EXISTS (SELECT 1 FROM error_tags WHERE code = $2)
         RETURNING {COLUMNS}"
    ))
    .bind(code)
    .bind(successor_code)
    .fetch_optional(exec)
    .await?;
    row.ok_or_else(|| DbError::not_found("error tag", format!("{code} or {successor_code}")))
}

/// Counts of one [`upsert_batch`] call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    /// Existing rows whose content (or DRAFT → ACTIVE status) changed.
    pub updated: u64,
    /// Existing rows that were already identical.
    pub unchanged: u64,
}

/// Upserts catalogue rows by code, in two set-based statements (the whole batch travels as one
/// JSON parameter and is expanded with `jsonb_to_recordset`):
///
/// * existing codes get the line's content (name, description, domain, subdomain code, topic
///   scope, severity, grades, evidence, hint, remediation, references). Their **source and
///   status are kept** — provenance is fixed at creation and the lifecycle belongs to the admin
///   API — except that `activate` promotes a DRAFT tag to ACTIVE. Rows that would not change
///   are not touched (their `updated_at` stays);
/// * new codes are inserted with the line's source and status (ACTIVE when `activate`).
///
/// Codes must be unique within `tags` (the catalog import rejects duplicates first). Run it in
/// a transaction with the rest of an import.
pub async fn upsert_batch(
    conn: &mut PgConnection,
    tags: &[NewErrorTag],
    activate: bool,
) -> DbResult<UpsertCounts> {
    if tags.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let batch = sqlx::types::Json(tags);
    const RECORD: &str = "jsonb_to_recordset($1::jsonb) AS r(
        code text, name text, description text, domain_id text, subdomain_code text,
        topic_scope text, severity text, source text, status text, applicable_grades integer[],
        evidence_required text[], diagnostic_hint text, remediation text, \"references\" text[])";

    let updated = sqlx::query(&format!(
        "UPDATE error_tags t
         SET name = r.name, description = r.description, domain_id = r.domain_id,
             subdomain_code = r.subdomain_code, topic_scope = r.topic_scope,
             severity = r.severity::\"ErrorSeverity\", applicable_grades = r.applicable_grades,
             evidence_required = r.evidence_required, diagnostic_hint = r.diagnostic_hint,
             remediation = r.remediation, \"references\" = r.\"references\",
             status = CASE WHEN $2 AND t.status = 'DRAFT' THEN 'ACTIVE' ELSE t.status END,
             updated_at = CURRENT_TIMESTAMP
         FROM {RECORD}
         WHERE t.code = r.code
           AND (t.name, t.description, t.domain_id, t.subdomain_code, t.topic_scope,
                t.severity::text, t.applicable_grades, t.evidence_required, t.diagnostic_hint,
                t.remediation, t.\"references\",
                CASE WHEN $2 AND t.status = 'DRAFT' THEN 'ACTIVE' ELSE t.status::text END)
               IS DISTINCT FROM
               (r.name, r.description, r.domain_id, r.subdomain_code, r.topic_scope,
                r.severity, r.applicable_grades, r.evidence_required, r.diagnostic_hint,
                r.remediation, r.\"references\", t.status::text)"
    ))
    .bind(batch)
    .bind(activate)
    .execute(&mut *conn)
    .await?
    .rows_affected();

    let inserted = sqlx::query(&format!(
        "INSERT INTO error_tags (id, code, name, description, domain_id, subdomain_code,
                                 topic_scope, severity, source, status, applicable_grades,
                                 evidence_required, diagnostic_hint, remediation, \"references\",
                                 created_at, updated_at)
         SELECT gen_random_uuid()::text, r.code, r.name, r.description, r.domain_id,
                r.subdomain_code, r.topic_scope, r.severity::\"ErrorSeverity\",
                r.source::\"ErrorSource\",
                (CASE WHEN $2 THEN 'ACTIVE' ELSE r.status END)::\"ErrorStatus\",
                r.applicable_grades, r.evidence_required, r.diagnostic_hint, r.remediation,
                r.\"references\", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
         FROM {RECORD}
         ON CONFLICT (code) DO NOTHING"
    ))
    .bind(batch)
    .bind(activate)
    .execute(&mut *conn)
    .await?
    .rows_affected();

    let total = tags.len() as u64;
    Ok(UpsertCounts {
        inserted,
        updated,
        unchanged: total.saturating_sub(inserted + updated),
    })
}

// ---- the admin catalogue (`/admin/error-tags`) --------------------------------------------------

/// A tag as the admin catalogue shows it: its own columns and its domain's code and name (on the
/// wire as it is).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    rename = "ErrorTagAdminView",
    description = "A tag as the admin catalogue shows it."
)]
pub struct AdminTagRow {
    pub code: String,
    pub name: String,
    pub domain_code: Option<String>,
    pub domain_name: Option<String>,
    pub subdomain_code: Option<String>,
    pub source: ErrorSource,
    pub status: ErrorStatus,
    pub severity: ErrorSeverity,
    /// Grades 1–12.
    pub applicable_grades: Vec<i32>,
    pub diagnostic_hint: Option<String>,
}

/// The columns of [`AdminTagRow`], over `error_tags t LEFT JOIN domains d`.
const ADMIN_COLUMNS: &str = "t.code, t.name, d.code AS domain_code, d.name AS domain_name, \
     t.subdomain_code, t.source, t.status, t.severity, \
     COALESCE(t.applicable_grades, '{}') AS applicable_grades, t.diagnostic_hint";

/// The filters of the admin browse; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagFilter {
    pub status: Option<ErrorStatus>,
    /// A domain code (an unknown one matches no tag).
    pub domain_code: Option<String>,
    pub source: Option<ErrorSource>,
    /// Case-insensitive substring of the code, the name or the description.
    pub q: Option<String>,
}

/// The `WHERE` of a filtered browse over `t` / `d`, its parameters `$1`..`$4` bound by
/// [`bind_filter`].
const FILTER: &str = "($1::\"ErrorStatus\" IS NULL OR t.status = $1)
      AND ($2::text IS NULL OR d.code = $2)
      AND ($3::\"ErrorSource\" IS NULL OR t.source = $3)
      AND ($4::text IS NULL OR strpos(lower(t.code), lower($4)) > 0
           OR strpos(lower(t.name), lower($4)) > 0
           OR strpos(lower(t.description), lower($4)) > 0)";

fn bind_filter<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    filter: &'q TagFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(filter.status)
        .bind(filter.domain_code.as_deref())
        .bind(filter.source)
        .bind(filter.q.as_deref())
}

/// Up to `limit` filtered tags ordered by code, strictly after the code `after` (keyset). An
/// `after` that is no tag's code yields nothing (the reference's cursor semantics).
pub async fn browse(
    exec: impl PgExecutor<'_>,
    filter: &TagFilter,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<AdminTagRow>> {
    let sql = format!(
        "SELECT {ADMIN_COLUMNS} FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id
         WHERE {FILTER}
           AND ($5::text IS NULL
                OR (t.code > $5 AND EXISTS (SELECT 1 FROM error_tags c WHERE c.code = $5)))
         ORDER BY t.code
         LIMIT $6"
    );
    Ok(bind_filter(sqlx::query_as(&sql), filter)
        .bind(after)
        .bind(limit)
        .fetch_all(exec)
        .await?)
}

/// How many tags the filter matches (the whole filtered list, not a page).
pub async fn count_filtered(exec: impl PgExecutor<'_>, filter: &TagFilter) -> DbResult<i64> {
    let sql = format!(
        "SELECT count(*) FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id
         WHERE {FILTER}"
    );
    let (n,): (i64,) = bind_filter(sqlx::query_as(&sql), filter)
        .fetch_one(exec)
        .await?;
    Ok(n)
}

/// A domain and how many tags (of any status) it has.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainTagCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

/// Every domain, by code, with its number of tags (domains without tags included, as 0).
pub async fn count_by_domain(exec: impl PgExecutor<'_>) -> DbResult<Vec<DomainTagCount>> {
    Ok(sqlx::query_as(
        "SELECT d.code, d.name, count(t.id) AS count
         FROM domains d LEFT JOIN error_tags t ON t.domain_id = d.id
         GROUP BY d.id, d.code, d.name
         ORDER BY d.code",
    )
    .fetch_all(exec)
    .await?)
}

/// One tag in the admin view.
pub async fn admin_by_code(exec: impl PgExecutor<'_>, code: &str) -> DbResult<Option<AdminTagRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ADMIN_COLUMNS} FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id
         WHERE t.code = $1"
    ))
    .bind(code)
    .fetch_optional(exec)
    .await?)
}

/// Sets a tag's status in one statement and answers its admin view; `None` for an unknown
/// code (nothing written). Setting the status it already has writes nothing (`updated_at`
/// stays). Only the status changes: `deprecated_by_id` is kept as it is.
pub async fn set_status_admin(
    exec: impl PgExecutor<'_>,
    code: &str,
    status: ErrorStatus,
) -> DbResult<Option<AdminTagRow>> {
    Ok(sqlx::query_as(&format!(
        "WITH changed AS (
             UPDATE error_tags SET status = $2, updated_at = CURRENT_TIMESTAMP
             WHERE code = $1 AND status <> $2
             RETURNING *
         ),
         current AS (
             SELECT * FROM changed
             UNION ALL
             SELECT * FROM error_tags WHERE code = $1 AND NOT EXISTS (SELECT 1 FROM changed)
         )
         SELECT {ADMIN_COLUMNS} FROM current t LEFT JOIN domains d ON d.id = t.domain_id"
    ))
    .bind(code)
    .bind(status)
    .fetch_optional(exec)
    .await?)
}
