//! The LLM classifier's repository on the seeded catalogue: which tags a subdomain may use,
//! the conditional classification, the PENDING attempts the re-enqueue finds and the bodies it
//! rebuilds (both variants of workers-infra.md §3.2).

use innova_core::db::classify;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::messages::{LlmClassifyMessage, RawStep};
use innova_domain::ids::AttemptId;
use innova_domain::vocab::{AttemptStatus, InputMode};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::{TestDb, seeded_db};

async fn domain_id(db: &TestDb, code: &str) -> String {
    sqlx::query_scalar("SELECT id FROM domains WHERE code = $1")
        .bind(code)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Inserts an attempt (`age` as an SQL interval) with its steps, the last one final.
async fn attempt(
    db: &TestDb,
    id: &str,
    mode: &str,
    status: &str,
    exercise: Option<&str>,
    age: &str,
    steps: &[&str],
) {
    sqlx::query(&format!(
        "INSERT INTO attempts (id, student_id, exercise_id, course_id, is_correct, classifier_source,
                               input_mode, status, trace_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, false, 'LLM', $5, $6, 'trace-' || $1,
                 CURRENT_TIMESTAMP - interval '{age}', CURRENT_TIMESTAMP)"
    ))
    .bind(id)
    .bind(STUDENT_IDS[0])
    .bind(exercise)
    .bind(COURSE_ID)
    .bind(mode)
    .bind(status)
    .execute(&db.pool)
    .await
    .unwrap();
    for (i, s) in steps.iter().enumerate() {
        sqlx::query(
            "INSERT INTO attempt_steps (id, attempt_id, step_index, content_latex, is_correct)
             VALUES ($1 || '-' || $2, $1, $2, $3, CASE WHEN $4 THEN false END)",
        )
        .bind(id)
        .bind(i as i32)
        .bind(s)
        .bind(i + 1 == steps.len())
        .execute(&db.pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_subdomain_may_use_its_active_tags_and_its_domains_transversal_ones() {
    let db = seeded_db().await;
    let arith = domain_id(&db, "ARITH").await;
    // A deprecated tag of the subdomain is not offered.
    sqlx::query(
        "UPDATE error_tags SET status = 'DEPRECATED' WHERE code = 'ARITH_SUB_BORROW_FROM_ZERO_G3'",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let catalog = classify::catalog(&db.pool, Some(&arith), Some("SUB"))
        .await
        .unwrap();
    let codes: Vec<&str> = catalog.tags.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3",
            "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            "ARITH_SUB_BORROW_PROPAGATION_STOP_G3",
            "ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3",
            "ARITH_TRANSV_COLUMN_MISALIGNMENT",
            "ARITH_TRANSV_DIGIT_TRANSPOSITION",
            "ARITH_TRANSV_FACT_ERROR",
            "ARITH_TRANSV_PLACE_VALUE_ERROR",
        ]
    );
    let unclassified: String =
        sqlx::query_scalar("SELECT id FROM error_tags WHERE code = 'UNCLASSIFIED'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(catalog.unclassified_id, Some(unclassified));
    assert!(catalog.tags.iter().all(|t| !t.name.is_empty()));

    // Without the domain: the subdomain's tags wherever they are; without the subdomain: the
    // domain's; without either: nothing but UNCLASSIFIED.
    let sub_only = classify::catalog(&db.pool, None, Some("SUB"))
        .await
        .unwrap();
    assert_eq!(sub_only.tags.len(), 4);
    let fract = domain_id(&db, "FRACT").await;
    let domain_only = classify::catalog(&db.pool, Some(&fract), None)
        .await
        .unwrap();
    assert_eq!(domain_only.tags.len(), 4);
    assert!(
        domain_only
            .tags
            .iter()
            .all(|t| t.code.starts_with("FRACT_ADDSUB_"))
    );
    let none = classify::catalog(&db.pool, None, None).await.unwrap();
    assert!(none.tags.is_empty());
    assert!(none.unclassified_id.is_some());
}

#[tokio::test]
async fn only_a_pending_attempt_is_classified_and_only_once() {
    let db = seeded_db().await;
    attempt(&db, "a-1", "DIGITAL", "PENDING", None, "1 minute", &["45"]).await;
    let tag: String = sqlx::query_scalar(
        "SELECT id FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();

    let states = classify::attempt_states(&db.pool, &["a-1".into(), "gone".into()])
        .await
        .unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].status, states[0].trace_id.as_str()),
        (AttemptStatus::Pending, "trace-a-1")
    );

    assert!(
        classify::mark_classified(&db.pool, &AttemptId::new("a-1"), Some(&tag), 0.8)
            .await
            .unwrap()
    );
    assert!(
        !classify::mark_classified(&db.pool, &AttemptId::new("a-1"), None, 0.1)
            .await
            .unwrap(),
        "a second classification changes nothing"
    );
    let (status, source, tag_id, confidence, classified): (
        String,
        String,
        Option<String>,
        f64,
        bool,
    ) = sqlx::query_as(
        "SELECT status, classifier_source, error_tag_id, confidence, classified_at IS NOT NULL
             FROM attempts WHERE id = 'a-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            status.as_str(),
            source.as_str(),
            tag_id,
            confidence,
            classified
        ),
        ("CLASSIFIED", "LLM", Some(tag), 0.8, true)
    );
}

