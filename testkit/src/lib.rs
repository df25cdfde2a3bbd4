//! Test support shared by the integration tests of every crate: per-test databases (below), the
//! other test services ([`services`]: moto queues, FerretDB databases), test worlds ([`world`]:
//! teachers, students, parents, courses, enrollments and parent links, declared then inserted)
//! and a fault-injecting TCP proxy ([`proxy`]: cut, delay, reset the connections to a service).
//!
//! # Per-test databases
//!
//! Every integration test that touches PostgreSQL gets a database of its own, so tests run in
//! parallel without seeing each other's rows:
//!
//! ```ignore
//! #[tokio::test]
//! async fn enrolls_a_student() {
//!     let db = innova_testkit::seeded_db().await;   // migrated + demo data (data-model.md §5)
//!     // db.pool: a PgPool on it; db.url: its URL (e.g. DATABASE_URL of a spawned server)
//! }
//! ```
//!
//! * [`fresh_db`]: the migrated schema, no rows. [`seeded_db`]: plus `innova seed`.
//!   [`empty_db`]: nothing at all (migration and baseline tests).
//! * The server comes from **`INNOVA_TEST_PG_URL`**, an admin URL (superuser, database
//!   `postgres`); `scripts/test` starts a throwaway cluster and exports it. Unset, the test
//!   panics with a message saying so: a database test never passes silently.
//! * Speed: the schema is migrated (and seeded) **once per server** into a template database
//!   named after a fingerprint of the migrations and the seed (`innova_tpl_seeded_<hash>`);
//!   each test then runs `CREATE DATABASE innova_test_<uuid> TEMPLATE …`, a copy of ~10 MB:
//!   about 50 ms when the server's data directory is on tmpfs, about 1 s on this machine's disk
//!   (so run the test cluster on tmpfs). Test binaries running at the same time serialize the
//!   template build with `pg_advisory_lock`; a change to a migration or to the seed changes the
//!   fingerprint, so a new template is built (and the stale ones dropped).
//! * Cleanup: dropping the [`TestDb`] drops its database (`WITH (FORCE)`). Set
//!   `INNOVA_TEST_KEEP_DB=1` to keep it for inspection; its name is printed.

pub mod guides;
pub mod proxy;
pub mod services;
pub mod world;

pub use world::World;

use std::collections::HashSet;
use std::sync::Mutex;

use innova_core::db::{migrate, seed};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

/// The variable holding the admin URL of the test PostgreSQL server.
pub const PG_URL_VAR: &str = "INNOVA_TEST_PG_URL";

/// Bump to force new templates when the way they are built changes.
const TEMPLATE_FORMAT: u32 = 1;

/// A database that belongs to one test; dropped with it.
pub struct TestDb {
    pub pool: PgPool,
    /// URL of this database (same server and credentials as `INNOVA_TEST_PG_URL`).
    pub url: String,
    pub name: String,
    admin_url: String,
}

impl TestDb {
    /// Options to open more connections (or pools with other settings) to this database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.url.parse().expect("test database URL")
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::env::var("INNOVA_TEST_KEEP_DB").is_ok_and(|v| !v.is_empty() && v != "0") {
            eprintln!(
                "innova-testkit: keeping test database {} ({})",
                self.name, self.url
            );
            return;
        }
        // Drop runs inside the test's runtime, which cannot be blocked on; the database is
        // dropped from a thread of its own. FORCE ends the pool's connections.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async move {
                    if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&name));
                        let _ = admin.execute(sqlx::raw_sql(&sql)).await;
                        let _ = admin.close().await;
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}

/// A database with the migrated schema and no rows.
pub async fn fresh_db() -> TestDb {
    let template = ensure_template(Template::Migrated).await;
    clone_database(Some(&template)).await
}

/// A database with the migrated schema and the demo data of `innova seed`.
pub async fn seeded_db() -> TestDb {
    ensure_template(Template::Migrated).await;
    let template = ensure_template(Template::Seeded).await;
    clone_database(Some(&template)).await
}

/// An empty database (no migrations), for migration and baseline tests.
pub async fn empty_db() -> TestDb {
    clone_database(None).await
}

