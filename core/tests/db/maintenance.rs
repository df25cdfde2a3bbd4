//! The scheduled pruning: old retry keys go, recent ones stay; mastery-history points before the
//! trend window go except the last one of each student and topic; the project's own indexes
//! exist and the schema still reads as the reference's.

use chrono::{Duration, NaiveDateTime};
use innova_core::db::{self, maintenance, schema, seed};
use sqlx::{Executor, PgPool};

async fn attempt(pool: &PgPool, id: &str, student: &str, trace: &str, at: NaiveDateTime) {
    sqlx::query(
        "INSERT INTO attempts (id, student_id, is_correct, trace_id, created_at, updated_at)
         VALUES ($1, $2, true, $3, $4, $4)",
    )
    .bind(id)
    .bind(student)
    .bind(trace)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO innova.attempt_requests (student_id, trace_id, attempt_id, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(student)
    .bind(trace)
    .bind(id)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

async fn point(pool: &PgPool, student: &str, topic: &str, p: f64, at: NaiveDateTime) {
    sqlx::query(
        "INSERT INTO innova.mastery_history (student_id, topic_id, p_known, recorded_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(student)
    .bind(topic)
    .bind(p)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn old_retry_keys_and_useless_history_points_are_pruned_in_batches() {
    let test = innova_testkit::seeded_db().await;
    let pool = &test.pool;
    let now = db::now();
    let cutoff = now - Duration::days(7);
    let (s1, s2) = (seed::STUDENT_IDS[0], seed::STUDENT_IDS[1]);
    for i in 0..5 {
        attempt(
            pool,
            &format!("old-{i}"),
            s1,
            &format!("t-old-{i}"),
            cutoff - Duration::hours(i + 1),
        )
        .await;
    }
    attempt(pool, "recent", s1, "t-recent", cutoff + Duration::hours(1)).await;

    // Batches of 2: 5 old keys go in 3 statements; the attempts themselves stay.
    let mut removed = Vec::new();
    loop {
        let n = maintenance::prune_attempt_requests(pool, cutoff, 2)
            .await
            .unwrap();
        removed.push(n);
        if n < 2 {
            break;
        }
    }
    assert_eq!(removed, [2, 2, 1]);
    let keys: Vec<String> = sqlx::query_scalar("SELECT trace_id FROM innova.attempt_requests")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(keys, ["t-recent"]);
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM attempts")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(attempts, 6);

    // s1/topic: three points before the window, one inside: the last before the window stays.
    let topic = "seed-topic-001";
    for (days, p) in [(20, 0.1), (10, 0.2), (8, 0.3), (2, 0.4)] {
        point(pool, s1, topic, p, now - Duration::days(days)).await;
    }
    // s2/topic: one old point only: it is the last before the window, so it stays.
    point(pool, s2, topic, 0.5, now - Duration::days(30)).await;
    let n = maintenance::prune_mastery_history(pool, cutoff, 100)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let mut left: Vec<(String, f64)> =
        sqlx::query_as("SELECT student_id, p_known FROM innova.mastery_history")
            .fetch_all(pool)
            .await
            .unwrap();
    left.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(left, [(s1.into(), 0.3), (s1.into(), 0.4), (s2.into(), 0.5)]);
    assert_eq!(
        maintenance::prune_mastery_history(pool, cutoff, 100)
            .await
            .unwrap(),
        0,
        "idempotent"
    );
}

#[tokio::test]
async fn the_own_indexes_exist_and_the_schema_is_still_the_references() {
    let test = innova_testkit::seeded_db().await;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'innova\\_%' ORDER BY 1",
    )
    .fetch_all(&test.pool)
    .await
    .unwrap();
    assert_eq!(
        names,
        [
            "innova_attempts_pending_created_at_idx",
            "innova_attempts_student_course_created_at_idx",
            "innova_attempts_student_id_created_at_idx",
            "innova_teacher_alerts_course_unresolved_idx",
        ]
    );
    let mut conn = test.pool.acquire().await.unwrap();
    let diff = schema::check(&mut conn).await.unwrap();
    assert!(diff.is_empty(), "{diff}");
    // Any other extra index is still reported.
    conn.execute("CREATE INDEX attempts_extra_idx ON attempts (status)")
        .await
        .unwrap();
    let diff = schema::check(&mut conn).await.unwrap();
    assert_eq!(diff.differences, ["unexpected index attempts_extra_idx"]);
}
