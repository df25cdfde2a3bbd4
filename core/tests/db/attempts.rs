//! The retry key of typed attempts: claimed once per (student, trace id), waited on by a
//! concurrent claimer, released by a rollback.

use innova_core::db::attempts::{self, AttemptStatus, ClassifierSource, InputMode, NewAttempt};
use innova_core::db::{self, seed};

fn attempt<'a>(id: &'a str, trace: &'a str) -> NewAttempt<'a> {
    NewAttempt {
        id,
        student_id: seed::STUDENT_IDS[0],
        exercise_id: None,
        course_id: None,
        is_correct: true,
        error_tag_id: None,
        classifier_source: ClassifierSource::Rule,
        confidence: Some(1.0),
        input_mode: InputMode::Digital,
        status: AttemptStatus::Classified,
        trace_id: trace,
    }
}

#[tokio::test]
async fn a_trace_is_claimed_once_and_a_rollback_releases_it() {
    let test = innova_testkit::seeded_db().await;
    let student = seed::STUDENT_IDS[0];

    // A claim rolled back (the attempt failed) leaves the key free.
    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, student, "t-1", "a-0")
            .await
            .unwrap(),
        None
    );
    drop(tx);

    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, student, "t-1", "a-1")
            .await
            .unwrap(),
        None
    );
    attempts::insert(&mut *tx, &attempt("a-1", "t-1"))
        .await
        .unwrap();

    // A concurrent claim waits for the first transaction, then sees its attempt.
    let pool = test.pool.clone();
    let second = tokio::spawn(async move {
        let mut tx = db::begin(&pool).await.unwrap();
        attempts::claim_trace(&mut tx, student, "t-1", "a-2")
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second claim waits on the key");
    tx.commit().await.unwrap();
    assert_eq!(second.await.unwrap().as_deref(), Some("a-1"));

    // Another trace id, or another student, is another key.
    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, student, "t-2", "a-3")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        attempts::claim_trace(&mut tx, seed::STUDENT_IDS[1], "t-1", "a-4")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_claim_must_end_with_its_attempt_stored() {
    let test = innova_testkit::seeded_db().await;
    let mut tx = db::begin(&test.pool).await.unwrap();
    attempts::claim_trace(&mut tx, seed::STUDENT_IDS[0], "t-9", "never-stored")
        .await
        .unwrap();
    // The deferred foreign key refuses a key whose attempt was never written.
    assert!(tx.commit().await.is_err());
}
