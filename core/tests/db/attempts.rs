//! The retry key of attempts: claimed once per (student, trace id) with the digest of its request,
//! waited on by a concurrent claimer, released by a rollback; and what an attempt names, read in
//! one statement.

use innova_core::db::attempts::{self, AttemptStatus, ClassifierSource, InputMode, NewAttempt};
use innova_core::db::{self, seed};
use innova_domain::ids::{AttemptId, CourseId, ExerciseId, StudentId};

fn attempt<'a>(id: &'a AttemptId, student_id: &'a StudentId, trace: &'a str) -> NewAttempt<'a> {
    NewAttempt {
        id,
        student_id,
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
    let student = StudentId::new(seed::STUDENT_IDS[0]);

    // A claim rolled back (the attempt failed) leaves the key free.
    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, &student, "t-1", &AttemptId::new("a-0"), b"d-0")
            .await
            .unwrap(),
        None
    );
    drop(tx);

    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, &student, "t-1", &AttemptId::new("a-1"), b"d-1")
            .await
            .unwrap(),
        None
    );
    attempts::insert(&mut *tx, &attempt(&AttemptId::new("a-1"), &student, "t-1"))
        .await
        .unwrap();

    // A concurrent claim waits for the first transaction (the server shows it blocked on a
    // lock), then sees its attempt and the first request's digest.
    let (pool, claimer) = (test.pool.clone(), student.clone());
    let second = tokio::spawn(async move {
        let mut tx = db::begin(&pool).await.unwrap();
        attempts::claim_trace(&mut tx, &claimer, "t-1", &AttemptId::new("a-2"), b"d-2")
            .await
            .unwrap()
    });
    innova_testkit::wait_for_lock_waiters(&test.pool, 1).await;
    assert!(!second.is_finished(), "the second claim waits on the key");
    tx.commit().await.unwrap();
    assert_eq!(
        second.await.unwrap(),
        Some(attempts::ClaimedKey {
            attempt_id: "a-1".into(),
            body_digest: Some(b"d-1".to_vec()),
        })
    );

    // Another trace id, or another student, is another key.
    let mut tx = db::begin(&test.pool).await.unwrap();
    assert_eq!(
        attempts::claim_trace(&mut tx, &student, "t-2", &AttemptId::new("a-3"), b"d")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        attempts::claim_trace(
            &mut tx,
            &StudentId::new(seed::STUDENT_IDS[1]),
            "t-1",
            &AttemptId::new("a-4"),
            b"d",
        )
        .await
        .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_claim_must_end_with_its_attempt_stored() {
    let test = innova_testkit::seeded_db().await;
    let mut tx = db::begin(&test.pool).await.unwrap();
    attempts::claim_trace(
        &mut tx,
        &StudentId::new(seed::STUDENT_IDS[0]),
        "t-9",
        &AttemptId::new("never-stored"),
        b"d",
    )
    .await
    .unwrap();
    // The deferred foreign key refuses a key whose attempt was never written: a foreign-key
    // violation (SQLSTATE 23503), not any error.
    let err = tx.commit().await.unwrap_err();
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23503"),
        "{err}"
    );
}

#[tokio::test]
async fn what_an_attempt_names_is_read_in_one_statement() {
    use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
    let test = innova_testkit::seeded_db().await;
    let (student, course) = (StudentId::new(STUDENT_IDS[0]), CourseId::new(COURSE_ID));
    let refs = attempts::references(
        &test.pool,
        &student,
        Some(&ExerciseId::new("seed-ex-sub-001")),
        Some(&course),
    )
    .await
    .unwrap();
    assert!(refs.exercise_found && !refs.exercise_from_guide);
    assert_eq!(refs.enrolled, Some(true));
    assert_eq!(refs.exercise_content.unwrap()["expectedAnswer"], 27);
    let none = attempts::references(&test.pool, &student, None, None)
        .await
        .unwrap();
    assert_eq!(
        (none.exercise_found, none.enrolled, none.exercise_content),
        (false, None, None)
    );
    let unknown = attempts::references(
        &test.pool,
        &student,
        Some(&ExerciseId::new("nope")),
        Some(&CourseId::new("nope")),
    )
    .await
    .unwrap();
    assert_eq!(
        (unknown.exercise_found, unknown.enrolled),
        (false, Some(false))
    );
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(STUDENT_IDS[0])
        .execute(&test.pool)
        .await
        .unwrap();
    let left = attempts::references(&test.pool, &student, None, Some(&course))
        .await
        .unwrap();
    assert_eq!(left.enrolled, Some(false), "LEFT is not enrolled");
}
