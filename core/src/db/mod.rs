//! PostgreSQL: the pool, migrations and the baseline check, the demo seed, the error-tag catalog
//! import, and one repository module per aggregate.
//!
//! # Patterns every repository follows
//!
//! * **Runtime-checked queries** (`sqlx::query_as::<_, Row>` with `#[derive(sqlx::FromRow)]`), so
//!   the workspace builds without a database; every query is exercised by a test in
//!   `core/tests/` against a real server.
//! * **Executors.** A function that runs one statement takes `impl PgExecutor<'_>`, so it works
//!   with `&PgPool`, `&mut PgConnection` or `&mut *tx`. Writes that belong together run in one
//!   transaction, opened by the caller:
//!   ```ignore
//!   let mut tx = db::begin(&pool).await?;
//!   let user = users::upsert_user_by_supabase_uid(&mut *tx, &new_user).await?;
//!   users::upsert_teacher(&mut *tx, &teacher_id, &user.id, Some("Prof.")).await?;
//!   tx.commit().await?;
//!   ```
//!   Dropping `tx` without `commit` rolls back, so an early `?` undoes the partial work.
//! * **`updated_at`** has no database default on most tables (data-model.md §8): every insert and
//!   update sets it explicitly, to `CURRENT_TIMESTAMP`: the database's clock, like the
//!   `created_at` defaults, so an inserted row has `created_at == updated_at` and the clocks of
//!   different instances never disagree. [`now()`] is for timestamps computed in Rust.
//! * **Array columns** are nullable in the reference schema; they are selected as
//!   `COALESCE(col, '{}')` and read as plain `Vec`s (NULL reads as empty).
//! * **Ids** are TEXT with no database default: new rows get [`new_id()`] (a UUID v4 string).
//! * **Timestamps** are `TIMESTAMP(3)` without time zone holding UTC: rows use
//!   `chrono::NaiveDateTime`. sqlx sets the session time zone to UTC, so `CURRENT_TIMESTAMP`
//!   (and the columns' defaults) are UTC too.
//! * **Constraint violations** become [`DbError::Conflict`] (unique; the field is named) or
//!   [`DbError::MissingReference`] (foreign key; the referencing field is named), see
//!   [`error`].

pub mod accounts;
pub mod admin_status;
pub mod alert_generator;
pub mod alerts;
pub mod attempts;
pub mod catalog;
pub mod curriculum;
pub mod enums;
pub mod error;
pub mod error_tags;
pub mod maintenance;
pub mod mastery;
pub mod migrate;
pub mod outbox;
pub mod schema;
pub mod seed;
pub mod users;
// --- Items, assignments, practice
pub mod assignments;
pub mod exercises;
// --- Classrooms, parents, skills
pub mod classrooms;
pub mod parents;
// --- AI workers
pub mod cost_events;
// --- Guides (teacher)
pub mod guides;
// --- Student guides
pub mod submissions;
// --- Attempt reprocess
pub mod grading;
// --- LLM classifier
pub mod classify;
// --- OCR / archive
pub mod ocr_uploads;

use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDateTime;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;
use crate::services::Runtime;

pub use error::{DbError, DbResult};
pub use sqlx::{PgConnection, PgExecutor, PgPool, Postgres};
/// A connection taken from the pool.
pub type PoolConnection = sqlx::pool::PoolConnection<Postgres>;

/// A transaction on the pool.
pub type Tx = sqlx::Transaction<'static, Postgres>;

/// Connections per pool on AWS Lambda: one per instance (an instance serves one request at a
/// time; the Supabase transaction pooler behind `DATABASE_URL?pgbouncer=true` multiplexes them).
pub const LAMBDA_POOL_MAX: u32 = 1;
/// Connections per pool of a local, long-running process (`innova-api`, workers run locally).
pub const LOCAL_POOL_MAX: u32 = 10;

// The database's timeouts, stated once (docs/architecture.md, "Timeouts"). Every caller has a
// limit of its own: API Gateway answers 504 after 29 s, the workers' Lambdas stop after 60 s
// (120 s for the LLM classifier); these leave room for the rest of the work.

/// Waiting for a pooled connection, opening it included (TCP, TLS, authentication): 5 s, so a
/// request that cannot get a connection answers 503 well inside API Gateway's 29 s.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// PostgreSQL's `statement_timeout` on every connection of a serving process: 10 s, so one
/// statement plus the acquire (15 s) stays inside the 29 s; no query of the API or the workers
/// needs more than a fraction of it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections are closed after 5 minutes (the pooler or the server would anyway).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Pool sizing and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a free connection (connecting included) before failing
    /// with [`DbError::Unavailable`].
    pub acquire_timeout: Duration,
    /// Idle connections are closed after this long (the pooler or the server would anyway).
    pub idle_timeout: Option<Duration>,
    /// PostgreSQL's `statement_timeout`, sent when the connection opens (the `options` startup
    /// parameter); a statement cancelled by it fails with [`DbError::Unavailable`]. Zero turns
    /// it off (maintenance: migrations may run long); `None` leaves the server's or the role's.
    /// Not sent through the transaction pooler (`pgbouncer=true`), which refuses or drops
    /// per-client startup settings: there the database role carries it (docs/deploy.md).
    pub statement_timeout: Option<Duration>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_connections: LOCAL_POOL_MAX,
            min_connections: 0,
            acquire_timeout: ACQUIRE_TIMEOUT,
            idle_timeout: Some(IDLE_TIMEOUT),
            statement_timeout: Some(STATEMENT_TIMEOUT),
        }
    }
}

