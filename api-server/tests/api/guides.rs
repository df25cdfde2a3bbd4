//! `/guides` end to end, the teacher's side of the worksheet pipeline: a teacher creates a guide
//! and uploads its PDF to the presigned URL, asks for the extraction (the AI engine receives the
//! guide-ingest message with the request's trace id), the test plays the AI engine (questions,
//! answer keys, REVIEW), the teacher reviews (edit, classify, approve, exclude, a new answer-key
//! version, a regeneration), publishes (an assignment with a target per enrolled student and
//! the exercises), reads the results matrix and a submission's drawer, overrides a tag, and
//! archives. Around it: every illegal transition is a 409, two concurrent publishes or ingests
//! cannot both move the guide, a queue that fails is a 503 with the guide unchanged, another
//! teacher gets 403.

use innova_api_client::types;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_domain::guides::{GuideStatus, IngestAction, ingest_action};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{STUDENT1, TEACHER, add_other_teacher};
use crate::classrooms::body;
use crate::support::{
    TestApp, message, moto_queue, receive_event, required_env, send_as, spawn_seeded,
    spawn_seeded_with,
};

const TAG: &str = "ARITH_SUB_BORROW_OMITTED_TENS_G3";
const OTHER_TAG: &str = "ARITH_SUB_BORROW_FROM_ZERO_G3";

