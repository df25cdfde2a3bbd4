//! The database layer's error type, and the mapping from PostgreSQL errors to domain errors.
//!
//! Constraint violations are translated using the constraint's name, looked up in the expected
//! schema (so truncated Prisma names such as `guide_submissions_…_attempt_numb_key` resolve to
//! their real columns). Field names come out camelCase because they end up in API messages
//! (`unitId`, not `unit_id`).

use std::path::PathBuf;

use sqlx::postgres::PgDatabaseError;

use super::schema;

/// Result of every repository function.
pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A row looked up by id (or another key) does not exist.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A unique constraint (409): `field` names the column(s), camelCase, comma-separated.
    /// Also a delete/update of a row that other rows still reference (RESTRICT).
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// A foreign key points at a row that does not exist (404/422): `field` is the referencing
    /// column, camelCase (`unitId`).
    #[error("{field} references a row that does not exist")]
    MissingReference { field: String },
    /// A value the database refused (NOT NULL, bad enum label, check constraint…).
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// Something must happen first (e.g. the catalog import needs the seeded domains).
    #[error("{0}")]
    Precondition(String),
    /// `migrate --baseline`: the database does not have the expected schema.
    #[error("the database schema differs from the expected one:\n  {}", .differences.join("\n  "))]
    SchemaMismatch { differences: Vec<String> },
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database did not answer in time or cannot be reached: no pooled connection within
    /// the acquire timeout, a statement cancelled by `statement_timeout`, a lost connection, a
    /// server shutting down or full. Retrying later may succeed (the API answers 503 with
    /// `Retry-After`; a worker lets the message be redelivered). Never shown verbatim.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// Anything else (connection lost, timeout, SQL bug). Never shown verbatim to API clients.
    #[error("database error: {0}")]
    Other(sqlx::Error),
}

impl DbError {
    pub fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        DbError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// True for the errors a client caused (4xx), false for infrastructure failures.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            DbError::NotFound { .. }
                | DbError::Conflict { .. }
                | DbError::MissingReference { .. }
                | DbError::Invalid { .. }
        )
    }
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => DbError::NotFound {
                entity: "row",
                id: String::new(),
            },
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(error),
            sqlx::Error::Database(db) => match db.try_downcast::<PgDatabaseError>() {
                Ok(pg) => map_pg_error(*pg),
                Err(db) => DbError::Other(sqlx::Error::Database(db)),
            },
            other => DbError::Other(other),
        }
    }
}

fn map_pg_error(pg: PgDatabaseError) -> DbError {
    let constraint = pg.constraint().map(str::to_owned);
    let table = pg.table().map(str::to_owned);
    match pg.code() {
        // unique_violation
        "23505" => {
            let columns = constraint_columns(constraint.as_deref(), table.as_deref());
            let field = fields(&columns);
            let message = if columns.len() > 1 {
                format!("the combination of {field} already exists")
            } else {
                format!("{field} already exists")
            };
            DbError::Conflict { field, message }
        }
        // foreign_key_violation
        "23503" => {
            let columns = constraint_columns(constraint.as_deref(), table.as_deref());
            let field = fields(&columns);
            // The same code is raised when deleting/updating a row that is still referenced
            // (RESTRICT); only the message tells the two apart.
            if pg.message().starts_with("update or delete on table") {
                let referencing = table.unwrap_or_else(|| "other rows".into());
                DbError::Conflict {
                    field,
                    message: format!("still referenced by {referencing}"),
                }
            } else {
                DbError::MissingReference { field }
            }
        }
        // not_null_violation
        "23502" => DbError::Invalid {
            field: pg
                .column()
                .map(camel_case)
                .unwrap_or_else(|| "value".into()),
            message: "is required".into(),
        },
        // check_violation, invalid_text_representation (bad enum label), numeric out of range,
        // invalid datetime, string too long
        "23514" | "22P02" | "22003" | "22007" | "22008" | "22001" => DbError::Invalid {
            field: pg
                .column()
                .map(camel_case)
                .unwrap_or_else(|| "value".into()),
            message: pg.message().to_owned(),
        },
        // character_not_in_repertoire: a NUL character, which `text` cannot hold. The API
        // refuses NUL before any query; this is the safety net for other callers.
        "22021" => DbError::Invalid {
            field: "value".into(),
            message: "must not contain NUL characters".into(),
        },
        // query_canceled (`statement_timeout`), admin_shutdown, crash_shutdown,
        // cannot_connect_now, too_many_connections: the server, not the statement.
        // Class 08 (connection exception) too.
        "57014" | "57P01" | "57P02" | "57P03" | "53300" => {
            DbError::Unavailable(sqlx::Error::Database(Box::new(pg)))
        }
        code if code.starts_with("08") => DbError::Unavailable(sqlx::Error::Database(Box::new(pg))),
        _ => DbError::Other(sqlx::Error::Database(Box::new(pg))),
    }
}

