//! `innova migrate --baseline`: adopt a database the reference system created (exactly the
//! schema, no sqlx history), refuse one that differs, naming the difference.

use innova_core::db::DbError;
use innova_core::db::migrate::{self, BaselineOutcome, MIGRATOR};
use innova_testkit::{TestDb, empty_db, fresh_db};
use sqlx::Executor;

/// A database as the reference leaves it: the schema, Prisma's history table, no sqlx table.
async fn reference_db() -> TestDb {
    let db = empty_db().await;
    let initial = MIGRATOR.iter().next().unwrap();
    sqlx::raw_sql(&initial.sql).execute(&db.pool).await.unwrap();
    db.pool
        .execute(
            "CREATE TABLE _prisma_migrations (
                 id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL,
                 finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL,
                 logs TEXT, rolled_back_at TIMESTAMPTZ,
                 started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                 applied_steps_count INTEGER NOT NULL DEFAULT 0)",
        )
        .await
        .unwrap();
    db
}

async fn has_sqlx_history(db: &TestDb) -> bool {
    sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn baseline_adopts_a_database_with_exactly_the_schema() {
    let db = reference_db().await;
    let initial = MIGRATOR.iter().next().unwrap();

    let outcome = migrate::baseline(&db.pool).await.unwrap();
    assert_eq!(
        outcome,
        BaselineOutcome::Baselined {
            version: initial.version
        }
    );

    // Recorded the way sqlx records an applied migration.
    let (version, success, checksum): (i64, bool, Vec<u8>) = sqlx::query_as(
        "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((version, success), (initial.version, true));
    assert_eq!(checksum, initial.checksum.to_vec());

    // A later `migrate` applies only what came after the initial migration (Innova's own
    // schema), and does not fail on the existing tables.
    let later: Vec<i64> = migrate::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && m.version > initial.version)
        .map(|m| m.version)
        .collect();
    assert_eq!(migrate::run(&db.pool).await.unwrap(), later);
    assert_eq!(migrate::run(&db.pool).await.unwrap(), Vec::<i64>::new());
    // Baselining twice is harmless.
    assert_eq!(
        migrate::baseline(&db.pool).await.unwrap(),
        BaselineOutcome::AlreadyApplied {
            version: initial.version
        }
    );
}

async fn refused(db: &TestDb) -> Vec<String> {
    match migrate::baseline(&db.pool).await {
        Err(DbError::SchemaMismatch { differences }) => differences,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn baseline_refuses_a_missing_column_and_names_it() {
    let db = reference_db().await;
    db.pool
        .execute("ALTER TABLE attempts DROP COLUMN trace_id")
        .await
        .unwrap();
    assert_eq!(refused(&db).await, ["missing column attempts.trace_id"]);
    assert!(
        !has_sqlx_history(&db).await,
        "a refused baseline leaves nothing behind"
    );
    let message = migrate::baseline(&db.pool).await.unwrap_err().to_string();
    assert!(
        message.contains("missing column attempts.trace_id"),
        "{message}"
    );
}

#[tokio::test]
async fn baseline_refuses_a_missing_index_and_names_it() {
    let db = reference_db().await;
    db.pool
        .execute("DROP INDEX attempts_student_id_idx")
        .await
        .unwrap();
    assert_eq!(
        refused(&db).await,
        ["missing index attempts_student_id_idx"]
    );
}

#[tokio::test]
async fn baseline_refuses_other_differences() {
    let db = reference_db().await;
    db.pool
        .execute(
            "ALTER TABLE error_tags ALTER COLUMN severity DROP DEFAULT;
             ALTER TABLE topics DROP CONSTRAINT topics_unit_id_fkey;
             ALTER TABLE cost_events DISABLE ROW LEVEL SECURITY;
             ALTER TABLE attempts DISABLE ROW LEVEL SECURITY;
             CREATE TABLE extra (id text)",
        )
        .await
        .unwrap();
    assert_eq!(
        refused(&db).await,
        [
            "table attempts differs: expected `table attempts (row level security)`, found `table attempts`",
            "column error_tags.severity differs: expected `column severity \"ErrorSeverity\" not \
             null default 'MED'::\"ErrorSeverity\"`, found `column severity \"ErrorSeverity\" not null`",
            "missing foreign key topics_unit_id_fkey",
            "unexpected table extra",
        ]
    );
}

#[tokio::test]
async fn baseline_refuses_an_empty_database() {
    let db = empty_db().await;
    let differences = refused(&db).await;
    assert!(
        differences.contains(&"missing table users".to_string()),
        "{differences:?}"
    );
    assert!(differences.contains(&"missing enum ErrorSource".to_string()));
    // One line per table, not one per column.
    assert_eq!(differences.len(), 38 + 7);
}

#[tokio::test]
async fn baseline_of_a_migrated_database_is_a_no_op() {
    let db = fresh_db().await;
    let version = MIGRATOR.iter().next().unwrap().version;
    assert_eq!(
        migrate::baseline(&db.pool).await.unwrap(),
        BaselineOutcome::AlreadyApplied { version }
    );
    assert_eq!(migrate::run(&db.pool).await.unwrap(), Vec::<i64>::new());
}

#[tokio::test]
async fn migrate_applies_everything_on_an_empty_database() {
    let db = empty_db().await;
    let all: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(migrate::run(&db.pool).await.unwrap(), all);
    assert_eq!(migrate::run(&db.pool).await.unwrap(), Vec::<i64>::new());
}