/// A request as `who` with an `x-trace-id`, and an optional JSON body.
async fn traced(
    app: &TestApp,
    who: &str,
    method: Method,
    path: &str,
    trace_id: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .request_as(who, method, path)
        .await
        .header("x-trace-id", trace_id);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// The message bodies waiting in a queue, as JSON.
async fn bodies(queue: &crate::support::MotoQueue) -> Vec<Value> {
    receive_event(queue)
        .await
        .records
        .iter()
        .map(|r| serde_json::from_str(r.body.as_deref().unwrap()).unwrap())
        .collect()
}

async fn status_of(app: &TestApp, guide_id: &str) -> String {
    sqlx::query_scalar("SELECT status::text FROM guides WHERE id = $1")
        .bind(guide_id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// What the AI engine writes after extraction and solution generation: three questions (the
/// first classified under SUB with an answer key, the second unclassified with one, the third a
/// drawing without one), the question count, and REVIEW.
async fn play_the_ai_engine(app: &TestApp, guide_id: &str) -> [String; 3] {
    let ids = [1, 2, 3].map(|n| format!("{guide_id}-q{n}"));
    sqlx::query(
        "INSERT INTO guide_questions (id, guide_id, sequence, label, statement_latex, figure_keys,
                                      status, topic_id, domain_id, subdomain_id, topic_source,
                                      topic_confidence, updated_at)
         SELECT $1, $2, 1, '1', '52 - 17', ARRAY['guides/' || $2 || '/figures/f1.png'],
                'NEEDS_REVIEW', t.id, t.domain_id, t.subdomain_id, 'LLM', 0.8, CURRENT_TIMESTAMP
         FROM topics t WHERE t.code = 'SUB' ORDER BY t.id LIMIT 1",
    )
    .bind(&ids[0])
    .bind(guide_id)
    .execute(app.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, updated_at)
         VALUES ($1, $3, 2, '30 - 18', 'EXTRACTED', CURRENT_TIMESTAMP),
                ($2, $3, 3, 'Dibuja 12 manzanas', 'EXTRACTED', CURRENT_TIMESTAMP)",
    )
    .bind(&ids[1])
    .bind(&ids[2])
    .bind(guide_id)
    .execute(app.pool())
    .await
    .unwrap();
    for (q, answer) in [(&ids[0], "35"), (&ids[1], "12")] {
        sqlx::query(
            "INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source,
                                          final_answer, steps_json, generated_by_model)
             VALUES ($1 || '-v1', $1, 1, true, 'LLM_GENERATED', $2, $3, 'claude')",
        )
        .bind(q)
        .bind(answer)
        .bind(QuestionFixture::steps_json(answer))
        .execute(app.pool())
        .await
        .unwrap();
    }
    sqlx::query(
        "UPDATE guides SET status = 'GENERATING_SOLUTIONS', question_count = 3 WHERE id = $1;",
    )
    .bind(guide_id)
    .execute(app.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE guides SET status = 'REVIEW' WHERE id = $1")
        .bind(guide_id)
        .execute(app.pool())
        .await
        .unwrap();
    ids
}

fn solution_body(steps_json: Value) -> Value {
    json!({"finalAnswer": "35", "stepsJson": steps_json, "solutionLatex": "52 - 17 = 35",
           "expectedErrorTags": [TAG]})
}

#[tokio::test]
async fn a_teacher_takes_a_guide_from_pdf_to_published_results_and_archives_it() {
    let ingest_queue = moto_queue("guide-ingest-queue", false).await;
    let solution_queue = moto_queue("solution-generation-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_GUIDE_INGEST_URL", &ingest_queue.url),
        ("SQS_SOLUTION_GEN_URL", &solution_queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let other_teacher = add_other_teacher(&app).await;
    let teacher = app.client_for(TEACHER).await;
    let mut trail = Vec::new();

    // 1. Create: 201, a guide UPLOADED, and a short-lived PUT URL for its PDF.
    let created = teacher
        .guides_create()
        .body(body::<types::CreateGuide>(json!({
            "courseId": COURSE_ID, "title": "Guía de restas", "description": "Unidad 2",
            "fileName": "restas.pdf", "dueAt": "2026-12-31T23:59:00Z"
        })))
        .send()
        .await
        .expect("201");
    trail.push(created.status().as_u16());
    let created = created.into_inner().data;
    let guide_id = created.guide_id.clone();
    assert!(created.source_pdf_key.starts_with("guides/uploads/"));
    assert!(created.source_pdf_key.ends_with(".pdf"));
    assert_eq!(status_of(&app, &guide_id).await, "UPLOADED");
    let pdf = b"%PDF-1.4 guia de restas".to_vec();
    let put = app
        .http
        .put(&created.presigned_put_url)
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "the PUT works: {}", put.status());
    let wrong_type = app
        .http
        .put(&created.presigned_put_url)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(
        wrong_type.status().is_client_error(),
        "the content type is signed"
    );
    // The source URL downloads what was uploaded.
    let (status, source) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/source-url"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{source}");
    let downloaded = app
        .http
        .get(source["data"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(downloaded.as_ref(), pdf.as_slice());

    // 2. Ingest: 202, EXTRACTING, and the §3.5 message with this request's trace id.
    let (status, ingest) = traced(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/ingest"),
        "trace-ingest-1",
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::ACCEPTED, "{ingest}");
    assert_eq!(ingest["statusCode"], 202);
    assert_eq!(ingest["data"], json!({"status": "EXTRACTING"}));
    let grade: i32 = sqlx::query_scalar("SELECT grade_level FROM courses WHERE id = $1")
        .bind(COURSE_ID)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        bodies(&ingest_queue).await,
        [
            json!({"guide_id": guide_id, "source_pdf_key": created.source_pdf_key,
                "course_grade_level": grade, "trace_id": "trace-ingest-1"})
        ]
    );
    // Asking again while it runs changes nothing and queues nothing.
    let (status, again) = traced(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/ingest"),
        "trace-ingest-2",
        None,
    )
    .await;
    assert_eq!(
        (status, &again["data"]),
        (StatusCode::ACCEPTED, &json!({"status": "EXTRACTING"}))
    );
    assert!(bodies(&ingest_queue).await.is_empty());

    // 3. The AI engine extracts, drafts answer keys and moves the guide to REVIEW.
    let [q1, q2, q3] = play_the_ai_engine(&app, &guide_id).await;

    // 4. The list: the guide with its counts; filters and pages are validated.
    let listed = teacher.guides_list().send().await.expect("200");
    trail.push(listed.status().as_u16());
    let listed = listed.into_inner().data;
    assert_eq!((listed.total, listed.page, listed.page_size), (1, 1, 20));
    let item = serde_json::to_value(&listed.items[0]).unwrap();
    assert_eq!(item["id"], guide_id.as_str());
    assert_eq!(item["status"], "REVIEW");
    assert_eq!(item["_count"], json!({"questions": 3, "submissions": 0}));
    for (query, status, names) in [
        (
            format!("?courseId={COURSE_ID}&status=REVIEW&page=1&pageSize=5"),
            StatusCode::OK,
            "",
        ),
        ("?status=review".into(), StatusCode::BAD_REQUEST, "status"),
        ("?page=abc".into(), StatusCode::BAD_REQUEST, "page"),
        ("?pageSize=0".into(), StatusCode::BAD_REQUEST, "pageSize"),
        ("?pageSize=101".into(), StatusCode::BAD_REQUEST, "pageSize"),
        ("?nope=1".into(), StatusCode::BAD_REQUEST, "nope"),
        ("?courseId=other-course".into(), StatusCode::FORBIDDEN, ""),
    ] {
        let (got, answer) =
            send_as(&app, TEACHER, Method::GET, &format!("/guides{query}"), None).await;
        assert_eq!(got, status, "{query}: {answer}");
        assert!(
            message(&answer).contains(names),
            "{query} names {names}: {answer}"
        );
    }
    let (_, none) = send_as(&app, TEACHER, Method::GET, "/guides?status=PUBLISHED", None).await;
    assert_eq!(none["data"]["total"], 0);

    // 5. The wizard: questions by sequence, classification and current answer key.
    let (status, detail) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{detail}");
    let d = &detail["data"];
    assert_eq!(d["title"], "Guía de restas");
    assert_eq!(d["dueAt"], "2026-12-31T23:59:00.000Z");
    let qs = d["questions"].as_array().unwrap();
    assert_eq!(
        qs.iter()
            .map(|q| q["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [&q1, &q2, &q3]
    );
    assert_eq!(qs[0]["topic"]["code"], "SUB");
    assert!(qs[0]["domain"]["code"].is_string() && qs[0]["subdomain"]["code"].is_string());
    assert_eq!(qs[0]["solutions"].as_array().unwrap().len(), 1);
    assert_eq!(qs[0]["solutions"][0]["source"], "LLM_GENERATED");
    assert_eq!(
        qs[0]["figureKeys"],
        json!([format!("guides/{guide_id}/figures/f1.png")])
    );
    assert_eq!(
        (qs[1]["topic"].clone(), qs[2]["solutions"].clone()),
        (Value::Null, json!([]))
    );

    // 6. Metadata, in any status.
    let (status, updated) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/guides/{guide_id}"),
        Some(json!({"maxResubmissions": 3, "showSolutionAfterGrade": true})),
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            updated["data"]["maxResubmissions"].clone(),
            updated["data"]["showSolutionAfterGrade"].clone()
        ),
        (json!(3), json!(true))
    );
    assert_eq!(updated["data"]["title"], "Guía de restas", "untouched");
    let (status, bad) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/guides/{guide_id}"),
        Some(json!({"maxResubmissions": -1, "dueAt": "someday"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&bad).contains("maxResubmissions") && message(&bad).contains("dueAt"),
        "{bad}"
    );

    // 7. Review: approve q1 (relabelled), classify q2 by subdomain and approve it, exclude q3.
    let subdomain: String =
        sqlx::query_scalar("SELECT subdomain_id FROM topics WHERE code = 'SUB' LIMIT 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let q = |id: &str| format!("/guides/{guide_id}/questions/{id}");
    for (id, change) in [
        (
            &q1,
            json!({"status": "APPROVED", "label": "1.a", "points": 2}),
        ),
        (&q2, json!({"subdomainId": subdomain, "status": "APPROVED"})),
        (&q3, json!({"status": "EXCLUDED"})),
    ] {
        let (status, answer) = send_as(&app, TEACHER, Method::PATCH, &q(id), Some(change)).await;
        trail.push(status.as_u16());
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (_, q2_row) = send_as(&app, TEACHER, Method::PATCH, &q(&q2), Some(json!({}))).await;
    assert_eq!(q2_row["data"]["subdomainId"], subdomain.as_str());
    assert_eq!(
        q2_row["data"]["topicId"],
        Value::Null,
        "a subdomain leaves the topic alone"
    );
    assert_eq!(
        (
            q2_row["data"]["topicSource"].clone(),
            q2_row["data"]["topicConfidence"].clone()
        ),
        (json!("TEACHER"), json!(1.0))
    );
    for (change, status, says) in [
        (
            json!({"topicId": "no-such-topic"}),
            StatusCode::NOT_FOUND,
            "Topic not found",
        ),
        (
            json!({"subdomainId": "no-such-subdomain"}),
            StatusCode::NOT_FOUND,
            "Subdomain not found",
        ),
        (
            json!({"status": "EXTRACTED"}),
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (json!({"points": -1}), StatusCode::BAD_REQUEST, "points"),
        (json!({"color": "red"}), StatusCode::BAD_REQUEST, "color"),
    ] {
        let (got, answer) =
            send_as(&app, TEACHER, Method::PATCH, &q(&q1), Some(change.clone())).await;
        assert_eq!(got, status, "{change}: {answer}");
        assert!(message(&answer).contains(says), "{change}: {answer}");
    }
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/guides/{guide_id}/questions/elsewhere"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, message(&answer)),
        (StatusCode::NOT_FOUND, "Question not found in guide".into())
    );

    // 8. A new answer-key version: schema problems are 400 naming the field, nothing written.
    let solutions = || async { app.count("guide_solutions").await };
    let before = solutions().await;
    let sol = format!("{}/solution", q(&q1));
    let bad_latex = json!({"final_answer": "35", "points": 1,
                           "steps": [{"idx": 0, "latex": "", "checkpoint": true}]});
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &sol,
        Some(solution_body(bad_latex)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        message(&answer).contains("stepsJson.steps[0].latex"),
        "{answer}"
    );
    let no_checkpoint = json!({"final_answer": "35", "points": 1,
                               "steps": [{"idx": 0, "latex": "35", "checkpoint": false}]});
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &sol,
        Some(solution_body(no_checkpoint)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        message(&answer).contains("at least one checkpoint"),
        "{answer}"
    );
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &sol,
        Some(json!({"finalAnswer": "35", "stepsJson": []})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(message(&answer).contains("stepsJson"), "{answer}");
    assert_eq!(solutions().await, before, "nothing written");
    let good = json!({"final_answer": "35", "points": 2, "extra": "dropped",
                      "steps": [{"idx": 0, "latex": "52 - 17", "checkpoint": false},
                                {"idx": 1, "latex": "35", "checkpoint": true}]});
    let (status, v2) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &sol,
        Some(solution_body(good)),
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{v2}");
    let v2 = &v2["data"];
    assert_eq!(
        (
            v2["version"].clone(),
            v2["isCurrent"].clone(),
            v2["source"].clone()
        ),
        (json!(2), json!(true), json!("TEACHER_EDITED"))
    );
    assert_eq!(v2["createdByTeacherId"], TEACHER_ID);
    assert_eq!(v2["expectedErrorTags"], json!([TAG]));
    assert!(
        v2["stepsJson"].get("extra").is_none(),
        "unknown keys are dropped"
    );
    let current: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM guide_solutions WHERE guide_question_id = $1 AND is_current",
    )
    .bind(&q1)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(current, 1);

    // 9. Regenerate q2's key: 202 and the §3.6 message with this request's trace id.
    let (status, regen) = traced(
        &app,
        TEACHER,
        Method::POST,
        &format!("{}/regenerate-solution", q(&q2)),
        "trace-regen-1",
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(
        (status, &regen["data"]),
        (StatusCode::ACCEPTED, &json!({"enqueued": true}))
    );
    assert_eq!(
        bodies(&solution_queue).await,
        [json!({"guide_id": guide_id, "guide_question_id": q2, "trace_id": "trace-regen-1"})]
    );

    // 10. Publish: an assignment with a target per enrolled student, an exercise per approved
    //     question with a topic.
    let (status, published) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/publish"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let p = &published["data"];
    assert_eq!(p["guide"]["status"], "PUBLISHED");
    assert!(p["guide"]["publishedAt"].is_string());
    assert_eq!(
        (
            p["materializedExercises"].clone(),
            p["approvedWithoutTopic"].clone(),
            p["studentsAssigned"].clone()
        ),
        (json!(1), json!(1), json!(STUDENT_IDS.len()))
    );
    let assignment = p["assignmentId"].as_str().unwrap();
    assert_eq!(p["guide"]["assignmentId"], assignment);
    let a: (String, String, String, bool) = sqlx::query_as(
        "SELECT kind, reason, title, due_at IS NOT NULL FROM assignments WHERE id = $1",
    )
    .bind(assignment)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        a,
        (
            "GUIDE".into(),
            "TEACHER_MANUAL".into(),
            "Guía de restas".into(),
            true
        )
    );
    let targets: Vec<(String, String)> = sqlx::query_as(
        "SELECT student_id, status FROM assignment_targets WHERE assignment_id = $1 ORDER BY student_id")
        .bind(assignment).fetch_all(app.pool()).await.unwrap();
    let mut enrolled: Vec<String> = STUDENT_IDS.iter().map(|s| s.to_string()).collect();
    enrolled.sort();
    assert_eq!(
        targets,
        enrolled
            .into_iter()
            .map(|s| (s, "PENDING".to_string()))
            .collect::<Vec<_>>()
    );
    let exercise: (String, String, Value, String, i32) = sqlx::query_as(
        "SELECT x.source, x.created_by_teacher_id, x.content, q.id, ae.sequence
         FROM assignment_exercises ae JOIN exercises x ON x.id = ae.exercise_id
         JOIN guide_questions q ON q.exercise_id = x.id WHERE ae.assignment_id = $1",
    )
    .bind(assignment)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(exercise.0, "GUIDE_EXTRACTED");
    assert_eq!(exercise.1, TEACHER_ID);
    assert_eq!(
        exercise.2,
        json!({"statement_latex": "52 - 17", "figures": [format!("guides/{guide_id}/figures/f1.png")], "final_answer": "35"})
    );
    assert_eq!((exercise.3, exercise.4), (q1.clone(), 0));
    // Publishing again is a conflict naming both states.
    let (status, again) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/guides/{guide_id}/publish"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        message(&again),
        "Invalid guide transition PUBLISHED → PUBLISHED"
    );

    // 11. Students hand in (the student side is another area: fixtures). Student 1 twice, the
    //     second graded wrong with the attempt's tag; student 2 wrong with the same tag.
    let fixture = GuideFixture::new(&guide_id, COURSE_ID, TEACHER_ID);
    SubmissionFixture::new("sub-1a", &fixture, &q1, STUDENT_IDS[0])
        .status("GRADED")
        .insert(app.pool())
        .await;
    SubmissionFixture::new("sub-1b", &fixture, &q1, STUDENT_IDS[0])
        .attempt_number(2)
        .status("GRADED")
        .insert(app.pool())
        .await;
    SubmissionFixture::new("sub-2", &fixture, &q1, STUDENT_IDS[1])
        .status("GRADED")
        .insert(app.pool())
        .await;
    SubmissionFixture::new("sub-3", &fixture, &q2, STUDENT_IDS[2])
        .insert(app.pool())
        .await;
    for (sub, student) in [("sub-1b", STUDENT_IDS[0]), ("sub-2", STUDENT_IDS[1])] {
        sqlx::query(
            "INSERT INTO attempts (id, student_id, input_mode, status, is_correct, error_tag_id, trace_id)
             SELECT 'att-' || $1, $2, 'PHOTO_GUIDE', 'CLASSIFIED', false, e.id, 'tr' FROM error_tags e WHERE e.code = $3")
            .bind(sub).bind(student).bind(TAG).execute(app.pool()).await.unwrap();
        sqlx::query("UPDATE guide_submissions SET attempt_id = 'att-' || id, is_correct = false, score = 0.5,
                            transcription_latex = '52 - 17 = 45' WHERE id = $1")
            .bind(sub).execute(app.pool()).await.unwrap();
    }
    sqlx::query("UPDATE guide_submissions SET is_correct = true, score = 1 WHERE id = 'sub-1a'")
        .execute(app.pool())
        .await
        .unwrap();

    // 12. The results matrix: the latest try per student and question, the common error.
    let (status, results) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/results"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{results}");
    let r = &results["data"];
    assert_eq!(r["guideId"], guide_id.as_str());
    assert_eq!(r["dueAt"], "2026-12-31T23:59:00.000Z");
    assert_eq!(r["students"].as_array().unwrap().len(), STUDENT_IDS.len());
    assert_eq!(
        r["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [&q1, &q2],
        "APPROVED only"
    );
    assert_eq!(r["questions"][0]["label"], "1.a");
    let cells = r["cells"].as_array().unwrap();
    let ids: Vec<&str> = cells
        .iter()
        .map(|c| c["submissionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&"sub-1a"), "only the latest try of student 1");
    let cell = cells
        .iter()
        .find(|c| c["submissionId"] == "sub-1b")
        .unwrap();
    assert_eq!(
        cell,
        &json!({"submissionId": "sub-1b", "questionId": q1, "studentId": STUDENT_IDS[0],
        "status": "GRADED", "score": 0.5, "isCorrect": false, "attemptNumber": 2, "errorTagCode": TAG,
        "errorTagName": cell["errorTagName"], "isOverridden": false, "isLate": false})
    );
    assert!(cell["errorTagName"].is_string());
    assert_eq!(r["commonErrors"][0]["questionId"], q1.as_str());
    assert_eq!(
        r["commonErrors"][0]["tags"],
        json!([{"code": TAG, "name": cell["errorTagName"], "count": 2}])
    );
    assert_eq!(r["commonErrors"][1], json!({"questionId": q2, "tags": []}));

    // 13. The drawer: the question, the transcription, presigned photo URLs.
    let (status, drawer) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/submissions/sub-2"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{drawer}");
    let dr = &drawer["data"];
    assert_eq!(
        (
            dr["questionSequence"].clone(),
            dr["questionLabel"].clone(),
            dr["statementLatex"].clone()
        ),
        (json!(1), json!("1.a"), json!("52 - 17"))
    );
    assert_eq!(dr["transcriptionLatex"], "52 - 17 = 45");
    assert_eq!(dr["errorTagCode"], TAG);
    let urls = dr["photoUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0]
            .as_str()
            .unwrap()
            .contains("submissions/sub-2/photo-1.jpg"),
        "{urls:?}"
    );
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/submissions/nope"),
        None,
    )
    .await;
    assert_eq!(
        (status, message(&answer)),
        (StatusCode::NOT_FOUND, "Submission not found".into())
    );

    // 14. The teacher's override: an unknown code is 404; a code wins over the attempt's tag;
    //     null clears it; the attempt is untouched.
    let tag_path = format!("/guides/{guide_id}/submissions/sub-2/error-tag");
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &tag_path,
        Some(json!({"errorTagCode": "NOPE"})),
    )
    .await;
    assert_eq!(
        (status, message(&answer)),
        (StatusCode::NOT_FOUND, "Error tag NOPE not found".into())
    );
    let (status, set) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &tag_path,
        Some(json!({"errorTagCode": OTHER_TAG})),
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        (
            set["data"]["errorTagCode"].clone(),
            set["data"]["isOverridden"].clone()
        ),
        (json!(OTHER_TAG), json!(true))
    );
    let (_, results) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/guides/{guide_id}/results"),
        None,
    )
    .await;
    let tags = &results["data"]["commonErrors"][0]["tags"];
    assert_eq!(
        tags.as_array()
            .unwrap()
            .iter()
            .map(|t| (t["code"].as_str().unwrap(), t["count"].as_u64().unwrap()))
            .collect::<Vec<_>>(),
        [(TAG, 1), (OTHER_TAG, 1)]
    );
    let (status, cleared) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &tag_path,
        Some(json!({"errorTagCode": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            cleared["data"]["errorTagCode"].clone(),
            cleared["data"]["isOverridden"].clone()
        ),
        (json!(TAG), json!(false))
    );
    let attempt_tag: String = sqlx::query_scalar("SELECT e.code FROM attempts a JOIN error_tags e ON e.id = a.error_tag_id WHERE a.id = 'att-sub-2'")
        .fetch_one(app.pool()).await.unwrap();
    assert_eq!(attempt_tag, TAG);

    // 15. Nobody else: another teacher 403 on every guide route, a student 403, unknown 404.
    for (method, path) in [
        (Method::GET, format!("/guides/{guide_id}")),
        (Method::GET, format!("/guides/{guide_id}/results")),
        (Method::POST, format!("/guides/{guide_id}/ingest")),
        (Method::DELETE, format!("/guides/{guide_id}")),
    ] {
        let (status, answer) = send_as(&app, other_teacher, method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(message(&answer), "You do not teach this guide course");
        let (status, _) = send_as(&app, STUDENT1, method, &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, answer) = send_as(
        &app,
        other_teacher,
        Method::POST,
        "/guides",
        Some(json!({"courseId": COURSE_ID, "title": "x"})),
    )
    .await;
    assert_eq!(
        (status, message(&answer)),
        (StatusCode::FORBIDDEN, "You do not teach this course".into())
    );
    let (status, answer) = send_as(&app, TEACHER, Method::GET, "/guides/no-such-guide", None).await;
    assert_eq!(
        (status, message(&answer)),
        (StatusCode::NOT_FOUND, "Guide not found".into())
    );

    // 16. Archive: 200, then 409; it leaves the list.
    let (status, archived) = send_as(
        &app,
        TEACHER,
        Method::DELETE,
        &format!("/guides/{guide_id}"),
        None,
    )
    .await;
    trail.push(status.as_u16());
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert_eq!(archived["data"]["status"], "ARCHIVED");
    assert!(archived["data"]["archivedAt"].is_string());
    let (status, again) = send_as(
        &app,
        TEACHER,
        Method::DELETE,
        &format!("/guides/{guide_id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, message(&again)),
        (
            StatusCode::CONFLICT,
            "Invalid guide transition ARCHIVED → ARCHIVED".into()
        )
    );
    let (_, list) = send_as(&app, TEACHER, Method::GET, "/guides", None).await;
    assert_eq!(list["data"]["total"], 0);
    eprintln!("guides story trace: {trail:?}");
}

/// A guide of the demo course in `status`, with one approved question (so publishing from
/// REVIEW would pass its question checks).
async fn guide_in(app: &TestApp, id: &str, status: GuideStatus) {
    GuideFixture::new(id, COURSE_ID, TEACHER_ID)
        .status(status.as_str())
        .question(
            QuestionFixture::approved(&format!("{id}-q"), 1, "12 - 5")
                .topic("SUB")
                .answer("7"),
        )
        .insert(app.pool())
        .await;
}

#[tokio::test]
async fn every_transition_the_table_forbids_is_a_409_naming_both_states_and_changes_nothing() {
    let app = spawn_seeded().await;
    let mut checked = 0;
    for from in GuideStatus::ALL {
        let requests = [
            (Method::POST, "publish", GuideStatus::Published),
            (Method::DELETE, "", GuideStatus::Archived),
            (Method::POST, "ingest", GuideStatus::Extracting),
        ];
        for (method, action, to) in requests {
            let forbidden = if to == GuideStatus::Extracting {
                ingest_action(from, false) == IngestAction::Rejected
            } else {
                !from.can_transition_to(to)
            };
            if !forbidden {
                continue;
            }
            let id = format!(
                "g-{}-{}",
                from.as_str().to_lowercase(),
                to.as_str().to_lowercase()
            );
            guide_in(&app, &id, from).await;
            let path = if action.is_empty() {
                format!("/guides/{id}")
            } else {
                format!("/guides/{id}/{action}")
            };
            let (status, answer) = send_as(&app, TEACHER, method, &path, None).await;
            assert_eq!(status, StatusCode::CONFLICT, "{from} → {to}: {answer}");
            assert_eq!(
                message(&answer),
                format!("Invalid guide transition {from} → {to}")
            );
            assert_eq!(status_of(&app, &id).await, from.as_str(), "unchanged");
            checked += 1;
        }
    }
    // publish from 7 statuses, archive from 1, ingest from 3.
    assert_eq!(checked, 7 + 1 + 3);
    assert_eq!(app.count("assignments WHERE kind = 'GUIDE'").await, 0);
}

#[tokio::test]
async fn two_concurrent_publishes_make_one_assignment_and_one_conflict() {
    let app = spawn_seeded().await;
    guide_in(&app, "g-race", GuideStatus::Review).await;
    let publish = || send_as(&app, TEACHER, Method::POST, "/guides/g-race/publish", None);
    let ((a, _), (b, _)) = tokio::join!(publish(), publish());
    let mut statuses = [a.as_u16(), b.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(app.count("assignments WHERE kind = 'GUIDE'").await, 1);
    assert_eq!(
        app.count("exercises WHERE source = 'GUIDE_EXTRACTED'")
            .await,
        1
    );
}

#[tokio::test]
async fn two_concurrent_ingests_queue_one_message() {
    let queue = moto_queue("guide-ingest-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_GUIDE_INGEST_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    guide_in(&app, "g-twice", GuideStatus::Uploaded).await;
    let ingest = || send_as(&app, TEACHER, Method::POST, "/guides/g-twice/ingest", None);
    let ((a, x), (b, y)) = tokio::join!(ingest(), ingest());
    assert_eq!(
        (a, b),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED),
        "{x} {y}"
    );
    assert_eq!(bodies(&queue).await.len(), 1, "one extraction queued");
    assert_eq!(status_of(&app, "g-twice").await, "EXTRACTING");
}

#[tokio::test]
async fn a_queue_that_fails_still_answers_202_and_the_relay_delivers_once_it_is_back() {
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let name = format!(
        "guide-ingest-missing-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let url = format!("{endpoint}/123456789012/{name}");
    let regen_name = format!("{name}-regen");
    let regen_url = format!("{endpoint}/123456789012/{regen_name}");
    let app = spawn_seeded_with(&[
        ("SQS_GUIDE_INGEST_URL", &url),
        ("SQS_SOLUTION_GEN_URL", &regen_url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    guide_in(&app, "g-fail", GuideStatus::ExtractionFailed).await;
    sqlx::query("UPDATE guides SET failure_reason = 'OCR timeout' WHERE id = 'g-fail'")
        .execute(app.pool())
        .await
        .unwrap();
    // The work is durably queued with the status (decision 22): 202 although SQS refuses it.
    for _ in 0..2 {
        let (status, answer) =
            send_as(&app, TEACHER, Method::POST, "/guides/g-fail/ingest", None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(status_of(&app, "g-fail").await, "EXTRACTING");
    }
    assert_eq!(
        app.count("innova.outbox").await,
        1,
        "the second ingest found it running and queued nothing"
    );
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/guides/g-fail/questions/g-fail-q/regenerate-solution",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(app.count("innova.outbox").await, 2);

    // The queues come back: the relay delivers each message once.
    let sqs = crate::support::moto_sqs().await;
    let mut queues = Vec::new();
    for queue in [&name, &regen_name] {
        let created = sqs.create_queue().queue_name(queue).send().await.unwrap();
        queues.push(crate::support::MotoQueue {
            url: created.queue_url.unwrap(),
            arn: String::new(),
        });
    }
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (2, 0));
    assert_eq!(app.count("innova.outbox").await, 0);
    let ingest = bodies(&queues[0]).await;
    assert_eq!(ingest.len(), 1);
    assert_eq!(ingest[0]["guide_id"], "g-fail");
    let regen = bodies(&queues[1]).await;
    assert_eq!(regen.len(), 1);
    assert_eq!(regen[0]["guide_question_id"], "g-fail-q");
}

#[tokio::test]
async fn without_a_guides_bucket_on_lambda_creating_is_a_503_naming_it_and_writes_nothing() {
    use innova_core::services::{Runtime, Services};
    let app = spawn_seeded().await;
    let config = app.config.clone();
    let services = Services::for_runtime(&config, Runtime::Lambda);
    let lambda = innova_app::App::new(std::sync::Arc::new(config), app.pool().clone(), services);
    let new = innova_app::guides::NewGuide {
        course_id: COURSE_ID.into(),
        title: "Sin bucket".into(),
        description: None,
        due_at: None,
    };
    // The demo teacher, as the API would admit them.
    use innova_app::authz::{Actor, Caller, Permit, Profile, Role, op};
    let teacher = Actor::User(Caller {
        user_id: "u-teacher".into(),
        supabase_uid: "sub-teacher".into(),
        email: "teacher@innova.demo".into(),
        role: Role::Teacher,
        name: "Teacher".into(),
        profile: Profile::Teacher(TEACHER_ID.into()),
        token_version: 0,
        access_token: String::new(),
    });
    let permit = Permit::<op::GuidesCreate>::admit(teacher.clone()).unwrap();
    let err = innova_app::guides::create(&lambda, &permit, new, "trace-x")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, innova_app::AppError::Unavailable(m) if m == "S3_GUIDES_BUCKET not configured"),
        "{err:?}"
    );
    assert_eq!(app.count("guides").await, 0, "no half-written guide");
    GuideFixture::new("g-nb", COURSE_ID, TEACHER_ID)
        .insert(app.pool())
        .await;
    let permit = Permit::<op::GuidesSourceUrl>::admit(teacher).unwrap();
    let err = innova_app::guides::source_url(&lambda, &permit, &"g-nb".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, innova_app::AppError::Unavailable(m) if m == "S3_GUIDES_BUCKET not configured"),
        "{err:?}"
    );
}

/// A guide the AI engine never finished (EXTRACTING or GENERATING_SOLUTIONS longer than its
/// queue's redrive window: the engine writes no failure then) is not stuck for ever: ingesting it
/// starts over, and the hourly sweep marks it failed and tells its teacher.
#[tokio::test]
async fn a_guide_the_engine_never_finished_can_be_ingested_again_and_is_failed_by_the_sweep() {
    let app = spawn_seeded().await;
    for (id, status) in [
        ("g-stuck-x", GuideStatus::Extracting),
        ("g-stuck-s", GuideStatus::GeneratingSolutions),
        ("g-busy", GuideStatus::GeneratingSolutions),
    ] {
        guide_in(&app, id, status).await;
    }
    sqlx::query(
        "UPDATE guides SET updated_at = CURRENT_TIMESTAMP - interval '2 hours'
         WHERE id IN ('g-stuck-x', 'g-stuck-s')",
    )
    .execute(app.pool())
    .await
    .unwrap();

    // Still in its window: nothing happens, as before.
    let (status, answer) =
        send_as(&app, TEACHER, Method::POST, "/guides/g-busy/ingest", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["data"]["status"], "GENERATING_SOLUTIONS");
    let queued = || {
        app.api
            .app()
            .services
            .embedded_queue()
            .unwrap()
            .unconsumed(innova_core::queue::QueueName::GuideIngest)
            .len()
    };
    assert_eq!(queued(), 0, "nothing queued");
    // Stuck: the ingest starts over (the work is queued again).
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/guides/g-stuck-x/ingest",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["data"]["status"], "EXTRACTING");
    assert_eq!(queued(), 1, "the extraction is queued again");

    // The sweep fails what is still stuck, and tells the teacher; the restarted one is fresh.
    let failed = innova_app::guides::fail_stuck(app.api.app(), innova_core::db::now())
        .await
        .unwrap();
    assert_eq!(failed, 1);
    let (s, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status::text, failure_reason FROM guides WHERE id = 'g-stuck-s'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(s, "GENERATION_FAILED");
    assert_eq!(reason.as_deref(), Some(innova_app::guides::STUCK_REASON));
    assert_eq!(status_of(&app, "g-stuck-x").await, "EXTRACTING");
    assert_eq!(status_of(&app, "g-busy").await, "GENERATING_SOLUTIONS");
    let (_, alerts) = send_as(
        &app,
        TEACHER,
        Method::GET,
        &format!("/alerts?courseId={COURSE_ID}"),
        None,
    )
    .await;
    let alerts = alerts["data"].as_array().unwrap();
    let failed: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["alertType"] == "GUIDE_PROCESSING_FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "{alerts:?}");
    assert_eq!(failed[0]["payload"]["guideId"], "g-stuck-s");
    assert_eq!(failed[0]["severity"], "HIGH");
    // From the failed state the teacher ingests again; a second sweep finds nothing.
    let (status, _) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/guides/g-stuck-s/ingest",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        innova_app::guides::fail_stuck(app.api.app(), innova_core::db::now())
            .await
            .unwrap(),
        0
    );
}

/// Decision 26: every solution the API serves is accepted back unchanged by the teacher's
/// PATCH — the AI engine's stored shapes included: its current one (`_steps_json`), an older
/// one without `final_answer`, `points` nor step `idx`, and one without a checkpoint (saved
/// back as it is; a *changed* solution still needs one).
#[tokio::test]
async fn every_solution_the_api_serves_is_accepted_back_unchanged() {
    let app = spawn_seeded().await;
    guide_in(&app, "g-rt", GuideStatus::Review).await;
    let shapes = [
        json!({"final_answer": "\\frac{5}{6}", "points": 1.0, "steps": [
            {"idx": 0, "latex": "\\frac{1}{2}+\\frac{1}{3}=\\frac{3}{6}+\\frac{2}{6}",
             "explanation_es": "Se amplifican ambas fracciones al denominador común 6.",
             "checkpoint": true, "expected_error_tags": ["SUM_NUMERATORS_AND_DENOMINATORS"]},
            {"idx": 1, "latex": "=\\frac{5}{6}", "explanation_es": "Se suman los numeradores.",
             "checkpoint": true, "expected_error_tags": []}],
            "alt_paths": [{"label": "Usando decimales", "steps": [
                {"idx": 0, "latex": "0.5+0.\\overline{3}=0.8\\overline{3}",
                 "explanation_es": "Se convierten a decimales.", "checkpoint": false,
                 "expected_error_tags": []}]}]}),
        json!({"steps": [{"latex": "12 - 5 = 7", "checkpoint": true}]}),
        json!({"final_answer": "7", "points": 1.0,
               "steps": [{"idx": 0, "latex": "12 - 5 = 7", "checkpoint": false}]}),
    ];
    let path = "/guides/g-rt/questions/g-rt-q/solution";
    for (n, shape) in shapes.iter().enumerate() {
        // Stored as the engine's solution generator stores it.
        sqlx::raw_sql(
            "UPDATE guide_solutions SET is_current = false WHERE guide_question_id = 'g-rt-q'",
        )
        .execute(app.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source,
                                          final_answer, steps_json, solution_latex,
                                          expected_error_tags, generated_by_model, prompt_version)
             VALUES ($1, 'g-rt-q', $2, true, 'LLM_GENERATED'::\"SolutionSource\", '7', $3,
                     NULL, '{}', 'claude-sonnet-4-6', '9.0')",
        )
        .bind(format!("sol-engine-{n}"))
        .bind(100 * (n as i32 + 1))
        .bind(shape)
        .execute(app.pool())
        .await
        .unwrap();
        // What the API serves …
        let (status, detail) = send_as(&app, TEACHER, Method::GET, "/guides/g-rt", None).await;
        assert_eq!(status, StatusCode::OK);
        let served = &detail["data"]["questions"][0]["solutions"][0];
        assert_eq!(&served["stepsJson"], shape, "served as stored");
        // … sent back unchanged.
        let body = json!({
            "finalAnswer": served["finalAnswer"],
            "stepsJson": served["stepsJson"],
            "solutionLatex": served["solutionLatex"],
            "expectedErrorTags": served["expectedErrorTags"],
        });
        let (status, saved) = send_as(&app, TEACHER, Method::PATCH, path, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "shape {n}: {saved}");
        // Stored complete: what was omitted is filled in.
        let stored = &saved["data"]["stepsJson"];
        assert!(
            stored["final_answer"].is_string() && stored["points"].is_number(),
            "{stored}"
        );
        assert!(stored["steps"][0]["idx"].is_u64(), "{stored}");
    }
    // A changed solution without a checkpoint is still refused.
    let changed =
        json!({"finalAnswer": "8", "stepsJson": {"steps": [{"latex": "8", "checkpoint": false}]}});
    let (status, answer) = send_as(&app, TEACHER, Method::PATCH, path, Some(changed)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(message(&answer).contains("checkpoint"), "{answer}");
}