/// The admin URL of the test server, from `INNOVA_TEST_PG_URL`. Panics when it is not set.
pub fn admin_url() -> String {
    admin_url_from(std::env::var(PG_URL_VAR).ok()).unwrap_or_else(|message| panic!("{message}"))
}

fn admin_url_from(value: Option<String>) -> Result<String, String> {
    match value {
        Some(url) if !url.trim().is_empty() => Ok(url),
        _ => Err(format!(
            "{PG_URL_VAR} is not set: this test needs a PostgreSQL server. Run the suite with \
             scripts/test, or export {PG_URL_VAR}=postgres://postgres@127.0.0.1:55432/postgres \
             (an admin URL of a server the tests may create databases on)"
        )),
    }
}

/// A connection to the test server's admin database (to create roles, schemas…).
pub async fn admin_connection() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR} ({url}): {e}"))
}

#[derive(Clone, Copy)]
enum Template {
    Migrated,
    Seeded,
}

impl Template {
    fn label(self) -> &'static str {
        match self {
            Template::Migrated => "migrated",
            Template::Seeded => "seeded",
        }
    }

    fn name(self) -> String {
        format!("innova_tpl_{}_{:016x}", self.label(), fingerprint())
    }
}

/// Hash of everything a template is built from: the migrations (sqlx's checksums) and the seed.
fn fingerprint() -> u64 {
    let mut hash = Fnv::default();
    hash.write(&TEMPLATE_FORMAT.to_le_bytes());
    for m in migrate::MIGRATOR.iter() {
        hash.write(&m.version.to_le_bytes());
        hash.write(&m.checksum);
    }
    hash.write(seed::CATALOG_SQL.as_bytes());
    hash.write(format!("{:?}", seed::DEMO_USERS).as_bytes());
    hash.0
}

/// FNV-1a: stable across processes and compiler versions (unlike `DefaultHasher`).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Templates known to exist, so each test binary takes the lock once per template.
static READY: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn is_ready(name: &str) -> bool {
    READY
        .lock()
        .unwrap()
        .as_ref()
        .is_some_and(|s| s.contains(name))
}

fn mark_ready(name: &str) {
    READY
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(name.to_owned());
}

/// Builds the template once per server (and fingerprint); returns its name.
async fn ensure_template(template: Template) -> String {
    let name = template.name();
    if is_ready(&name) {
        return name;
    }
    let mut admin = admin_connection().await;
    let lock_key = {
        let mut h = Fnv::default();
        h.write(name.as_bytes());
        h.0 as i64
    };
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lock_key)
        .execute(&mut admin)
        .await
        .unwrap();

    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    if !exists {
        build_template(&mut admin, template, &name).await;
    }

    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock_key)
        .execute(&mut admin)
        .await
        .unwrap();
    let _ = admin.close().await;
    mark_ready(&name);
    name
}