impl PoolConfig {
    /// For maintenance (migrations, the seed, the catalog import): no statement timeout, even
    /// where the role sets one.
    pub fn maintenance() -> Self {
        PoolConfig {
            statement_timeout: Some(Duration::ZERO),
            ..PoolConfig::default()
        }
    }
}

/// The pool configuration of a process in `runtime`: at most [`LAMBDA_POOL_MAX`] connections on
/// Lambda, [`LOCAL_POOL_MAX`] locally; `DATABASE_POOL_MAX` (`config.database_pool_max`)
/// overrides both. (A `connection_limit` in the URL still wins, see [`pool_options`].)
pub fn pool_config(config: &Config, runtime: Runtime) -> PoolConfig {
    let default = match runtime {
        Runtime::Lambda => LAMBDA_POOL_MAX,
        Runtime::Local => LOCAL_POOL_MAX,
    };
    PoolConfig {
        max_connections: config.database_pool_max.unwrap_or(default),
        ..PoolConfig::default()
    }
}

/// Connection settings parsed from a `DATABASE_URL`, with the Prisma-style parameters the
/// reference's URLs carry taken out (sqlx does not know them).
#[derive(Debug, Clone)]
pub struct ParsedUrl {
    pub options: PgConnectOptions,
    /// `pgbouncer=true`: the Supabase transaction pooler, where prepared statements cannot be
    /// cached across transactions.
    pub pgbouncer: bool,
    /// Prisma's `connection_limit`, when present.
    pub connection_limit: Option<u32>,
    /// Prisma's `pool_timeout` (seconds), when present.
    pub pool_timeout: Option<Duration>,
}

/// Parses a database URL. With `pgbouncer=true` the statement cache is disabled
/// (`statement_cache_capacity(0)`); `pgbouncer`, `connection_limit`, `pool_timeout`, `schema`,
/// `connect_timeout`, `socket_timeout` and `statement_cache_size` are removed before sqlx sees
/// the URL.
///
/// Caveat (sqlx 0.8.6, sqlx issue #4328): with the cache disabled, sqlx still prepares
/// every persistent query as a *named* statement and never closes it, so a long-lived
/// connection accumulates server-side prepared statements. The pooler must support
/// protocol-level prepared statements (Supavisor; PgBouncer >= 1.21 with
/// `max_prepared_statements`), which it has to anyway since sqlx parses and executes in two
/// round trips. Fixed upstream by making such statements unnamed (sqlx PR #4337).
pub fn parse_url(url: &str) -> DbResult<ParsedUrl> {
    let invalid = |message: String| DbError::Invalid {
        field: "DATABASE_URL".into(),
        message,
    };
    let mut parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    let mut pgbouncer = false;
    let mut connection_limit = None;
    let mut pool_timeout = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "pgbouncer" => pgbouncer = value.eq_ignore_ascii_case("true") || value == "1",
            "connection_limit" => {
                connection_limit = Some(
                    value
                        .parse()
                        .map_err(|_| invalid(format!("connection_limit={value}")))?,
                )
            }
            "pool_timeout" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| invalid(format!("pool_timeout={value}")))?;
                pool_timeout = Some(Duration::from_secs(secs));
            }
            "schema" | "connect_timeout" | "socket_timeout" | "statement_cache_size" => {}
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mut options =
        PgConnectOptions::from_str(parsed.as_str()).map_err(|e| invalid(e.to_string()))?;
    if pgbouncer {
        options = options.statement_cache_capacity(0);
    }
    Ok(ParsedUrl {
        options,
        pgbouncer,
        connection_limit,
        pool_timeout,
    })
}

/// Pool options for a parsed URL: `connection_limit`/`pool_timeout` from the URL override
/// `config`.
pub fn pool_options(parsed: &ParsedUrl, config: &PoolConfig) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(
            parsed
                .connection_limit
                .unwrap_or(config.max_connections)
                .max(1),
        )
        .min_connections(config.min_connections)
        .acquire_timeout(parsed.pool_timeout.unwrap_or(config.acquire_timeout))
        .idle_timeout(config.idle_timeout)
}

/// Connects a pool with the default [`PoolConfig`] (and establishes one connection, so a bad URL
/// or an unreachable server fails here).
pub async fn connect(url: &str) -> DbResult<PgPool> {
    connect_with(url, &PoolConfig::default()).await
}

pub async fn connect_with(url: &str, config: &PoolConfig) -> DbResult<PgPool> {
    let parsed = parse_url(url)?;
    let options = connect_options(&parsed, config);
    Ok(pool_options(&parsed, config).connect_with(options).await?)
}

