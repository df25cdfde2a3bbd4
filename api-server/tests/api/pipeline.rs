//! The worksheet pipeline end to end (issue 13), the test playing the AI engine exactly as its
//! message contract says: it receives the guide-ingest message from SQS, writes questions and
//! solutions and moves the guide to REVIEW; later it receives the submission-grade message,
//! writes its transcription and sends the attempt-reprocess message, which the real
//! `attemptReprocessWorker` handler applies (`innova-workers` is a dev-dependency of these tests
//! only: the API crate and its Lambda binary do not link the workers).

use std::sync::Arc;

use innova_api_client::types;
use innova_app::App;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
use innova_core::queue::{SqsHandler, SqsMessage};
use innova_core::services::{Runtime, Services};
use innova_domain::bkt::{self, BktParams};
use innova_domain::rules::{self, AttemptInput, Operand, RawStep};
use innova_workers::attempt_reprocess::AttemptReprocessHandler;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{STUDENT1, TEACHER};
use crate::support::{
    moto_queue, moto_sqs, receive_event, required_env, send_as, spawn_seeded_with,
};

/// One exchange of the story, for the trace the note reports.
fn step(trail: &mut Vec<String>, what: &str, status: StatusCode) {
    trail.push(format!("{what} {}", status.as_u16()));
}

