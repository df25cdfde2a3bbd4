//! The per-test databases: isolated, migrated or seeded, created in parallel, dropped after use.

use innova_core::db::{schema, seed};
use innova_testkit::{admin_connection, empty_db, fresh_db, seeded_db};

async fn database_exists(name: &str) -> bool {
    let mut admin = admin_connection().await;
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn fresh_databases_have_the_schema_and_no_rows() {
    let db = fresh_db().await;
    assert!(db.name.starts_with("innova_test_"));
    let mut conn = db.pool.acquire().await.unwrap();
    assert!(schema::check(&mut conn).await.unwrap().is_empty());
    let counts = seed::row_counts(&db.pool).await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n == 0), "{counts:?}");

    let empty = empty_db().await;
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&empty.pool)
            .await
            .unwrap();
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn seeded_databases_are_independent_and_dropped_afterwards() {
    // Many at once, as parallel tests would ask for them.
    let dbs = futures_join(8).await;
    let names: Vec<String> = dbs.iter().map(|d| d.name.clone()).collect();
    for db in &dbs {
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(users, 8);
    }
    // A write in one is invisible in the others.
    sqlx::query("DELETE FROM parent_links")
        .execute(&dbs[0].pool)
        .await
        .unwrap();
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM parent_links")
        .fetch_one(&dbs[1].pool)
        .await
        .unwrap();
    assert_eq!(links, 1);
    // The URL reaches the same database.
    let other = sqlx::PgPool::connect(&dbs[0].url).await.unwrap();
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM parent_links")
        .fetch_one(&other)
        .await
        .unwrap();
    assert_eq!(links, 0);
    other.close().await;

    drop(dbs);
    for name in names {
        assert!(!database_exists(&name).await, "{name} was not dropped");
    }
}

async fn futures_join(n: usize) -> Vec<innova_testkit::TestDb> {
    let handles: Vec<_> = (0..n).map(|_| tokio::spawn(seeded_db())).collect();
    let mut dbs = Vec::new();
    for h in handles {
        dbs.push(h.await.unwrap());
    }
    dbs
}

/// Compile-time check: the constructors can be spawned (`tokio::spawn` needs `Send`).
#[test]
fn constructors_are_send() {
    fn assert_send<T: Send>(_: T) {}
    assert_send(fresh_db());
    assert_send(seeded_db());
    assert_send(empty_db());
}
