//! The attempt-reprocess repository: a submission loaded with its guide, question, topic and
//! current solution under a row lock; marked GRADED and linked to its attempt.

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::db::{self, grading};
use innova_domain::ids::{AttemptId, SubmissionId};
use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::seeded_db;

#[tokio::test]
async fn a_submission_is_loaded_locked_with_what_grading_needs_then_marked_graded() {
    let db = seeded_db().await;
    let guide = GuideFixture::new("g-grade", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-grade", 1, "53 - 26")
                .topic("SUB")
                .answer("27"),
        );
    guide.insert(&db.pool).await;
    SubmissionFixture::new("s-grade", &guide, "q-grade", STUDENT_IDS[0])
        .status("GRADING")
        .insert(&db.pool)
        .await;

    assert!(
        grading::lock_submission(&db.pool, &SubmissionId::new("nope"))
            .await
            .unwrap()
            .is_none()
    );

    let mut tx = db::begin(&db.pool).await.unwrap();
    let s = grading::lock_submission(&mut *tx, &SubmissionId::new("s-grade"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            s.student_id.as_str(),
            s.course_id.as_str(),
            s.status.as_str()
        ),
        (STUDENT_IDS[0], COURSE_ID, "GRADING")
    );
    assert_eq!(s.statement_latex, "53 - 26");
    assert_eq!(s.solution_final_answer.as_deref(), Some("27"));
    assert_eq!(s.topic_code.as_deref(), Some("SUB"));
    assert!(s.subdomain_code.is_some() && s.bkt_p_l0.is_some());
    assert!(!s.is_graded());

    // The row is locked: another transaction cannot take it until this one ends.
    let mut other = db::begin(&db.pool).await.unwrap();
    let busy =
        sqlx::query("SELECT id FROM guide_submissions WHERE id = 's-grade' FOR UPDATE NOWAIT")
            .execute(&mut *other)
            .await
            .expect_err("the submission is locked");
    assert_eq!(
        busy.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("55P03"),
        "lock_not_available, not another error: {busy}"
    );
    drop(other);

    grading::insert_attempt(
        &mut *tx,
        &grading::NewGradedAttempt {
            id: &AttemptId::new("a-grade"),
            student_id: &s.student_id,
            exercise_id: None,
            course_id: Some(&s.course_id),
            assignment_id: None,
            is_correct: true,
            error_tag_id: None,
            classifier_source: ClassifierSource::Rule,
            confidence: 0.9,
            ocr_confidence: Some(0.9),
            ocr_provider: "claude-haiku",
            input_mode: InputMode::PhotoGuide,
            status: AttemptStatus::Classified,
            final_answer: Some("27"),
            trace_id: "t-grade",
        },
    )
    .await
    .unwrap();
    let summary =
        serde_json::json!({"path": "MAIN", "first_error_checkpoint": null, "score_0_1": 1.0});
    grading::mark_graded(
        &mut *tx,
        &grading::SubmissionGrade {
            id: &SubmissionId::new("s-grade"),
            attempt_id: &AttemptId::new("a-grade"),
            transcription_latex: "53 - 26 \\\\ 27",
            transcription_confidence: 0.9,
            score: 1.0,
            is_correct: true,
            model_used: "claude-haiku",
            alignment_json: Some(&summary),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let again = grading::lock_submission(&db.pool, &SubmissionId::new("s-grade"))
        .await
        .unwrap()
        .unwrap();
    assert!(again.is_graded());
    let (alignment, graded_at): (serde_json::Value, Option<chrono::NaiveDateTime>) =
        sqlx::query_as(
            "SELECT alignment_json, graded_at FROM guide_submissions WHERE id = 's-grade'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(alignment, serde_json::json!({ "summary": summary }));
    assert!(graded_at.is_some());
}