/// A pool that connects on first use (Lambda cold starts should not block on the database).
pub fn connect_lazy(url: &str, config: &PoolConfig) -> DbResult<PgPool> {
    let parsed = parse_url(url)?;
    let options = connect_options(&parsed, config);
    Ok(pool_options(&parsed, config).connect_lazy_with(options))
}

/// The connection options of a parsed URL under `config`: `statement_timeout` as a startup
/// parameter (direct connections only, see [`PoolConfig::statement_timeout`]).
pub fn connect_options(parsed: &ParsedUrl, config: &PoolConfig) -> PgConnectOptions {
    match config.statement_timeout {
        Some(timeout) if !parsed.pgbouncer => parsed
            .options
            .clone()
            .options([("statement_timeout", format!("{}ms", timeout.as_millis()))]),
        _ => parsed.options.clone(),
    }
}

/// Starts a transaction.
pub async fn begin(pool: &PgPool) -> DbResult<Tx> {
    Ok(pool.begin().await?)
}

/// A read-only transaction on one snapshot (`REPEATABLE READ`): several reads that must
/// describe the same data (a page and its counts).
pub async fn begin_snapshot(pool: &PgPool) -> DbResult<Tx> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// The current time as stored in `TIMESTAMP(3)` columns: UTC, truncated to milliseconds (so a
/// value read back equals the value written).
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    let millis = now.and_utc().timestamp_millis();
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.naive_utc())
        .unwrap_or(now)
}

/// A new id for a row: a UUID v4 string (ids are opaque TEXT, see data-model.md §0).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbouncer_urls_disable_the_statement_cache_and_lose_prisma_parameters() {
        let p = parse_url(
            "postgres://u:p@db.example.com:6543/postgres?pgbouncer=true&connection_limit=1&sslmode=require",
        )
        .unwrap();
        assert!(p.pgbouncer);
        assert_eq!(p.connection_limit, Some(1));
        assert_eq!(p.options.get_host(), "db.example.com");
        assert_eq!(p.options.get_port(), 6543);
        let pool = pool_options(&p, &PoolConfig::default());
        assert_eq!(pool.get_max_connections(), 1);
        // The statement cache capacity is not readable from the options; its effect is tested
        // against a server in core/tests/connect.rs.

        let plain = parse_url("postgres://u@localhost/innova").unwrap();
        assert!(!plain.pgbouncer);
        assert_eq!(plain.connection_limit, None);
    }

    #[test]
    fn the_pool_is_one_connection_on_lambda_ten_locally_unless_configured() {
        let unset = Config::for_tests(&[]);
        assert_eq!(pool_config(&unset, Runtime::Lambda).max_connections, 1);
        assert_eq!(pool_config(&unset, Runtime::Local).max_connections, 10);
        assert_eq!(pool_config(&unset, Runtime::Local), PoolConfig::default());
        let set = Config::for_tests(&[("DATABASE_POOL_MAX", "3")]);
        for runtime in [Runtime::Lambda, Runtime::Local] {
            let pool = pool_config(&set, runtime);
            assert_eq!(pool.max_connections, 3, "{runtime:?}");
            assert_eq!(
                (
                    pool.min_connections,
                    pool.acquire_timeout,
                    pool.idle_timeout
                ),
                (0, Duration::from_secs(5), Some(Duration::from_secs(300)))
            );
            assert_eq!(pool.statement_timeout, Some(Duration::from_secs(10)));
        }
        // Through the Supabase pooler the URL carries no limit of its own: the runtime's applies.
        let url = parse_url("postgres://u:p@h:6543/postgres?pgbouncer=true").unwrap();
        let options = pool_options(&url, &pool_config(&unset, Runtime::Lambda));
        assert_eq!(options.get_max_connections(), 1);
    }

    #[test]
    fn the_statement_timeout_is_a_startup_option_of_direct_connections_only() {
        let config = PoolConfig::default();
        let direct = parse_url("postgres://u@localhost/innova").unwrap();
        assert_eq!(
            connect_options(&direct, &config).get_options(),
            Some("-c statement_timeout=10000ms")
        );
        let pooled = parse_url("postgres://u:p@h:6543/postgres?pgbouncer=true").unwrap();
        assert_eq!(connect_options(&pooled, &config).get_options(), None);
        let maintenance = connect_options(&direct, &PoolConfig::maintenance());
        assert_eq!(maintenance.get_options(), Some("-c statement_timeout=0ms"));
        let unset = PoolConfig {
            statement_timeout: None,
            ..PoolConfig::default()
        };
        assert_eq!(connect_options(&direct, &unset).get_options(), None);
    }

    #[test]
    fn bad_urls_are_invalid_database_url() {
        let err = parse_url("not a url").unwrap_err();
        assert!(matches!(err, DbError::Invalid { ref field, .. } if field == "DATABASE_URL"));
        let err = parse_url("postgres://u@h/db?connection_limit=many").unwrap_err();
        assert!(err.to_string().contains("connection_limit"));
    }

    #[test]
    fn now_has_millisecond_precision() {
        assert_eq!(now().and_utc().timestamp_subsec_nanos() % 1_000_000, 0);
    }
}