#[tokio::test]
async fn the_reenqueue_finds_old_pending_attempts_of_the_classifier_oldest_first() {
    let db = seeded_db().await;
    let guide = GuideFixture::new("g-1", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-1", 1, "52 - 17")
                .topic("SUB")
                .answer("35"),
        );
    guide.insert(&db.pool).await;
    SubmissionFixture::new("s-1", &guide, "q-1", STUDENT_IDS[0])
        .status("GRADED")
        .insert(&db.pool)
        .await;
    attempt(
        &db,
        "old-digital",
        "DIGITAL",
        "PENDING",
        Some("seed-ex-sub-001"),
        "3 hours",
        &["53 - 26", "10"],
    )
    .await;
    attempt(
        &db,
        "old-photo",
        "PHOTO_GUIDE",
        "PENDING",
        None,
        "2 hours",
        &["52 - 17", "45"],
    )
    .await;
    sqlx::query("UPDATE guide_submissions SET attempt_id = 'old-photo' WHERE id = 's-1'")
        .execute(&db.pool)
        .await
        .unwrap();
    // Left alone: too young, classified, waiting for the ad-hoc solver, a photo attempt without
    // its submission.
    attempt(
        &db,
        "young",
        "DIGITAL",
        "PENDING",
        None,
        "5 minutes",
        &["1"],
    )
    .await;
    attempt(
        &db,
        "done",
        "DIGITAL",
        "CLASSIFIED",
        None,
        "3 hours",
        &["1"],
    )
    .await;
    attempt(&db, "adhoc", "SCAN_ADHOC", "PENDING", None, "3 hours", &[]).await;
    attempt(
        &db,
        "orphan-photo",
        "PHOTO_GUIDE",
        "PENDING",
        None,
        "3 hours",
        &["1"],
    )
    .await;

    let stale = classify::stale_pending(&db.pool, 30, 10).await.unwrap();
    let found: Vec<(&str, InputMode)> = stale
        .iter()
        .map(|s| (s.id.as_str(), s.input_mode))
        .collect();
    assert_eq!(
        found,
        [
            ("old-digital", InputMode::Digital),
            ("old-photo", InputMode::PhotoGuide)
        ]
    );
    assert_eq!(
        classify::stale_pending(&db.pool, 30, 1)
            .await
            .unwrap()
            .len(),
        1,
        "bounded"
    );

    let mut conn = db.pool.acquire().await.unwrap();
    let ids: Vec<AttemptId> = vec!["old-photo".into(), "old-digital".into(), "adhoc".into()];
    let messages = classify::rebuild_messages(&mut conn, &ids).await.unwrap();
    let arith = domain_id(&db, "ARITH").await;
    // The fixture's "SUB" is the first topic with that code (the code exists in several domains).
    let question_domain: String = sqlx::query_scalar(
        "SELECT t.domain_id FROM guide_questions q JOIN topics t ON t.id = q.topic_id WHERE q.id = 'q-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let steps = |a: &str, b: &str| {
        vec![
            RawStep {
                expression: a.into(),
                is_final: false,
            },
            RawStep {
                expression: b.into(),
                is_final: true,
            },
        ]
    };
    assert_eq!(
        messages,
        [
            // Variant B: the question's topic, statement and current solution.
            LlmClassifyMessage {
                id: "old-photo".into(),
                topic: Some("SUB".into()),
                domain_id: Some(question_domain),
                subdomain_code: Some("SUB".into()),
                problem_statement: "52 - 17".into(),
                canonical_solution: "35".into(),
                raw_steps: steps("52 - 17", "45"),
                final_answer: "45".into(),
                student_id: STUDENT_IDS[0].into(),
            },
            // Variant A from the exercise: its topic, prompt and expected answer.
            LlmClassifyMessage {
                id: "old-digital".into(),
                topic: Some("SUB".into()),
                domain_id: Some(arith),
                subdomain_code: Some("SUB".into()),
                problem_statement: "53 - 26 = ?".into(),
                canonical_solution: "27".into(),
                raw_steps: steps("53 - 26", "10"),
                final_answer: "10".into(),
                student_id: STUDENT_IDS[0].into(),
            },
        ],
        "in the order asked; the ad-hoc attempt has no llm-classify body"
    );
}
