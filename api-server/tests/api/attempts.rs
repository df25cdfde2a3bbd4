//! `/attempts` end to end: the rule engine's verdict, the rows written in one transaction (BKT to
//! the bit), the FIFO telemetry message through moto SQS, the exact LLM message, retries that
//! apply nothing twice, the scope rules, and bad input that writes nothing.

use innova_api_client::types;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    MotoQueue, TestApp, moto_queue, receive_event, required_env, spawn_seeded, spawn_seeded_with,
};

pub const STUDENT1: &str = "student1@innova.demo";
pub const STUDENT2: &str = "student2@innova.demo";
pub const TEACHER: &str = "teacher@innova.demo";
pub const PARENT: &str = "parent@innova.demo";
pub const ADMIN: &str = "admin@innova.demo";

/// 53 − 26 answered 33: each column subtracted the smaller digit from the larger, no borrow.
fn borrow_error() -> types::CreateAttempt {
    types::CreateAttempt::builder()
        .student_id(STUDENT_IDS[0])
        .topic_code("SUB")
        .exercise_id(Some("seed-ex-sub-001".try_into().unwrap()))
        .course_id(Some(COURSE_ID.try_into().unwrap()))
        .raw_steps(vec![
            types::StepInput::builder()
                .expression("53 - 26")
                .is_final(false)
                .try_into()
                .unwrap(),
            types::StepInput::builder()
                .expression("33")
                .is_final(true)
                .try_into()
                .unwrap(),
        ])
        .expected_answer(27.0)
        .student_answer(33.0)
        .minuend(Some(53.0))
        .subtrahend(Some(26.0))
        .try_into()
        .unwrap()
}

/// A server whose attempt-stream and llm-classify queues are real (moto) SQS queues.
struct SqsApp {
    app: TestApp,
    stream: MotoQueue,
    llm: MotoQueue,
}

