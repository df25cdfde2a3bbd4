//! The student side of guides: only PUBLISHED guides are read, the quiz reads APPROVED questions
//! only, the cap counters, the question lock that serialises concurrent starts, a submission with
//! its attempt's tag, current solutions.

use innova_core::db::enums::{SolutionSource, SubmissionStatus};
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::db::submissions::{self, NewSubmission};
use innova_core::db::{self, DbError};
use innova_domain::ids::{GuideId, QuestionId, StudentId, SubmissionId};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::seeded_db;

fn published() -> GuideFixture {
    GuideFixture::new("g-pub", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(QuestionFixture::approved("q-2", 2, "30 - 18").answer("12"))
        .question(QuestionFixture::approved("q-1", 1, "12 - 5").answer("7"))
        .question(QuestionFixture::new("q-3", 3, "dibujo").status("EXCLUDED"))
}

#[tokio::test]
async fn only_published_guides_are_read_and_listed_with_progress() {
    let db = seeded_db().await;
    let guide = published();
    guide.insert(&db.pool).await;
    GuideFixture::new("g-review", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::approved("qr-1", 1, "1 + 1"))
        .insert(&db.pool)
        .await;
    GuideFixture::new("g-archived", COURSE_ID, TEACHER_ID)
        .status("ARCHIVED")
        .insert(&db.pool)
        .await;
    GuideFixture::new("g-due", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .due_at("2026-12-31 23:59:00")
        .insert(&db.pool)
        .await;
    let student = StudentId::new(STUDENT_IDS[0]);
    SubmissionFixture::new("s-1", &guide, "q-1", &student)
        .status("GRADED")
        .insert(&db.pool)
        .await;
    SubmissionFixture::new("s-2", &guide, "q-1", &student)
        .attempt_number(2)
        .status("GRADED")
        .insert(&db.pool)
        .await;
    // Another student's grade does not count for this one.
    SubmissionFixture::new("s-3", &guide, "q-2", STUDENT_IDS[1])
        .status("GRADED")
        .insert(&db.pool)
        .await;

    for hidden in ["g-review", "g-archived", "nope"] {
        assert_eq!(
            submissions::published_guide(&db.pool, &GuideId::new(hidden))
                .await
                .unwrap(),
            None,
            "{hidden}"
        );
    }
    let g = submissions::published_guide(&db.pool, &GuideId::new("g-pub"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            g.course_id.as_str(),
            g.max_resubmissions,
            g.show_solution_after_grade
        ),
        (COURSE_ID, 2, false)
    );

    let listed = submissions::guides_of_student(&db.pool, &student)
        .await
        .unwrap();
    let ids: Vec<_> = listed.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["g-due", "g-pub"], "due first, unpublished never");
    assert_eq!(
        (listed[1].total_questions, listed[1].graded_questions),
        (2, 1)
    );
    assert!(
        submissions::guides_of_student(&db.pool, &StudentId::new("test-nobody"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_quiz_reads_approved_questions_by_sequence_and_submissions_carry_their_tag() {
    let db = seeded_db().await;
    let guide = published();
    guide.insert(&db.pool).await;
    let questions = submissions::approved_questions(&db.pool, &GuideId::new("g-pub"))
        .await
        .unwrap();
    let ids: Vec<_> = questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["q-1", "q-2"]);
    assert_eq!(questions[0].statement_latex, "12 - 5");
    assert!(questions[0].figure_keys.is_empty(), "NULL reads as empty");

    let student = StudentId::new(STUDENT_IDS[0]);
    SubmissionFixture::new("s-1", &guide, "q-1", &student)
        .insert(&db.pool)
        .await;
    SubmissionFixture::new("s-2", &guide, "q-1", &student)
        .attempt_number(2)
        .status("GRADED")
        .insert(&db.pool)
        .await;
    // Graded through an attempt tagged with an error of the catalogue.
    sqlx::raw_sql(&format!(
        "INSERT INTO attempts (id, student_id, is_correct, error_tag_id, classifier_source,
                               input_mode, status, trace_id)
         SELECT 'a-1', '{student}', false, id, 'LLM', 'PHOTO_GUIDE', 'GRADED', 't'
         FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3';
         UPDATE guide_submissions SET attempt_id = 'a-1', score = 0.5, is_correct = false,
                graded_at = '2026-05-02 12:00:00' WHERE id = 's-2';"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let mine = submissions::of_student_in_guide(&db.pool, &GuideId::new("g-pub"), &student)
        .await
        .unwrap();
    let order: Vec<_> = mine.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order, ["s-2", "s-1"], "newest attempt first");
    let graded = &mine[0];
    assert_eq!(graded.status, SubmissionStatus::Graded);
    assert_eq!(
        graded.error_tag_code.as_deref(),
        Some("ARITH_SUB_BORROW_OMITTED_TENS_G3")
    );
    assert_eq!((graded.score, graded.is_correct), (Some(0.5), Some(false)));
    let found = submissions::find(&db.pool, &SubmissionId::new("s-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.photo_keys, ["submissions/s-1/photo-1.jpg"]);
    assert_eq!((found.error_tag_code, found.graded_at), (None, None));
    assert_eq!(
        submissions::find(&db.pool, &SubmissionId::new("nope"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_slot_counts_what_the_cap_counts_and_numbers_after_any_attempt() {
    let db = seeded_db().await;
    let guide = published();
    guide.insert(&db.pool).await;
    let student = StudentId::new(STUDENT_IDS[0]);
    let empty = submissions::slot(&db.pool, &QuestionId::new("q-1"), &student)
        .await
        .unwrap();
    assert_eq!((empty.counted, empty.next_attempt_number), (0, 1));
    SubmissionFixture::new("s-1", &guide, "q-1", &student)
        .status("FAILED")
        .insert(&db.pool)
        .await;
    SubmissionFixture::new("s-2", &guide, "q-1", &student)
        .attempt_number(2)
        .insert(&db.pool)
        .await;
    let slot = submissions::slot(&db.pool, &QuestionId::new("q-1"), &student)
        .await
        .unwrap();
    assert_eq!(
        (slot.counted, slot.next_attempt_number),
        (1, 3),
        "FAILED does not count but uses its number"
    );

    let keys = vec!["submissions/s-3/a.jpg".to_owned()];
    let new = NewSubmission {
        id: &SubmissionId::new("s-3"),
        guide_id: &GuideId::new("g-pub"),
        question_id: &QuestionId::new("q-1"),
        student_id: &student,
        attempt_number: 3,
        photo_keys: &keys,
        solution_version: Some(1),
        trace_id: "trace-s-3",
    };
    submissions::insert(&db.pool, &new).await.unwrap();
    let stored: (String, Option<i32>, String) = sqlx::query_as(
        "SELECT status::text, solution_version, trace_id FROM guide_submissions WHERE id = 's-3'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored, ("UPLOADED".into(), Some(1), "trace-s-3".into()));
    let again = NewSubmission {
        id: &SubmissionId::new("s-4"),
        ..new
    };
    let err = submissions::insert(&db.pool, &again).await.unwrap_err();
    assert!(matches!(err, DbError::Conflict { .. }), "{err:?}");
}

#[tokio::test]
async fn the_question_lock_holds_a_second_start_until_the_first_commits() {
    let db = seeded_db().await;
    published().insert(&db.pool).await;
    let ids: Vec<QuestionId> = vec!["q-2".into(), "q-1".into(), "q-3".into()];
    let mut first = db::begin(&db.pool).await.unwrap();
    let locked = submissions::lock_approved_questions(&mut first, &GuideId::new("g-pub"), &ids)
        .await
        .unwrap();
    assert_eq!(locked, ["q-1", "q-2"], "APPROVED only, by sequence");
    let other = submissions::lock_approved_questions(&mut first, &GuideId::new("g-other"), &ids)
        .await
        .unwrap();
    assert!(
        other.is_empty(),
        "questions of another guide are not locked"
    );

    let pool = db.pool.clone();
    let second = tokio::spawn(async move {
        let mut tx = db::begin(&pool).await.unwrap();
        submissions::lock_approved_questions(
            &mut tx,
            &GuideId::new("g-pub"),
            &[QuestionId::new("q-1")],
        )
        .await
        .unwrap()
    });
    // The server reports the second start blocked on a lock (no sleep: a missing lock would let
    // it finish, and this wait would time out).
    innova_testkit::wait_for_lock_waiters(&db.pool, 1).await;
    assert!(!second.is_finished(), "the second start waits for the lock");
    // Readers are not blocked meanwhile.
    assert_eq!(
        submissions::approved_questions(&db.pool, &GuideId::new("g-pub"))
            .await
            .unwrap()
            .len(),
        2
    );
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), ["q-1"]);
}

#[tokio::test]
async fn current_solutions_and_versions_and_the_submission_lock() {
    let db = seeded_db().await;
    let guide = published().question(QuestionFixture::approved("q-4", 4, "sin pauta"));
    guide.insert(&db.pool).await;
    sqlx::raw_sql(
        "UPDATE guide_solutions SET is_current = false WHERE guide_question_id = 'q-1';
         INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source,
                                      final_answer, steps_json)
         VALUES ('sol-q-1-2', 'q-1', 2, true, 'TEACHER_EDITED', '7', '{\"steps\": []}');",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        submissions::current_solution_version(&db.pool, &QuestionId::new("q-1"))
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        submissions::current_solution_version(&db.pool, &QuestionId::new("q-4"))
            .await
            .unwrap(),
        None
    );
    let ids: Vec<QuestionId> = ["q-1", "q-2", "q-4"].map(QuestionId::from).to_vec();
    let mut solutions = submissions::current_solutions(&db.pool, &ids)
        .await
        .unwrap();
    solutions.sort_by(|a, b| a.id.cmp(&b.id));
    let got: Vec<_> = solutions
        .iter()
        .map(|s| (s.id.as_str(), s.version, s.source))
        .collect();
    assert_eq!(
        got,
        [
            ("sol-q-1-2", 2, SolutionSource::TeacherEdited),
            ("sol-q-2-1", 1, SolutionSource::LlmGenerated)
        ]
    );
    assert!(solutions[0].expected_error_tags.is_empty());

    SubmissionFixture::new("s-1", &guide, "q-1", STUDENT_IDS[0])
        .insert(&db.pool)
        .await;
    let mut tx = db::begin(&db.pool).await.unwrap();
    assert_eq!(
        submissions::lock(&mut tx, &SubmissionId::new("s-1"))
            .await
            .unwrap(),
        Some(SubmissionStatus::Uploaded)
    );
    submissions::set_solution_version(&mut *tx, &SubmissionId::new("s-1"), Some(2))
        .await
        .unwrap();
    drop(tx);
    let version: Option<i32> =
        sqlx::query_scalar("SELECT solution_version FROM guide_submissions WHERE id = 's-1'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(version, None, "rolled back with its transaction");
    let mut tx = db::begin(&db.pool).await.unwrap();
    assert_eq!(
        submissions::lock(&mut tx, &SubmissionId::new("nope"))
            .await
            .unwrap(),
        None
    );
}
