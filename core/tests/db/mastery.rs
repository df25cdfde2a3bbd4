//! Applying attempts to mastery: BKT on the locked row, the history behind `trend_7d` (decision
//! 18) and its pruning, and concurrent attempts on the same row.

use chrono::Duration;
use innova_core::db::{self, mastery};
use innova_domain::bkt::{self, BktParams};
use innova_domain::ids::{StudentId, TopicId};
use innova_testkit::seeded_db;

const STUDENT: &str = "seed-student-001";

async fn topic_id(pool: &db::PgPool, code: &str) -> TopicId {
    sqlx::query_scalar("SELECT id FROM topics WHERE code = $1 ORDER BY id LIMIT 1")
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn history(pool: &db::PgPool, topic: &str) -> Vec<f64> {
    sqlx::query_scalar(
        "SELECT p_known FROM innova.mastery_history
         WHERE student_id = $1 AND topic_id = $2 ORDER BY recorded_at",
    )
    .bind(STUDENT)
    .bind(topic)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn trend_is_measured_from_the_point_before_the_window_and_older_points_are_pruned() {
    let db = seeded_db().await;
    let topic = topic_id(&db.pool, "SUB").await;
    let now = db::now();
    // An existing row with three old points: 10 and 8 days ago (before the window), 2 days ago.
    sqlx::query(
        "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, updated_at)
         VALUES ($1, $2, 0.5, 3, $3)",
    )
    .bind(STUDENT)
    .bind(&topic)
    .bind(now)
    .execute(&db.pool)
    .await
    .unwrap();
    for (days, p) in [(10, 0.2), (8, 0.3), (2, 0.5)] {
        sqlx::query(
            "INSERT INTO innova.mastery_history (student_id, topic_id, p_known, recorded_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(STUDENT)
        .bind(&topic)
        .bind(p)
        .bind(now - Duration::days(days))
        .execute(&db.pool)
        .await
        .unwrap();
    }

    let params = BktParams::DEFAULT;
    let mut tx = db::begin(&db.pool).await.unwrap();
    let change = mastery::apply_attempt(&mut tx, &StudentId::new(STUDENT), &topic, &params, true)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let expected = bkt::update(0.5, &params, true);
    assert_eq!(change.prior, 0.5);
    assert_eq!(change.p_known, expected);
    assert_eq!(change.attempts_count, 4);
    // Baseline: the value the student had when the window opened (8 days ago), not 10 days.
    assert_eq!(change.trend_7d, Some(expected - 0.3));
    let (stored_trend, count): (Option<f64>, i32) = sqlx::query_as(
        "SELECT trend_7d, attempts_count FROM student_topic_mastery
         WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(STUDENT)
    .bind(&topic)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((stored_trend, count), (change.trend_7d, 4));
    // The 10-day point can never be a baseline again; the 8-day one still is.
    assert_eq!(history(&db.pool, &topic).await, vec![0.3, 0.5, expected]);
}

#[tokio::test]
async fn concurrent_attempts_on_one_row_all_count() {
    let db = seeded_db().await;
    let topic = topic_id(&db.pool, "ADD").await;
    let params = BktParams::DEFAULT;
    let attempts = 12;
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let pool = db.pool.clone();
            let topic = topic.clone();
            tokio::spawn(async move {
                let mut tx = db::begin(&pool).await.unwrap();
                let change = mastery::apply_attempt(
                    &mut tx,
                    &StudentId::new(STUDENT),
                    &topic,
                    &params,
                    true,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                change
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap().attempts_count);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=attempts).collect::<Vec<_>>(), "no lost update");
    // Twelve correct answers from pL0, one after the other.
    let expected = (0..attempts).fold(params.p_l0, |p, _| bkt::update(p, &params, true));
    let p_known: f64 = sqlx::query_scalar(
        "SELECT p_known FROM student_topic_mastery WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(STUDENT)
    .bind(&topic)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(p_known, expected);
    assert_eq!(history(&db.pool, &topic).await.len(), attempts as usize);
}