#[tokio::test]
async fn a_worksheet_goes_from_pdf_to_a_graded_attempt_in_the_teachers_matrix() {
    let ingest = moto_queue("guide-ingest-queue", false).await;
    let grade = moto_queue("submission-grade-queue", false).await;
    let reprocess = moto_queue("attempt-reprocess-queue", false).await;
    let llm = moto_queue("llm-classify-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_GUIDE_INGEST_URL", &ingest.url),
        ("SQS_SUBMISSION_GRADE_URL", &grade.url),
        ("SQS_ATTEMPT_REPROCESS_URL", &reprocess.url),
        ("SQS_LLM_CLASSIFY_URL", &llm.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let mut trail = Vec::new();

    // 1. The teacher creates the guide and PUTs the PDF to the presigned URL.
    let (status, created) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/guides",
        Some(json!({
            "courseId": COURSE_ID, "title": "Restas con reserva", "dueAt": "2026-12-31T23:59:00Z"
        })),
    )
    .await;
    step(&mut trail, "POST /guides", status);
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let guide_id = created["data"]["guideId"].as_str().unwrap().to_owned();
    let pdf_key = created["data"]["sourcePdfKey"].as_str().unwrap().to_owned();
    let put = app
        .http
        .put(created["data"]["presignedPutUrl"].as_str().unwrap())
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.4 restas".to_vec())
        .send()
        .await
        .unwrap();
    step(&mut trail, "PUT pdf", put.status());
    assert!(put.status().is_success());

    // 2. Ingest: the AI engine receives exactly the §3.5 body, with the request's trace id.
    let (status, ingested) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/ingest"),
        None,
    )
    .await;
    step(&mut trail, "POST /guides/:id/ingest", status);
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    let event = receive_event(&ingest).await;
    assert_eq!(event.records.len(), 1);
    let message: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    let grade_level: i32 = sqlx::query_scalar("SELECT grade_level FROM courses WHERE id = $1")
        .bind(COURSE_ID)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        message,
        json!({ "guide_id": guide_id, "source_pdf_key": pdf_key, "course_grade_level": grade_level,
                "trace_id": ingested["traceId"] })
    );

    // 3. The AI engine extracts two questions and drafts their solutions, then moves the guide
    //    to REVIEW (through GENERATING_SOLUTIONS), as its workers do.
    let topic: (String, f64, f64, f64, f64) = sqlx::query_as(
        "SELECT t.id, t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess
         FROM topics t JOIN domains d ON d.id = t.domain_id
         WHERE t.code = 'SUB' AND d.code = 'ARITH' ORDER BY t.id LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, topic_id,
                                      domain_id, subdomain_id, topic_source, topic_confidence, updated_at)
         SELECT 'q-resta', '{guide_id}', 1, '53 - 26', 'NEEDS_REVIEW', t.id, t.domain_id, t.subdomain_id,
                'AI', 0.92, CURRENT_TIMESTAMP FROM topics t WHERE t.id = '{t}';
         INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, updated_at)
         VALUES ('q-dibujo', '{guide_id}', 2, 'Dibuja la recta numérica', 'EXTRACTED', CURRENT_TIMESTAMP);
         INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source, final_answer,
                                      steps_json, generated_by_model)
         VALUES ('sol-resta-1', 'q-resta', 1, true, 'LLM_GENERATED', '27',
                 '{{\"final_answer\": \"27\", \"points\": 1, \"steps\": [{{\"idx\": 0, \"latex\": \"53 - 26 = 27\", \"checkpoint\": true}}]}}',
                 'claude-sonnet-4-6');
         UPDATE guides SET status = 'GENERATING_SOLUTIONS', question_count = 2, updated_at = CURRENT_TIMESTAMP WHERE id = '{guide_id}';
         UPDATE guides SET status = 'REVIEW', updated_at = CURRENT_TIMESTAMP WHERE id = '{guide_id}';",
        t = topic.0
    ))
    .execute(app.pool())
    .await
    .unwrap();

    // 4. Review: approve the subtraction, exclude the drawing, show solutions after grading.
    for (question, status_value) in [("q-resta", "APPROVED"), ("q-dibujo", "EXCLUDED")] {
        let (status, body) = send_as(
            &app,
            TEACHER,
            Method::PATCH,
            &format!("/guides/{guide_id}/questions/{question}"),
            Some(json!({ "status": status_value })),
        )
        .await;
        step(&mut trail, "PATCH /guides/:id/questions/:qid", status);
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/guides/{guide_id}"),
        Some(json!({ "showSolutionAfterGrade": true })),
    )
    .await;
    step(&mut trail, "PATCH /guides/:id", status);
    assert_eq!(status, StatusCode::OK);

    // Nothing of the guide before it is published.
    let student = app.client_for(STUDENT1).await;
    let hidden = student.student_guides_get().id(&guide_id).send().await;
    assert_eq!(hidden.unwrap_err().status(), Some(StatusCode::NOT_FOUND));

    // 5. Publish: an assignment with a target per enrolled student, one exercise.
    let (status, published) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/publish"),
        None,
    )
    .await;
    step(&mut trail, "POST /guides/:id/publish", status);
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let data = &published["data"];
    assert_eq!(
        (
            data["materializedExercises"].as_i64(),
            data["studentsAssigned"].as_i64()
        ),
        (Some(1), Some(5))
    );
    let targets: i64 =
        sqlx::query_scalar("SELECT count(*) FROM assignment_targets WHERE assignment_id = $1")
            .bind(data["assignmentId"].as_str().unwrap())
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(targets, 5);

    // 6. The student sees the quiz: the approved question, no solution anywhere.
    let quiz = student
        .student_guides_get()
        .id(&guide_id)
        .send()
        .await
        .unwrap();
    step(&mut trail, "GET /student/guides/:id", quiz.status());
    let quiz = serde_json::to_value(quiz.into_inner()).unwrap();
    assert_eq!(quiz["data"]["questions"].as_array().unwrap().len(), 1);
    let text = quiz.to_string();
    assert!(
        !text.contains("\"27\"") && !text.contains("finalAnswer") && !text.contains("stepsJson"),
        "{text}"
    );

    // 7. Two photos, uploaded and completed: the AI engine receives the §3.7 body.
    let started = student
        .student_submissions_create()
        .id(&guide_id)
        .qid("q-resta")
        .body(crate::classrooms::body::<types::CreateSubmission>(
            json!({ "photoCount": 2 }),
        ))
        .send()
        .await
        .unwrap();
    step(
        &mut trail,
        "POST /student/guides/:id/questions/:qid/submissions",
        started.status(),
    );
    let started = started.into_inner().data;
    assert_eq!(started.presigned_put_urls.len(), 2);
    for url in &started.presigned_put_urls {
        let put = app
            .http
            .put(url)
            .header("content-type", "image/jpeg")
            .body(vec![0xFF, 0xD8, 0xFF, 0xE0])
            .send()
            .await
            .unwrap();
        step(&mut trail, "PUT photo", put.status());
        assert!(put.status().is_success());
    }
    let submission_id = started.submission_id.clone();
    let (status, completed) = send_as(
        &app,
        STUDENT1,
        Method::POST,
        &format!("/student/submissions/{submission_id}/complete"),
        None,
    )
    .await;
    step(&mut trail, "POST /student/submissions/:id/complete", status);
    assert_eq!(status, StatusCode::ACCEPTED, "{completed}");
    let event = receive_event(&grade).await;
    assert_eq!(event.records.len(), 1);
    let message: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    let photo_keys: Vec<String> =
        sqlx::query_scalar("SELECT photo_keys FROM guide_submissions WHERE id = $1")
            .bind(&submission_id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        message,
        json!({ "guide_submission_id": submission_id, "guide_question_id": "q-resta", "solution_version": 1,
                "photo_keys": photo_keys, "trace_id": completed["traceId"] })
    );
    // Not graded yet: no solution for the student.
    let (_, early) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        &format!("/student/guides/{guide_id}/results"),
        None,
    )
    .await;
    assert!(
        early["data"]["questions"][0]["solution"].is_null(),
        "{early}"
    );

    // 8. The AI engine grades (53 - 26 answered 33, the tens not borrowed) and sends §3.4.
    sqlx::query("UPDATE guide_submissions SET status = 'GRADING', transcription_confidence = 0.91 WHERE id = $1")
        .bind(&submission_id)
        .execute(app.pool())
        .await
        .unwrap();
    let grade_body = json!({
        "attempt_id": null, "latex_steps": ["53 - 26", "33"], "provider": "claude-haiku",
        "confidence": 0.91, "trace_id": "trace-grader", "guide_submission_id": submission_id,
        "guide_question_id": "q-resta",
        "alignment_summary": { "path": "MAIN", "first_error_checkpoint": 0, "score_0_1": 0.0 },
    });
    moto_sqs()
        .await
        .send_message()
        .queue_url(&reprocess.url)
        .message_body(grade_body.to_string())
        .send()
        .await
        .unwrap();
    let delivered = receive_event(&reprocess).await;
    assert_eq!(delivered.records.len(), 1);
    let worker = AttemptReprocessHandler::new(App::new(
        Arc::new(app.config.clone()),
        app.pool().clone(),
        Services::for_runtime(&app.config, Runtime::Local),
    ));
    let response = worker.handle(delivered).await;
    assert!(response.batch_item_failures.is_empty());
    // A redelivery changes nothing.
    let mut again = SqsMessage::default();
    again.message_id = Some("redelivered".into());
    again.body = Some(grade_body.to_string());
    let mut event = innova_core::queue::SqsEvent::default();
    event.records.push(again);
    assert!(worker.handle(event).await.batch_item_failures.is_empty());

    // The attempt: the reference rule engine's tag, BKT to the bit.
    let expected_tag = rules::classify(
        Some("ARITH_SUB"),
        &AttemptInput {
            raw_steps: vec![
                RawStep {
                    expression: "53 - 26".into(),
                    is_final: false,
                },
                RawStep {
                    expression: "33".into(),
                    is_final: true,
                },
            ],
            expected_answer: 27.0,
            student_answer: 33.0,
            minuend: Operand::Value(53.0),
            subtrahend: Operand::Value(26.0),
        },
    )
    .error_type;
    assert!(expected_tag.starts_with("ARITH_SUB_"), "{expected_tag}");
    let (attempt_id, tag, status_value, mode): (String, Option<String>, String, String) =
        sqlx::query_as(
            "SELECT a.id, e.code, a.status, a.input_mode FROM guide_submissions s
         JOIN attempts a ON a.id = s.attempt_id LEFT JOIN error_tags e ON e.id = a.error_tag_id
         WHERE s.id = $1",
        )
        .bind(&submission_id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        (tag.as_deref(), status_value.as_str(), mode.as_str()),
        (Some(expected_tag), "CLASSIFIED", "PHOTO_GUIDE")
    );
    let attempts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM attempts WHERE input_mode = 'PHOTO_GUIDE'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        attempts, 1,
        "one attempt for {attempt_id}, however often SQS delivers"
    );
    let params = BktParams {
        p_l0: topic.1,
        p_transit: topic.2,
        p_slip: topic.3,
        p_guess: topic.4,
    };
    let stored_before: Option<f64> = None; // the seed has no mastery for student 1 on this topic
    let expected_p = bkt::update(bkt::prior(stored_before, &params), &params, false);
    let (p_known, count): (f64, i32) = sqlx::query_as(
        "SELECT p_known, attempts_count FROM student_topic_mastery WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(STUDENT_IDS[0])
    .bind(&topic.0)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((p_known.to_bits(), count), (expected_p.to_bits(), 1));

    // 9. The teacher's matrix shows the cell and the common error.
    let (status, results) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/results"),
        None,
    )
    .await;
    step(&mut trail, "GET /guides/:id/results", status);
    assert_eq!(status, StatusCode::OK);
    let cells = results["data"]["cells"].as_array().unwrap();
    let cell = cells
        .iter()
        .find(|c| c["studentId"] == STUDENT_IDS[0])
        .expect("student 1's cell");
    assert_eq!(
        (
            cell["status"].as_str(),
            cell["errorTagCode"].as_str(),
            cell["isCorrect"].as_bool()
        ),
        (Some("GRADED"), Some(expected_tag), Some(false))
    );
    let common = &results["data"]["commonErrors"][0];
    assert_eq!(
        (
            common["questionId"].as_str(),
            common["tags"][0]["code"].as_str(),
            common["tags"][0]["count"].as_i64()
        ),
        (Some("q-resta"), Some(expected_tag), Some(1))
    );

    // 10. Graded, and the teacher shows solutions after grading: the student sees it now.
    let (status, mine) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        &format!("/student/guides/{guide_id}/results"),
        None,
    )
    .await;
    step(&mut trail, "GET /student/guides/:id/results", status);
    let question = &mine["data"]["questions"][0];
    assert_eq!(
        (
            question["status"].as_str(),
            question["errorTagCode"].as_str()
        ),
        (Some("GRADED"), Some(expected_tag))
    );
    assert_eq!(question["solution"]["finalAnswer"], "27", "{mine}");
    // With solutions hidden again, it is gone.
    send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/guides/{guide_id}"),
        Some(json!({ "showSolutionAfterGrade": false })),
    )
    .await;
    let (_, hidden) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        &format!("/student/guides/{guide_id}/results"),
        None,
    )
    .await;
    assert!(hidden["data"]["questions"][0]["solution"].is_null());

    println!("story trace: {}", trail.join(" → "));
}