async fn spawn_with_sqs() -> SqsApp {
    let stream = moto_queue("attempt-stream", true).await;
    let llm = moto_queue("llm-classify-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_ATTEMPT_STREAM_URL", &stream.url),
        ("SQS_LLM_CLASSIFY_URL", &llm.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    SqsApp { app, stream, llm }
}

async fn attempt_row(app: &TestApp, id: &str) -> Value {
    sqlx::query_scalar::<_, Value>("SELECT to_jsonb(a) FROM attempts a WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn mastery_row(
    app: &TestApp,
    student: &str,
    topic_code: &str,
) -> Option<(f64, i32, Option<f64>)> {
    sqlx::query_as(
        "SELECT m.p_known, m.attempts_count, m.trend_7d FROM student_topic_mastery m
         JOIN topics t ON t.id = m.topic_id
         JOIN units u ON u.id = t.unit_id
         WHERE m.student_id = $1 AND t.code = $2 AND u.code = 'ARITH'",
    )
    .bind(student)
    .bind(topic_code)
    .fetch_optional(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_borrow_error_is_tagged_stored_with_bkt_and_streamed_to_telemetry_once() {
    let SqsApp { app, stream, .. } = spawn_with_sqs().await;
    let token = app.token_for(STUDENT1).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    headers.insert("x-trace-id", "trace-borrow-1".parse().unwrap());
    let client = innova_api_client::Client::new_with_client(
        &app.base_url,
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap(),
    );

    let resp = client
        .attempts_create()
        .body(borrow_error())
        .send()
        .await
        .expect("201");
    assert_eq!(resp.status(), 201);
    let body = resp.into_inner();
    assert_eq!(body.status_code, 201);
    assert_eq!(body.trace_id, "trace-borrow-1");
    let created = body.data;
    assert!(!created.is_correct);
    assert_eq!(created.error_tag_code, "ARITH_SUB_BORROW_OMITTED_TENS_G3");
    assert_eq!(created.confidence, 0.93);
    assert_eq!(created.classifier_source, types::ClassifierSource::Rule);

    // The attempt row.
    let row = attempt_row(&app, &created.attempt_id).await;
    let tag_id: String = sqlx::query_scalar(
        "SELECT id FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(row["student_id"], STUDENT_IDS[0]);
    assert_eq!(row["exercise_id"], "seed-ex-sub-001");
    assert_eq!(row["course_id"], COURSE_ID);
    assert_eq!(row["is_correct"], false);
    assert_eq!(row["error_tag_id"], tag_id.as_str());
    assert_eq!(row["classifier_source"], "RULE");
    assert_eq!(row["status"], "CLASSIFIED");
    assert_eq!(row["input_mode"], "DIGITAL");
    assert_eq!(row["confidence"], 0.93);
    assert_eq!(
        row["trace_id"], "trace-borrow-1",
        "the request's trace id (decision 8)"
    );

    // Its steps: the final one carries the verdict.
    let steps: Vec<(i32, String, Option<bool>)> = sqlx::query_as(
        "SELECT step_index, content_latex, is_correct FROM attempt_steps WHERE attempt_id = $1 ORDER BY step_index",
    )
    .bind(&created.attempt_id)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        steps,
        vec![
            (0, "53 - 26".to_string(), None),
            (1, "33".to_string(), Some(false))
        ]
    );

    // Mastery: one incorrect observation from the default prior, bit for bit (domain.md §2.1).
    let (p_known, count, trend) = mastery_row(&app, STUDENT_IDS[0], "SUB")
        .await
        .expect("a mastery row");
    assert_eq!(p_known.to_bits(), 0.14576271186440679_f64.to_bits());
    assert_eq!(count, 1);
    assert_eq!(trend, Some(0.0), "one point in the window: no change yet");

    // The FIFO message arrives, grouped by student, with the reference's body.
    let event = receive_event(&stream).await;
    assert_eq!(event.records.len(), 1);
    let record = &event.records[0];
    assert_eq!(record.attributes["MessageGroupId"], STUDENT_IDS[0]);
    let message: Value = serde_json::from_str(record.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        message,
        json!({"attemptId": created.attempt_id, "traceId": "trace-borrow-1",
               "rawSteps": [{"expression": "53 - 26", "isFinal": false}, {"expression": "33", "isFinal": true}]})
    );

    // What the telemetry worker makes of this message (one document, also when redelivered,
    // with the student, course and trace id) is the worker's story:
    // `workers/tests/telemetry.rs`, `a_fifo_message_becomes_one_document_even_when_redelivered`;
    // the local composition of both, `cli/tests/local_server.rs`.
}

#[tokio::test]
async fn an_unclassified_attempt_sends_the_reference_llm_message() {
    let SqsApp { app, llm, .. } = spawn_with_sqs().await;
    let client = app.client_for(STUDENT1).await;
    let attempt = types::CreateAttempt::builder()
        .student_id(STUDENT_IDS[0])
        .topic_code("SUB")
        .raw_steps(vec![
            types::StepInput::builder()
                .expression("53 - 26 = 10")
                .is_final(true)
                .try_into()
                .unwrap(),
        ])
        .expected_answer(27.0)
        .student_answer(10.0)
        .minuend(Some(53.0))
        .subtrahend(Some(26.0));
    let created = client
        .attempts_create()
        .body(attempt)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(created.error_tag_code, "UNCLASSIFIED");
    assert_eq!(created.classifier_source, types::ClassifierSource::Llm);
    assert_eq!(created.confidence, 0.0);
    let row = attempt_row(&app, &created.attempt_id).await;
    assert_eq!(
        (row["status"].as_str(), row["classifier_source"].as_str()),
        (Some("PENDING"), Some("LLM"))
    );
    // Counted as a wrong answer for BKT (decision 16).
    let (p_known, ..) = mastery_row(&app, STUDENT_IDS[0], "SUB").await.unwrap();
    assert_eq!(p_known, 0.14576271186440679);

    let arith: String = sqlx::query_scalar("SELECT id FROM domains WHERE code = 'ARITH'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let event = receive_event(&llm).await;
    assert_eq!(event.records.len(), 1);
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "id": created.attempt_id,
            "topic": "SUB",
            "domain_id": arith,
            "subdomain_code": "SUB",
            "problem_statement": "53 - 26 = ?",
            "canonical_solution": "27",
            "raw_steps": [{"expression": "53 - 26 = 10", "isFinal": true}],
            "final_answer": "10",
            "student_id": STUDENT_IDS[0],
        })
    );
}

#[tokio::test]
async fn the_exercise_prompt_is_the_llm_problem_statement_when_there_is_one() {
    let SqsApp { app, llm, .. } = spawn_with_sqs().await;
    let resp = app
        .request_as(STUDENT1, Method::POST, "/attempts")
        .await
        .json(&json!({"studentId": STUDENT_IDS[0], "topicCode": "SUB", "exerciseId": "seed-ex-sub-005",
                      "rawSteps": [], "expectedAnswer": 253, "studentAnswer": 1.5, "minuend": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let event = receive_event(&llm).await;
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["problem_statement"], "300 - 47 = ?");
    assert_eq!(body["final_answer"], "1.5");
    assert_eq!(body["raw_steps"], json!([]));
}

#[tokio::test]
async fn a_correct_answer_on_a_topic_without_a_strategy_is_correct() {
    let app = spawn_seeded().await;
    let client = app.client_for(STUDENT1).await;
    // ARITH:COUNT has no registered strategy.
    let attempt = types::CreateAttempt::builder()
        .student_id(STUDENT_IDS[0])
        .topic_code("COUNT")
        .raw_steps(vec![])
        .expected_answer(12.0)
        .student_answer(12.0);
    let created = client
        .attempts_create()
        .body(attempt)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert!(created.is_correct);
    assert_eq!(
        (created.error_tag_code.as_str(), created.classifier_source),
        ("CORRECT", types::ClassifierSource::Rule)
    );
    assert_eq!(created.confidence, 1.0);
    let row = attempt_row(&app, &created.attempt_id).await;
    assert_eq!(row["status"], "CLASSIFIED");
    let (p_known, ..) = mastery_row(&app, STUDENT_IDS[0], "COUNT").await.unwrap();
    assert_eq!(p_known, 0.6926829268292684, "a correct observation");
}

#[tokio::test]
async fn repeated_attempts_accumulate_mastery_in_order() {
    let app = spawn_seeded().await;
    let client = app.client_for(STUDENT1).await;
    let params = innova_domain::bkt::BktParams::DEFAULT;
    let mut expected = params.p_l0;
    for answer in [27.0, 33.0, 27.0, 27.0] {
        let mut attempt = borrow_error();
        attempt.student_answer = answer;
        client.attempts_create().body(attempt).send().await.unwrap();
        expected = innova_domain::bkt::update(expected, &params, answer == 27.0);
    }
    let (p_known, count, trend) = mastery_row(&app, STUDENT_IDS[0], "SUB").await.unwrap();
    assert_eq!(p_known, expected);
    assert_eq!(count, 4);
    assert_eq!(
        trend,
        Some(expected - innova_domain::bkt::update(params.p_l0, &params, true))
    );
}

// ---- scope ---------------------------------------------------------------------------------

/// A second course with its own teacher, whose token the tests can mint.
pub async fn add_other_teacher(app: &TestApp) -> &'static str {
    sqlx::raw_sql(
        "INSERT INTO users (id, supabase_uid, email, auth_role, updated_at) VALUES
            ('u-other-teacher', 'sub-other-teacher', 'other.teacher@example.com', 'teacher', CURRENT_TIMESTAMP);
         INSERT INTO teachers (id, user_id) VALUES ('other-teacher', 'u-other-teacher');
         INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
            VALUES ('other-course', 'seed-school-001', 'seed-subject-001', '8° B', 8, 2026);
         INSERT INTO course_teachers (course_id, teacher_id) VALUES ('other-course', 'other-teacher');",
    )
    .execute(app.pool())
    .await
    .unwrap();
    "other.teacher@example.com"
}

async fn post_attempt_as(app: &TestApp, email: &str, body: Value) -> (StatusCode, Value) {
    let resp = app
        .request_as(email, Method::POST, "/attempts")
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

fn valid_body(student: &str) -> Value {
    json!({"studentId": student, "topicCode": "SUB", "rawSteps": [{"expression": "33", "isFinal": true}],
           "expectedAnswer": 27, "studentAnswer": 33, "minuend": 53, "subtrahend": 26})
}

#[tokio::test]
async fn only_the_student_may_post_and_only_for_themself() {
    let app = spawn_seeded().await;
    let (status, body) = post_attempt_as(&app, STUDENT1, valid_body(STUDENT_IDS[1])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for who in [TEACHER, PARENT, ADMIN] {
        let (status, _) = post_attempt_as(&app, who, valid_body(STUDENT_IDS[0])).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let resp = app
        .http
        .post(format!("{}/attempts", app.base_url))
        .json(&valid_body(STUDENT_IDS[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Credentials are checked before the body, as in the reference: no schema hints for
    // anonymous callers.
    let resp = app
        .http
        .post(format!("{}/attempts", app.base_url))
        .body("{\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("attempts").await, 0, "nothing written");
}

#[tokio::test]
async fn an_attempt_is_visible_to_its_student_their_teachers_and_admins_only() {
    let app = spawn_seeded().await;
    let other_teacher = add_other_teacher(&app).await;
    let (status, created) = post_attempt_as(&app, STUDENT1, valid_body(STUDENT_IDS[0])).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["data"]["attemptId"].as_str().unwrap().to_string();

    for who in [STUDENT1, TEACHER, ADMIN] {
        let status = app
            .client_for(who)
            .await
            .attempts_status()
            .id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            status.data.error_tag_code.as_deref(),
            Some("ARITH_SUB_BORROW_OMITTED_TENS_G3"),
            "{who}"
        );
        let detail = app
            .client_for(who)
            .await
            .attempts_detail()
            .id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(detail.data.steps.len(), 1, "{who}");
    }
    // Another student and a teacher who does not teach the student: as if it did not exist.
    for who in [STUDENT2, other_teacher] {
        for route in ["status", "detail"] {
            let resp = app
                .request_as(who, Method::GET, &format!("/attempts/{id}/{route}"))
                .await
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{who} {route}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["message"], format!("Attempt {id} not found"));
        }
        let resp = app
            .request_as(who, Method::POST, &format!("/attempts/{id}/report"))
            .await
            .json(&json!({"errorTagCode": "ARITH_TRANSV_FACT_ERROR"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{who} report");
    }
    // Parents never see attempts (photo URLs, step detail).
    for route in ["status", "detail"] {
        let resp = app
            .request_as(PARENT, Method::GET, &format!("/attempts/{id}/{route}"))
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "parent {route}");
    }
    // Unknown attempts look the same as hidden ones.
    let resp = app
        .request_as(STUDENT1, Method::GET, "/attempts/nope/status")
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_report_is_recorded_without_touching_the_attempt() {
    let app = spawn_seeded().await;
    let (_, created) = post_attempt_as(&app, STUDENT1, valid_body(STUDENT_IDS[0])).await;
    let id = created["data"]["attemptId"].as_str().unwrap().to_string();
    let before = attempt_row(&app, &id).await;

    let client = app.client_for(TEACHER).await;
    let body = types::ReportAttempt::builder()
        .error_tag_code("ARITH_TRANSV_FACT_ERROR")
        .comment(Some("es un error de cálculo".try_into().unwrap()));
    let reported = client
        .attempts_report()
        .id(&id)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reported.status_code, 201);
    assert!(reported.data.reported);
    let (reporter, comment, source): (String, String, String) = sqlx::query_as(
        "SELECT u.email, r.comment, r.source::text FROM attempt_error_reports r JOIN users u ON u.id = r.reported_by_id
         WHERE r.attempt_id = $1",
    )
    .bind(&id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (reporter.as_str(), comment.as_str(), source.as_str()),
        (TEACHER, "es un error de cálculo", "FIELD_REPORTED")
    );
    assert_eq!(
        attempt_row(&app, &id).await,
        before,
        "the attempt is unchanged"
    );

    let resp = app
        .request_as(STUDENT1, Method::POST, &format!("/attempts/{id}/report"))
        .await
        .json(&json!({"errorTagCode": "NOPE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["message"],
        "Error tag NOPE not found"
    );
    let resp = app
        .request_as(STUDENT1, Method::POST, &format!("/attempts/{id}/report"))
        .await
        .json(&json!({"errorTagCode": "CORRECT", "comment": "x".repeat(501)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(
        answer["message"],
        json!(["comment must be shorter than or equal to 500 characters"])
    );
    assert_eq!(app.count("attempt_error_reports").await, 1);
}

// ---- bad input -------------------------------------------------------------------------------

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_writes_nothing() {
    let app = spawn_seeded().await;
    let token = app.token_for(STUDENT1).await;
    let url = format!("{}/attempts", app.base_url);
    let mut missing = valid_body(STUDENT_IDS[0]);
    missing.as_object_mut().unwrap().remove("topicCode");
    let mut wrong_type = valid_body(STUDENT_IDS[0]);
    wrong_type["expectedAnswer"] = json!("twenty-seven");
    let mut unknown = valid_body(STUDENT_IDS[0]);
    unknown["isAdmin"] = json!(true);
    let mut nested = valid_body(STUDENT_IDS[0]);
    nested["rawSteps"] = json!([{"expression": "33", "isFinal": true, "color": "red"}]);
    let mut empty_id = valid_body(STUDENT_IDS[0]);
    empty_id["topicCode"] = json!("  ");
    let mut nul = valid_body(STUDENT_IDS[0]);
    nul["topicCode"] = json!("SUB\u{0}");
    let mut nested_nul = valid_body(STUDENT_IDS[0]);
    nested_nul["rawSteps"] = json!([{"expression": "3\u{0}3", "isFinal": true}]);

    let cases: Vec<(&str, String, &str)> = vec![
        ("missing field", missing.to_string(), "topicCode"),
        ("wrong type", wrong_type.to_string(), "expectedAnswer"),
        (
            "unknown property",
            unknown.to_string(),
            "property isAdmin should not exist",
        ),
        (
            "unknown nested property",
            nested.to_string(),
            "property rawSteps.0.color should not exist",
        ),
        (
            "blank string",
            empty_id.to_string(),
            "topicCode should not be empty",
        ),
        ("empty body", String::new(), "body"),
        (
            "malformed JSON",
            "{\"studentId\": ".to_string(),
            "EOF while parsing",
        ),
        (
            "not an object",
            "[1, 2]".to_string(),
            "request body must be a JSON object, not an array",
        ),
        (
            "trailing bytes",
            format!("{} garbage", valid_body(STUDENT_IDS[0])),
            "trailing characters",
        ),
        (
            "a NUL character",
            nul.to_string(),
            "topicCode must not contain NUL characters",
        ),
        (
            "a nested NUL character",
            nested_nul.to_string(),
            "rawSteps.0.expression must not contain NUL characters",
        ),
    ];
    for (case, body, names) in cases {
        let resp = app
            .http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{case}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["statusCode"], 400, "{case}");
        assert_eq!(body["code"], "Bad Request", "{case}");
        let message = body["message"].to_string();
        assert!(
            message.contains(names),
            "{case}: {message} should name {names}"
        );
    }
    assert_eq!(app.count("attempts").await, 0);
    assert_eq!(app.count("student_topic_mastery").await, 0);
}

#[tokio::test]
async fn unknown_references_are_named_and_nothing_is_written() {
    let app = spawn_seeded().await;
    for (field, value) in [
        ("exerciseId", "no-such-exercise"),
        ("courseId", "no-such-course"),
    ] {
        let mut body = valid_body(STUDENT_IDS[0]);
        body[field] = json!(value);
        let (status, body) = post_attempt_as(&app, STUDENT1, body).await;
        // Decision 5: a well-formed id of no row is unprocessable content, naming the field.
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            body["message"].to_string().contains(field),
            "{field}: {body}"
        );
    }
    assert_eq!(app.count("attempts").await, 0);
    assert_eq!(app.count("attempt_steps").await, 0);
    assert_eq!(
        app.count("student_topic_mastery").await,
        0,
        "the transaction rolled back"
    );
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_seeded().await;
    let mut body = valid_body(STUDENT_IDS[0]);
    body["rawSteps"] = json!([{"expression": "9".repeat(200 * 1024), "isFinal": true}]);
    let (status, body) = post_attempt_as(&app, STUDENT1, body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["statusCode"], 413);
    // The body-size failure is answered by the handler like any other error: the request's
    // own fields are in it.
    assert_eq!(body["path"], "/attempts");
    assert!(
        !body["traceId"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    assert!(
        !body["timestamp"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    assert_eq!(app.count("attempts").await, 0);
    assert_eq!(
        app.api.open_requests(),
        0,
        "every request's scope is closed"
    );
}

// ---- solve-adhoc -----------------------------------------------------------------------------

fn adhoc_body() -> Value {
    json!({"studentId": STUDENT_IDS[0], "problemLatex": "\\frac{1}{2} + \\frac{1}{3}",
           "studentSteps": ["\\frac{2}{5}"], "studentFinalAnswer": "\\frac{2}{5}", "gradeLevel": 6})
}

#[tokio::test]
async fn solve_adhoc_queues_the_exact_message() {
    let queue = moto_queue("adhoc-solve-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_ADHOC_SOLVE_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let resp = app
        .request_as(STUDENT1, Method::POST, "/attempts/solve-adhoc")
        .await
        .header("x-trace-id", "trace-adhoc-1")
        .json(&adhoc_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["data"]["attemptId"]
        .as_str()
        .unwrap()
        .to_string();
    let row = attempt_row(&app, &id).await;
    assert_eq!(
        (row["status"].as_str(), row["input_mode"].as_str()),
        (Some("PENDING"), Some("SCAN_ADHOC"))
    );
    assert_eq!(
        (row["is_correct"].as_bool(), row["confidence"].is_null()),
        (Some(false), true)
    );
    let event = receive_event(&queue).await;
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"attempt_id": id, "problem_latex": "\\frac{1}{2} + \\frac{1}{3}", "student_steps": ["\\frac{2}{5}"],
               "student_final_answer": "\\frac{2}{5}", "student_id": STUDENT_IDS[0], "grade_level": 6,
               "trace_id": "trace-adhoc-1"})
    );
    let resp = app
        .request_as(STUDENT1, Method::POST, "/attempts/solve-adhoc")
        .await
        .json(&json!({"studentId": STUDENT_IDS[0], "problemLatex": "x", "studentFinalAnswer": "y", "gradeLevel": 13}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.json::<Value>().await.unwrap()["message"]
            .to_string()
            .contains("gradeLevel")
    );
}

#[tokio::test]
async fn solve_adhoc_succeeds_while_the_queue_is_down_and_the_relay_delivers_it_later() {
    // A queue URL whose queue does not exist yet: SendMessage fails.
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let name = format!(
        "adhoc-missing-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let url = format!("{endpoint}/123456789012/{name}");
    let app = spawn_seeded_with(&[
        ("SQS_ADHOC_SOLVE_URL", &url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let send = || async {
        app.request_as(STUDENT1, Method::POST, "/attempts/solve-adhoc")
            .await
            .header("x-trace-id", "trace-adhoc-retry")
            .json(&adhoc_body())
            .send()
            .await
            .unwrap()
    };
    // The work is durably queued (decision 22): success, although the queue is unreachable.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let resp = send().await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.unwrap();
        ids.push(body["data"]["attemptId"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1], "the retry answered the stored attempt");
    assert_eq!(app.count("attempts").await, 1);
    assert_eq!(
        app.count("innova.outbox").await,
        1,
        "one message waits, not two"
    );

    // While the queue is down the relay keeps the message (and backs off).
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (0, 1));
    assert_eq!(app.count("innova.outbox").await, 1);

    // The queue comes back: the relay delivers it, once.
    moto_queue_named(&name).await;
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (1, 0));
    assert_eq!(app.count("innova.outbox").await, 0);
    let queue = MotoQueue {
        url: url.clone(),
        arn: String::new(),
    };
    let event = receive_event(&queue).await;
    assert_eq!(event.records.len(), 1);
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["attempt_id"], json!(ids[0]));
    assert_eq!(body["trace_id"], "trace-adhoc-retry");
}

#[tokio::test]
async fn twenty_racing_solve_adhoc_retries_store_one_attempt_and_queue_one_message() {
    let queue = moto_queue("adhoc-solve-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_ADHOC_SOLVE_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let token = app.token_for(STUDENT1).await;
    let send = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let resp = app
                .http
                .post(format!("{}/attempts/solve-adhoc", app.base_url))
                .bearer_auth(token)
                .header("x-trace-id", "adhoc-burst")
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    let answers = futures::future::join_all((0..20).map(|_| send(adhoc_body()))).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["data"]["attemptId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every racing retry answers the same attempt");
    assert_eq!(app.count("attempts").await, 1);
    let event = receive_event(&queue).await;
    assert_eq!(event.records.len(), 1);
    assert_eq!(
        queue_depth(&queue).await,
        0,
        "one message for twenty requests"
    );
    // The same key with another request is not a retry.
    let mut other = adhoc_body();
    other["studentFinalAnswer"] = json!("\\frac{5}{6}");
    let (status, body) = send(other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap().contains("x-trace-id"));
    assert_eq!(app.count("attempts").await, 1);
}

/// Messages visible or in flight in a moto queue.
async fn queue_depth(queue: &MotoQueue) -> u64 {
    let attrs = crate::support::moto_sqs()
        .await
        .get_queue_attributes()
        .queue_url(&queue.url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    let n = |k: aws_sdk_sqs::types::QueueAttributeName| -> u64 {
        attrs.get(&k).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    n(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
}

#[tokio::test]
async fn the_stored_answer_decides_correctness_not_the_clients_expected_answer() {
    let app = spawn_seeded().await;
    // 53 − 26 is 27 (seed-ex-sub-001 stores it); the student claims 33 is expected and answers 33.
    let mut forged = valid_body(STUDENT_IDS[0]);
    forged["exerciseId"] = json!("seed-ex-sub-001");
    forged["expectedAnswer"] = json!(33);
    let (status, body) = post_attempt_as(&app, STUDENT1, forged).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["data"]["isCorrect"], false,
        "graded against the stored 27: {body}"
    );
    assert_ne!(body["data"]["errorTagCode"], "CORRECT");
    let (p_known, _, _) = mastery_row(&app, STUDENT_IDS[0], "SUB").await.unwrap();
    let prior: f64 =
        sqlx::query_scalar("SELECT bkt_p_l0 FROM topics WHERE code = 'SUB' ORDER BY id LIMIT 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(
        p_known < prior,
        "a wrong answer lowers mastery: {p_known} vs {prior}"
    );
    // Without an exercise, the client's expectedAnswer is all there is.
    let mut free = valid_body(STUDENT_IDS[0]);
    free["expectedAnswer"] = json!(33);
    let (_, body) = post_attempt_as(&app, STUDENT1, free).await;
    assert_eq!(body["data"]["isCorrect"], true, "{body}");
}

#[tokio::test]
async fn a_guides_exercise_or_a_non_numeric_stored_answer_is_refused_for_a_typed_attempt() {
    let app = spawn_seeded().await;
    for (id, source, content) in [
        (
            "guide-ex",
            "GUIDE_EXTRACTED",
            json!({"statement_latex": "53 - 26", "final_answer": "27"}),
        ),
        (
            "latex-ex",
            "LLM_GENERATED",
            json!({"prompt": "\\frac{1}{2}+\\frac{1}{3}", "correct_answer_latex": "\\frac{5}{6}"}),
        ),
    ] {
        sqlx::query(
            "INSERT INTO exercises (id, topic_id, source, content) VALUES ($1, 'seed-topic-001', $2, $3)",
        )
        .bind(id)
        .bind(source)
        .bind(content)
        .execute(app.pool())
        .await
        .unwrap();
    }
    for (id, says) in [
        ("guide-ex", "belongs to a guide"),
        ("latex-ex", "not a number"),
    ] {
        let mut body = valid_body(STUDENT_IDS[0]);
        body["exerciseId"] = json!(id);
        let (status, body) = post_attempt_as(&app, STUDENT1, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["message"].to_string();
        assert!(
            message.contains("exerciseId") && message.contains(says),
            "{message}"
        );
    }
    assert_eq!(app.count("attempts").await, 0);
}

#[tokio::test]
async fn an_attempt_naming_a_course_its_student_is_not_active_in_is_422_on_both_routes() {
    use crate::support::{COURSE_B, two_courses};
    let app = spawn_seeded().await;
    two_courses()
        .enroll_as(COURSE_B, STUDENT_IDS[1], "LEFT")
        .insert(app.pool())
        .await;
    // Student 1: never in course B. Student 2: LEFT it.
    for (email, student) in [(STUDENT1, STUDENT_IDS[0]), (STUDENT2, STUDENT_IDS[1])] {
        let mut body = valid_body(student);
        body["courseId"] = json!(COURSE_B);
        let (status, answer) = post_attempt_as(&app, email, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["message"].to_string().contains("courseId"),
            "{answer}"
        );

        let mut adhoc = adhoc_body();
        adhoc["studentId"] = json!(student);
        adhoc["courseId"] = json!(COURSE_B);
        let resp = app
            .request_as(email, Method::POST, "/attempts/solve-adhoc")
            .await
            .json(&adhoc)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let answer: Value = resp.json().await.unwrap();
        assert!(
            answer["message"].to_string().contains("courseId"),
            "{answer}"
        );
    }
    assert_eq!(app.count("attempts").await, 0);
    assert_eq!(app.count("innova.outbox").await, 0);
    // Their own course is fine.
    let mut body = valid_body(STUDENT_IDS[0]);
    body["courseId"] = json!(COURSE_ID);
    let (status, answer) = post_attempt_as(&app, STUDENT1, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

async fn moto_queue_named(name: &str) {
    crate::support::moto_sqs()
        .await
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap();
}

// ---- ocr-extract -----------------------------------------------------------------------------

fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

async fn ocr_request(
    app: &TestApp,
    email: &str,
    form: reqwest::multipart::Form,
) -> (StatusCode, Value) {
    let resp = app
        .request_as(email, Method::POST, "/attempts/ocr-extract")
        .await
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

fn image_form(bytes: Vec<u8>, mime: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(bytes)
            .file_name("photo.jpg")
            .mime_str(mime)
            .unwrap(),
    )
}

#[tokio::test]
async fn ocr_extract_validates_the_upload_and_needs_a_provider() {
    let app = spawn_seeded().await;
    // No file.
    let (status, body) = ocr_request(
        &app,
        STUDENT1,
        reqwest::multipart::Form::new().text("note", "hola"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].to_string().contains("image"));
    // Not an image.
    let (status, body) = ocr_request(
        &app,
        STUDENT1,
        image_form(b"%PDF-1.7 not a photo".to_vec(), "application/pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Another file field.
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(jpeg())
            .file_name("p.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let (status, body) = ocr_request(&app, STUDENT1, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].to_string().contains("image"), "{body}");
    // Too large.
    let mut big = jpeg();
    big.resize(11 * 1024 * 1024, 0);
    let (status, _) = ocr_request(&app, STUDENT1, image_form(big, "image/jpeg")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A good photo, but no OCR provider configured.
    let (status, body) = ocr_request(&app, STUDENT1, image_form(jpeg(), "image/jpeg")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["message"].as_str().unwrap().contains("GEMINI_API_KEY"));
    // Students only.
    let (status, _) = ocr_request(&app, TEACHER, image_form(jpeg(), "image/jpeg")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ocr_extract_returns_the_exercises_gemini_read() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let gemini = MockServer::start().await;
    let answer = json!({"exercises": [{"problem": "52 - 17 = ?", "latex_steps": ["52 - 17", "35"],
        "final_answer": "35", "overall_confidence": 1.4, "topic_hint": "resta"}]});
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": answer.to_string()}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10}
        })))
        .expect(1)
        .mount(&gemini)
        .await;
    let app = spawn_seeded_with(&[
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", &gemini.uri()),
    ])
    .await;
    let (status, body) = ocr_request(&app, STUDENT1, image_form(jpeg(), "image/jpeg")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["data"],
        json!({"exercises": [{"problem": "52 - 17 = ?",
            "rawSteps": [{"expression": "52 - 17", "isFinal": false}, {"expression": "35", "isFinal": true}],
            "finalAnswer": "35", "topicHint": "resta", "confidence": 1.0}]})
    );
}

// ---- detail with photos ----------------------------------------------------------------------

#[tokio::test]
async fn detail_lists_short_lived_photo_urls_of_the_submission() {
    let app = spawn_seeded().await;
    let (_, created) = post_attempt_as(&app, STUDENT1, valid_body(STUDENT_IDS[0])).await;
    let id = created["data"]["attemptId"].as_str().unwrap().to_string();
    let statements = [
        format!(
            "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key, trace_id, updated_at)
             VALUES ('g1', '{COURSE_ID}', '{TEACHER_ID}', 'Guía 1', 'PUBLISHED', 'guides/uploads/g1.pdf', 'tg', CURRENT_TIMESTAMP)"
        ),
        "INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, updated_at)
         VALUES ('q1', 'g1', 1, '53 - 26', CURRENT_TIMESTAMP)"
            .to_string(),
        format!(
            "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, photo_keys, attempt_id,
                                            transcription_latex, transcription_confidence, trace_id, updated_at)
             VALUES ('s1', 'g1', 'q1', '{}', ARRAY['submissions/s1/a.jpg', 'submissions/s1/b.jpg'], '{id}',
                     '53 - 26 = 33', 0.9, 'ts', CURRENT_TIMESTAMP)",
            STUDENT_IDS[0]
        ),
    ];
    for sql in statements {
        sqlx::raw_sql(&sql)
            .execute(app.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let detail = app
        .client_for(TEACHER)
        .await
        .attempts_detail()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let submission = detail.submission.expect("the linked submission");
    assert_eq!(submission.photo_urls.len(), 2);
    assert!(
        submission.photo_urls[0].contains("submissions/s1/a.jpg")
            && submission.photo_urls[0].contains("signature=")
    );
    assert_eq!(
        submission.transcription_latex.as_deref(),
        Some("53 - 26 = 33")
    );
    // The signed URL works, and only for a while.
    let resp = reqwest::get(&submission.photo_urls[0]).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "signed, but no photo was uploaded in this test"
    );
    let tampered = submission.photo_urls[0].replace("a.jpg", "b.jpg");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

// ---- retries -------------------------------------------------------------------------------

async fn post_with_trace(
    app: &TestApp,
    token: &str,
    trace: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/attempts", app.base_url))
        .bearer_auth(token)
        .header("x-trace-id", trace)
        .json(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_retried_attempt_is_answered_again_and_applied_once() {
    let app = spawn_seeded().await;
    let token = app.token_for(STUDENT1).await;
    let body = valid_body(STUDENT_IDS[0]);

    let (status, first) = post_with_trace(&app, &token, "retry-1", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The client lost the answer and sends the same request again.
    let (status, again) = post_with_trace(&app, &token, "retry-1", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        again["data"], first["data"],
        "the stored verdict, not a new one"
    );
    assert_eq!(app.count("attempts").await, 1);
    assert_eq!(app.count("attempt_steps").await, 1);
    let (_, count, _) = mastery_row(&app, STUDENT_IDS[0], "SUB").await.unwrap();
    assert_eq!(count, 1, "BKT applied once");

    // The same trace id for another answer is a client bug, not a retry.
    let mut other = body.clone();
    other["rawSteps"] = json!([{"expression": "21", "isFinal": true}]);
    other["studentAnswer"] = json!(21);
    let (status, conflict) = post_with_trace(&app, &token, "retry-1", &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert!(conflict["message"].as_str().unwrap().contains("x-trace-id"));
    assert_eq!(app.count("attempts").await, 1);

    // Without a trace id every request is a new attempt.
    let (status, _) = post_attempt_as(&app, STUDENT1, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.count("attempts").await, 2);
}

#[tokio::test]
async fn concurrent_duplicates_store_one_attempt_and_apply_bkt_once() {
    let app = spawn_seeded().await;
    let token = app.token_for(STUDENT1).await;
    let body = valid_body(STUDENT_IDS[0]);
    let sends = (0..6).map(|_| post_with_trace(&app, &token, "dup-burst", &body));
    let answers = futures::future::join_all(sends).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["data"]["attemptId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every duplicate answers the same attempt");
    assert_eq!(app.count("attempts").await, 1);
    let (_, count, _) = mastery_row(&app, STUDENT_IDS[0], "SUB").await.unwrap();
    assert_eq!(count, 1);
}