/// The columns a constraint covers: from the expected schema when known, otherwise guessed from
/// Prisma's naming pattern (`<table>_<cols>_key|_fkey|_pkey`).
fn constraint_columns(constraint: Option<&str>, table: Option<&str>) -> Vec<String> {
    let Some(name) = constraint else {
        return vec!["value".into()];
    };
    if let Some(columns) = schema::constraint_columns(name) {
        return columns.iter().map(|c| field_name(name, c)).collect();
    }
    let mut rest = name;
    if let Some(t) = table {
        rest = rest
            .strip_prefix(t)
            .and_then(|r| r.strip_prefix('_'))
            .unwrap_or(rest);
    }
    for suffix in ["_key", "_fkey", "_pkey", "_idx"] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            break;
        }
    }
    if rest.is_empty() || rest == name {
        vec!["value".into()]
    } else {
        vec![camel_case(rest)]
    }
}

/// camelCase field name of a constraint column. The implicit m:n join tables name their columns
/// `A`/`B`; those are named after the table they reference (`errorTagId`, `exerciseId`).
fn field_name(constraint: &str, column: &str) -> String {
    if (column == "A" || column == "B")
        && let Some(referenced) = schema::fk_referenced_table(constraint)
    {
        let singular = referenced.strip_suffix('s').unwrap_or(referenced);
        return camel_case(&format!("{singular}_id"));
    }
    camel_case(column)
}

fn fields(columns: &[String]) -> String {
    columns.join(", ")
}

/// `unit_id` → `unitId`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable_client_and_sql_errors_are_not() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        for unavailable in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(io),
            sqlx::Error::WorkerCrashed,
        ] {
            let e = DbError::from(unavailable);
            assert!(matches!(e, DbError::Unavailable(_)), "{e:?}");
        }
        for other in [
            DbError::from(sqlx::Error::RowNotFound),
            DbError::from(sqlx::Error::ColumnNotFound("x".into())),
        ] {
            assert!(!matches!(other, DbError::Unavailable(_)), "{other:?}");
        }
    }

    #[test]
    fn camel_case_converts_snake_case() {
        assert_eq!(camel_case("unit_id"), "unitId");
        assert_eq!(camel_case("code"), "code");
        assert_eq!(camel_case("created_by_teacher_id"), "createdByTeacherId");
    }

    #[test]
    fn constraint_names_resolve_to_fields() {
        assert_eq!(
            constraint_columns(Some("error_tags_code_key"), None),
            ["code"]
        );
        assert_eq!(
            constraint_columns(Some("topics_unit_id_fkey"), None),
            ["unitId"]
        );
        assert_eq!(
            constraint_columns(
                Some("guide_submissions_guide_question_id_student_id_attempt_numb_key"),
                None
            ),
            ["guideQuestionId", "studentId", "attemptNumber"]
        );
        assert_eq!(
            constraint_columns(Some("_ExerciseTargetErrors_A_fkey"), None),
            ["errorTagId"]
        );
        assert_eq!(
            constraint_columns(Some("parent_links_pkey"), None),
            ["parentId", "studentId"]
        );
        // Unknown names fall back to Prisma's pattern.
        assert_eq!(
            constraint_columns(Some("widgets_owner_id_fkey"), Some("widgets")),
            ["ownerId"]
        );
    }
}
