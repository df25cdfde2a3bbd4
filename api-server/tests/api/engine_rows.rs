//! Decision 25: every value the AI engine writes into the shared tables is understood by every
//! route that reads it. The rows are written exactly as the engine's SQL writes them (its
//! `src/*/repository.py`: the ad-hoc solver's FAILED attempt, the grader's ILLEGIBLE and FAILED
//! submissions, the classifier's LLM_GENERATED tag and its classification, the exercise
//! generator's LLM_GENERATED exercise, the solution generator's and the hourly job's alerts), then
//! read through the generated client — whose types are the contract's, so a shape that strays
//! from the contract fails to parse — and raw where a body is checked field by field.

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, PARENT, STUDENT1, TEACHER};
use crate::support::{TestApp, send_as, spawn_seeded};

async fn exec(app: &TestApp, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(app.pool()).await.unwrap();
}

/// The ad-hoc solver gave up (`src/adhoc_solver/repository.py`): the attempt the backend stored
/// PENDING becomes FAILED.
async fn engine_failed_adhoc(app: &TestApp) -> String {
    let (status, body) = send_as(
        app,
        STUDENT1,
        Method::POST,
        "/attempts/solve-adhoc",
        Some(
            json!({"studentId": STUDENT_IDS[0], "courseId": COURSE_ID, "problemLatex": "2x+3=7",
                    "studentSteps": ["2x=4", "x=2"], "studentFinalAnswer": "x=2", "gradeLevel": 8}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["data"]["attemptId"].as_str().unwrap().to_owned();
    exec(
        app,
        "UPDATE attempts SET status = 'FAILED', updated_at = NOW() WHERE id = $1",
        &[&id],
    )
    .await;
    id
}

/// The classifier's auto-catalog (`llm_consumer.py`): a new LLM_GENERATED tag, then its
/// classification of an attempt (`_UPDATE_SQL`).
async fn engine_classified_with_a_new_tag(app: &TestApp) -> String {
    let (status, body) = send_as(
        app,
        STUDENT1,
        Method::POST,
        "/attempts",
        Some(
            json!({"studentId": STUDENT_IDS[0], "topicCode": "NO-STRATEGY", "courseId": COURSE_ID,
                    "rawSteps": [{"expression": "9", "isFinal": true}],
                    "expectedAnswer": 7, "studentAnswer": 9}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["data"]["attemptId"].as_str().unwrap().to_owned();
    exec(
        app,
        "INSERT INTO error_tags (id, code, name, description, domain_id, source, status, severity,
                                 applicable_grades, evidence_required, \"references\",
                                 diagnostic_hint, created_at, updated_at)
         VALUES ($1, 'FRACT_ADD_NUMERATORS_AND_DENOMINATORS', 'Suma numeradores y denominadores',
                 'El estudiante suma numeradores entre sí y denominadores entre sí.', NULL,
                 'LLM_GENERATED', 'ACTIVE', 'MED', ARRAY[]::int[], ARRAY[]::text[], ARRAY[]::text[],
                 NULL, NOW(), NOW())
         ON CONFLICT (code) DO UPDATE SET updated_at = NOW()",
        &["3c9e6f4a-0000-4000-8000-00000000e7a9"],
    )
    .await;
    exec(
        app,
        "UPDATE attempts
            SET error_tag_id = (SELECT id FROM error_tags WHERE code = $1 AND status = 'ACTIVE'
                                  AND code NOT IN ('CORRECT', 'UNCLASSIFIED', 'TRANSVERSAL_LIKELY')),
                classifier_source = 'LLM', confidence = 0.82, classified_at = NOW(),
                status = CASE WHEN $1 IN ('CORRECT', 'UNCLASSIFIED', 'TRANSVERSAL_LIKELY')
                                   AND $1 <> 'CORRECT' THEN 'PENDING' ELSE 'CLASSIFIED' END
          WHERE id = $2",
        &["FRACT_ADD_NUMERATORS_AND_DENOMINATORS", &id],
    )
    .await;
    id
}

/// A published guide with three submissions as the grader leaves them
/// (`src/submission_grader/repository.py`): ILLEGIBLE (GRADED, no score), FAILED (no photos),
/// FAILED (an unparseable grader reply).
async fn engine_graded_submissions(app: &TestApp) {
    let guide = GuideFixture::new("g-engine", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .show_solution_after_grade(true)
        .question(
            QuestionFixture::approved("gq-1", 1, "53 - 26")
                .topic("SUB")
                .answer("27"),
        )
        .question(
            QuestionFixture::approved("gq-2", 2, "81 - 35")
                .topic("SUB")
                .answer("46"),
        )
        .question(
            QuestionFixture::approved("gq-3", 3, "64 - 27")
                .topic("SUB")
                .answer("37"),
        );
    guide.insert(app.pool()).await;
    for (id, q) in [
        ("gs-illegible", "gq-1"),
        ("gs-nophotos", "gq-2"),
        ("gs-invalid", "gq-3"),
    ] {
        SubmissionFixture::new(id, &guide, q, STUDENT_IDS[0])
            .status("TRANSCRIBING")
            .insert(app.pool())
            .await;
    }
    let update = "UPDATE guide_submissions
           SET status = $2::\"SubmissionStatus\", transcription_latex = $3,
               transcription_json = $4::jsonb, transcription_confidence = $5::float8,
               alignment_json = NULL, score = NULL, is_correct = NULL, solution_version = 1,
               model_used = 'claude-haiku-4-5', failure_reason = $6,
               graded_at = CASE WHEN $2 = 'GRADED' THEN NOW() ELSE graded_at END,
               updated_at = NOW()
         WHERE id = $1";
    let illegible = r#"{"steps":[{"idx":0,"latex":"5? - 2?","legible":false}],"final_answer":null,"confidence":0.31}"#;
    exec(
        app,
        update,
        &["gs-illegible", "GRADED", "", illegible, "0.31", "ILLEGIBLE"],
    )
    .await;
    exec(
        app,
        update,
        &["gs-nophotos", "FAILED", "", "{}", "0.0", "no photos"],
    )
    .await;
    exec(
        app,
        update,
        &[
            "gs-invalid",
            "FAILED",
            "",
            "{}",
            "0.0",
            "GRADER_RESPONSE_INVALID",
        ],
    )
    .await;
}

/// The exercise generator's item (`src/exercise_generator/repository.py`), and its tags.
async fn engine_generated_exercise(app: &TestApp) -> String {
    let id: String = sqlx::query_scalar(
        "INSERT INTO exercises (id, topic_id, source, content, irt_a, irt_b, status)
         VALUES (gen_random_uuid(), 'seed-topic-001', 'LLM_GENERATED', $1::jsonb, 1.7, -0.4, 'ACTIVE')
         RETURNING id",
    )
    .bind(json!({"prompt": "\\frac{2}{3}+\\frac{1}{4}", "correct_answer_latex": "\\frac{11}{12}",
                 "solution_steps_latex": ["\\frac{8}{12}+\\frac{3}{12}", "\\frac{11}{12}"],
                 "target_error_codes": ["SUM_NUMERATORS_AND_DENOMINATORS"]}))
    .fetch_one(app.pool())
    .await
    .unwrap();
    exec(
        app,
        "INSERT INTO \"_ExerciseTargetErrors\" (\"A\", \"B\")
         SELECT et.id, $1 FROM error_tags et WHERE et.code = ANY(ARRAY['ARITH_SUB_BORROW_OMITTED_TENS_G3'])
         ON CONFLICT DO NOTHING",
        &[&id],
    )
    .await;
    id
}

/// The solution generator's GUIDE_READY_FOR_REVIEW, and the hourly job's STUDENT_DROP.
async fn engine_alerts(app: &TestApp) {
    exec(
        app,
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, alert_type, severity, payload)
         VALUES (gen_random_uuid(), $1, $2, 'GUIDE_READY_FOR_REVIEW', 'MED', $3::jsonb)",
        &[
            TEACHER_ID,
            COURSE_ID,
            r#"{"guide_id":"g-engine","title":"Guía 4 — Fracciones","question_count":12,"needs_review_count":3}"#,
        ],
    )
    .await;
    exec(
        app,
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, topic_id, student_id, alert_type, severity, payload)
         SELECT gen_random_uuid(), $1, $2, NULL, $3, 'STUDENT_DROP', 'MED', $4::jsonb",
        &[
            TEACHER_ID,
            COURSE_ID,
            STUDENT_IDS[1],
            &format!(
                r#"{{"course_id":"{COURSE_ID}","worst_topic_code":"SUB","worst_trend":-0.21,"dropped_topic_count":2,"dedup_ref":"{}"}}"#,
                STUDENT_IDS[1]
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_route_reads_what_the_ai_engine_wrote() {
    let app = spawn_seeded().await;
    let failed = engine_failed_adhoc(&app).await;
    let classified = engine_classified_with_a_new_tag(&app).await;
    engine_graded_submissions(&app).await;
    let exercise = engine_generated_exercise(&app).await;
    engine_alerts(&app).await;

    let student = app.client_for(STUDENT1).await;
    let teacher = app.client_for(TEACHER).await;
    let admin = app.client_for(ADMIN).await;
    let parent = app.client_for(PARENT).await;

    // Attempts: FAILED is a status of the contract; the engine's tag is named.
    let status = student
        .attempts_status()
        .id(&failed)
        .send()
        .await
        .expect("FAILED parses")
        .into_inner();
    assert_eq!(serde_json::to_value(status.data.status).unwrap(), "FAILED");
    let status = teacher
        .attempts_status()
        .id(&classified)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.data.error_tag_code.as_deref(),
        Some("FRACT_ADD_NUMERATORS_AND_DENOMINATORS")
    );
    for id in [&failed, &classified] {
        student
            .attempts_detail()
            .id(id)
            .send()
            .await
            .expect("the detail parses");
    }
    teacher
        .mastery_course()
        .course_id(COURSE_ID)
        .send()
        .await
        .expect("the course view parses");
    teacher
        .mastery_classroom()
        .classroom_id(COURSE_ID)
        .send()
        .await
        .expect("the classroom parses");
    student
        .mastery_student()
        .student_id(STUDENT_IDS[0])
        .send()
        .await
        .expect("mastery parses");
    parent
        .parent_child()
        .student_id(STUDENT_IDS[0])
        .send()
        .await
        .expect("the parent's summary parses");

    // Submissions: ILLEGIBLE (GRADED, no score) and FAILED, in every view of them.
    for id in ["gs-illegible", "gs-nophotos", "gs-invalid"] {
        student
            .student_submissions_status()
            .id(id)
            .send()
            .await
            .expect("the status parses");
        teacher
            .guides_submission()
            .id("g-engine")
            .sid(id)
            .send()
            .await
            .expect("the detail parses");
    }
    let mine = student
        .student_guides_results()
        .id("g-engine")
        .send()
        .await
        .expect("results parse");
    assert_eq!(mine.into_inner().data.questions.len(), 3);
    teacher
        .guides_results()
        .id("g-engine")
        .send()
        .await
        .expect("the teacher's results parse");
    let (_, detail) = send_as(
        &app,
        TEACHER,
        Method::GET,
        "/guides/g-engine/submissions/gs-illegible",
        None,
    )
    .await;
    assert_eq!(detail["data"]["failureReason"], "ILLEGIBLE");
    assert_eq!(detail["data"]["status"], "GRADED");
    assert!(detail["data"]["score"].is_null());

    // The LLM_GENERATED tag in the catalogues.
    let tags = student
        .skills_error_tags()
        .q("numeradores")
        .send()
        .await
        .expect("tags parse");
    assert!(
        serde_json::to_string(&tags.into_inner().data)
            .unwrap()
            .contains("FRACT_ADD_NUMERATORS_AND_DENOMINATORS")
    );
    let catalog = admin
        .admin_error_tags_list()
        .source(innova_api_client::types::ErrorSource::LlmGenerated)
        .send()
        .await;
    let catalog = catalog.expect("the admin catalogue parses").into_inner();
    assert_eq!(catalog.data.items.len(), 1);

    // The generated exercise in the bank (its answer is the shared bank's: readable).
    let item = student
        .items_get()
        .id(&exercise)
        .send()
        .await
        .expect("the item parses")
        .into_inner();
    assert_eq!(
        item.data.content.correct_answer_latex.as_deref(),
        Some("\\frac{11}{12}")
    );
    let listed = student
        .items_list()
        .limit(100)
        .send()
        .await
        .expect("the list parses")
        .into_inner();
    assert!(listed.data.iter().any(|i| i.id == exercise));
    student
        .practice_recommend_next()
        .student_id(STUDENT_IDS[0])
        .send()
        .await
        .expect("practice parses");

    // The engine's alerts read as ours: camelCase fields and a message.
    let alerts = teacher
        .alerts_list()
        .course_id(COURSE_ID)
        .send()
        .await
        .expect("alerts parse")
        .into_inner();
    let payloads: Vec<Value> = alerts.data.iter().map(|a| a.payload.clone()).collect();
    let ready = payloads
        .iter()
        .find(|p| p["guideId"] == "g-engine")
        .expect("{payloads:?}");
    assert_eq!(
        ready["message"],
        "La guía \"Guía 4 — Fracciones\" está lista para revisión"
    );
    assert_eq!(ready["questionCount"], 12);
    let drop = payloads
        .iter()
        .find(|p| p["worstTopicCode"] == "SUB")
        .expect("{payloads:?}");
    assert!(drop.get("dedupRef").is_none() && drop.get("dedup_ref").is_none());
    assert!(drop["message"].as_str().unwrap().contains("SUB"));
}
