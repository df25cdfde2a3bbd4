//! Migrations (`migrations/` at the repository root, embedded in the binary) and the baseline of
//! a database created by the reference system.

use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Acquire, PgConnection, PgPool};

use super::schema::{self, SchemaDiff};
use super::{DbError, DbResult};

/// Every migration of `migrations/`, embedded at compile time (`core/build.rs` makes cargo
/// rebuild when a file is added there).
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Applies the pending migrations; returns the versions applied (empty when up to date).
/// Holds sqlx's advisory lock throughout, so concurrent runs (several instances, parallel
/// tests) serialize and each reports only what it applied itself.
pub async fn run(pool: &PgPool) -> DbResult<Vec<i64>> {
    let mut conn = pool.acquire().await?;
    let result = run_locked(&mut conn).await;
    if result.is_err() {
        // The session may still hold the advisory lock: close it rather than pool it.
        let _ = conn.close().await;
    }
    result
}

async fn run_locked(conn: &mut PgConnection) -> DbResult<Vec<i64>> {
    conn.lock().await?;
    conn.ensure_migrations_table().await?;
    let before: Vec<i64> = conn
        .list_applied_migrations()
        .await?
        .iter()
        .map(|m| m.version)
        .collect();
    // Takes the (re-entrant) lock again and releases it once.
    MIGRATOR.run_direct(&mut *conn).await?;
    conn.unlock().await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !before.contains(&m.version))
        .map(|m| m.version)
        .collect())
}

/// What `migrate --baseline` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineOutcome {
    /// The schema matched; the initial migration is now recorded as applied.
    Baselined { version: i64 },
    /// The initial migration was already recorded; nothing to do.
    AlreadyApplied { version: i64 },
}

/// Adopts a database that already has the reference schema (created by the reference system,
/// with no sqlx history): verifies that its catalog matches the expected schema exactly, then
/// records the initial migration in `_sqlx_migrations` with the checksum sqlx computes, so a
/// later `migrate` does not run it. Refuses with [`DbError::SchemaMismatch`], naming each
/// difference, otherwise. Later migrations are not baselined; `migrate` applies them.
pub async fn baseline(pool: &PgPool) -> DbResult<BaselineOutcome> {
    let mut conn = pool.acquire().await?;
    conn.lock().await?;
    let result = baseline_locked(&mut conn).await;
    match result {
        Ok(_) => conn.unlock().await?,
        Err(_) => {
            let _ = conn.close().await;
        }
    }
    result
}

async fn baseline_locked(conn: &mut PgConnection) -> DbResult<BaselineOutcome> {
    let initial = MIGRATOR
        .iter()
        .find(|m| m.migration_type.is_up_migration())
        .expect("migrations/ holds the initial migration");
    // Read the history without creating sqlx's table: a refused baseline leaves no trace.
    let has_history: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    let applied = if has_history {
        conn.list_applied_migrations().await?
    } else {
        Vec::new()
    };
    if applied.iter().any(|m| m.version == initial.version) {
        return Ok(BaselineOutcome::AlreadyApplied {
            version: initial.version,
        });
    }
    if let Some(other) = applied.first() {
        return Err(DbError::Precondition(format!(
            "_sqlx_migrations records migration {} but not the initial one ({}); refusing to baseline",
            other.version, initial.version
        )));
    }

    let diff: SchemaDiff = schema::check(conn).await?;
    if !diff.is_empty() {
        return Err(DbError::SchemaMismatch {
            differences: diff.differences,
        });
    }

    let mut tx = conn.begin().await?;
    tx.ensure_migrations_table().await?;
    // Same row sqlx writes after applying a migration (execution time unknown: 0).
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, $2, TRUE, $3, 0)",
    )
    .bind(initial.version)
    .bind(&*initial.description)
    .bind(&*initial.checksum)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(BaselineOutcome::Baselined {
        version: initial.version,
    })
}