/// Builds under a temporary name and renames at the end, so a template that exists is complete.
async fn build_template(admin: &mut PgConnection, template: Template, name: &str) {
    let build = format!("{name}_build");
    exec(
        admin,
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&build)),
    )
    .await;
    match template {
        Template::Migrated => exec(admin, &format!("CREATE DATABASE {}", ident(&build))).await,
        Template::Seeded => {
            let base = Template::Migrated.name();
            exec(
                admin,
                &format!(
                    "CREATE DATABASE {} TEMPLATE {}",
                    ident(&build),
                    ident(&base)
                ),
            )
            .await
        }
    }

    let url = database_url(&admin_url(), &build);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    match template {
        Template::Migrated => {
            migrate::run(&pool)
                .await
                .unwrap_or_else(|e| panic!("migrating the template: {e}"));
        }
        Template::Seeded => {
            seed::run(&pool)
                .await
                .unwrap_or_else(|e| panic!("seeding the template: {e}"));
        }
    }
    pool.close().await;
    // Another session may still be on the build database for a moment: the backend of the
    // connection just closed exits asynchronously, and autovacuum may visit a freshly written
    // database. The rename fails while it is there (55006, "being accessed by other users"),
    // so it is tried again until that session is gone.
    let rename = format!("ALTER DATABASE {} RENAME TO {}", ident(&build), ident(name));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match admin.execute(sqlx::raw_sql(&rename)).await {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && std::time::Instant::now() < deadline =>
            {
                // The build database is this function's alone: whoever is still on it after a
                // moment (a backend whose client went away through a fault proxy) is ended.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                if deadline - std::time::Instant::now() < std::time::Duration::from_secs(29) {
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&build)
                    .execute(&mut *admin)
                    .await;
                }
            }
            Err(e) => {
                // Who is still there (to find out why it did not leave).
                let sessions: Vec<(Option<String>, Option<String>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT backend_type, state, left(query, 200) FROM pg_stat_activity
                         WHERE datname = $1",
                    )
                    .bind(&build)
                    .fetch_all(&mut *admin)
                    .await
                    .unwrap_or_default();
                panic!("{rename}: {e}; sessions on it: {sessions:?}")
            }
        }
    }
    exec(
        admin,
        &format!("ALTER DATABASE {} IS_TEMPLATE true", ident(name)),
    )
    .await;

    // Templates of older migrations/seeds are dead weight; dropping them is best effort (a test
    // binary built from the old code could still be cloning one).
    let prefix = format!("innova_tpl_{}_", template.label());
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2",
    )
    .bind(&prefix)
    .bind(name)
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for old in stale {
        let unmark = format!("ALTER DATABASE {} IS_TEMPLATE false", ident(&old));
        let _ = admin.execute(sqlx::raw_sql(&unmark)).await;
        let drop = format!("DROP DATABASE IF EXISTS {}", ident(&old));
        let _ = admin.execute(sqlx::raw_sql(&drop)).await;
    }
}

async fn clone_database(template: Option<&str>) -> TestDb {
    let admin_url = admin_url();
    let name = format!("innova_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = admin_connection().await;
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {} TEMPLATE {}", ident(&name), ident(t)),
        None => format!("CREATE DATABASE {}", ident(&name)),
    };
    exec(&mut admin, &sql).await;
    let _ = admin.close().await;

    let url = database_url(&admin_url, &name);
    let options: PgConnectOptions = url.parse().expect("test database URL");
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options.disable_statement_logging())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to test database {name}: {e}"));
    TestDb {
        pool,
        url,
        name,
        admin_url,
    }
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    // Simple protocol (no parameters in DDL). Through `Executor::execute`, whose boxed future is
    // `Send`: awaiting `raw_sql(..).execute(..)` would make the test's future non-`Send`.
    conn.execute(sqlx::raw_sql(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The admin URL with its database replaced.
fn database_url(admin_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin_url)
        .unwrap_or_else(|e| panic!("{PG_URL_VAR} is not a valid URL: {e}"));
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// Quotes an identifier (our names are plain, but be safe).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Waits until at least `n` sessions of this pool's database are blocked waiting for a lock, as
/// the server reports them (`pg_stat_activity.wait_event_type = 'Lock'`): how a test knows for
/// certain, without sleeping, that a concurrent statement is held by the lock it means to prove.
/// Panics after 30 s (the lock was not taken, which is what such a test exists to catch).
pub async fn wait_for_lock_waiters(pool: &sqlx::PgPool, n: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .expect("pg_stat_activity is readable");
        if waiting >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no session waited for a lock: {waiting} of {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_the_database_only() {
        assert_eq!(
            database_url(
                "postgres://postgres:pw@127.0.0.1:55432/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://postgres:pw@127.0.0.1:55432/t1?sslmode=disable"
        );
    }

    #[test]
    fn an_unset_server_url_is_a_clear_failure() {
        for value in [None, Some(String::new()), Some("  ".into())] {
            let message = admin_url_from(value).unwrap_err();
            assert!(
                message.starts_with("INNOVA_TEST_PG_URL is not set"),
                "{message}"
            );
        }
        assert_eq!(
            admin_url_from(Some("postgres://x/y".into())).unwrap(),
            "postgres://x/y"
        );
    }

    #[test]
    fn template_names_fit_postgres_identifiers() {
        assert!(format!("{}_build", Template::Seeded.name()).len() <= 63);
        // One name per kind and fingerprint: the seeded template never reuses the migrated one.
        assert_ne!(Template::Migrated.name(), Template::Seeded.name());
        assert_eq!(
            Template::Seeded.name(),
            format!("innova_tpl_seeded_{:016x}", fingerprint())
        );
    }
}
