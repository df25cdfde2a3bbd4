//! Pool creation: the `pgbouncer=true` URLs of the Supabase transaction pooler.

use innova_core::db;
use innova_domain::ids::TeacherId;
use innova_testkit::fresh_db;
use sqlx::Executor;

/// Server-side prepared statements after running the same query twice on one connection.
async fn prepared_statements_after_two_queries(pool: &sqlx::PgPool) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    for _ in 0..2 {
        sqlx::query("SELECT count(*) FROM users WHERE id = $1")
            .bind("x")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    }
    // Not prepared itself: a plain string without arguments goes through the simple protocol.
    let rows = conn
        .fetch_all("SELECT name FROM pg_prepared_statements")
        .await
        .unwrap();
    rows.len() as i64
}

#[tokio::test]
async fn pgbouncer_urls_lose_prisma_parameters_and_the_statement_cache() {
    let db = fresh_db().await;
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let pooled = format!(
        "{}{separator}pgbouncer=true&connection_limit=1&schema=public",
        db.url
    );
    let pool = db::connect(&pooled).await.unwrap();
    assert_eq!(pool.options().get_max_connections(), 1);
    // No cache: the same query is prepared again on every execution (sqlx 0.8.6 names those
    // statements and leaves them open, see db::parse_url).
    assert_eq!(prepared_statements_after_two_queries(&pool).await, 2);
    pool.close().await;

    let direct = db::connect(&db.url).await.unwrap();
    assert_eq!(
        prepared_statements_after_two_queries(&direct).await,
        1,
        "cached once"
    );
    direct.close().await;
}

#[tokio::test]
async fn a_dropped_transaction_rolls_back_and_repository_futures_are_send() {
    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    let db = fresh_db().await;
    {
        let mut tx = db::begin(&db.pool).await.unwrap();
        tx.execute("INSERT INTO domains (id, code, name) VALUES ('d1', 'X', 'X')")
            .await
            .unwrap();
        // no commit
    }
    let pool = db.pool.clone();
    let found = assert_send(async move { db::curriculum::domain_by_code(&pool, "X").await })
        .await
        .unwrap();
    assert_eq!(found, None);

    // A unit of work over several repositories, as a handler would write it, is Send.
    let pool = db.pool.clone();
    let work = assert_send(async move {
        let mut tx = db::begin(&pool).await?;
        let user = db::users::insert_user(
            &mut *tx,
            &db::users::NewUser {
                email: "a@x".into(),
                ..Default::default()
            },
        )
        .await?;
        db::users::upsert_teacher(&mut *tx, &TeacherId::new("t-1"), &user.id, None).await?;
        tx.commit().await?;
        Ok::<_, db::DbError>(user.id)
    });
    let user_id = tokio::spawn(work).await.unwrap().unwrap();
    assert!(
        db::users::teacher_by_user_id(&db.pool, &user_id)
            .await
            .unwrap()
            .is_some()
    );
}

/// Compile-time check: the entry points that callers spawn (server start-up, workers, tests)
/// return `Send` futures. (The futures are never polled; a runtime is needed for the lazy pool.)
#[tokio::test]
async fn entry_point_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let pool = sqlx::PgPool::connect_lazy("postgres://localhost/unused").unwrap();
    assert_send(db::migrate::run(&pool));
    assert_send(db::migrate::baseline(&pool));
    assert_send(db::seed::run(&pool));
    assert_send(db::seed::row_counts(&pool));
    assert_send(db::catalog::import_str(&pool, "", false));
    assert_send(db::catalog::import_file(
        &pool,
        std::path::Path::new("x"),
        false,
    ));
    assert_send(async move {
        let mut conn = pool.acquire().await?;
        db::schema::check(&mut conn).await
    });
}
