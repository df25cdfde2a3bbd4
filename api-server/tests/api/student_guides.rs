//! Student guides (`/student/**`), as a student lives them: a published guide in their list, the
//! quiz without a single solution in it, a submission of two photos uploaded to the presigned
//! URLs and completed (the exact submission-grade message, with the request's trace id, taken
//! off a moto queue), the status polled, the results before and after grading, with and without
//! `showSolutionAfterGrade`; a page scanned and read by a fake Gemini. And everything refused:
//! bad photo counts, the re-submission cap (under concurrency too), unpublished guides, other
//! courses, other students, parents, keys outside the caller's prefix, a publish that fails.

use innova_api_client::types;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{PARENT, STUDENT1, TEACHER};
use crate::support::{
    COURSE_B, STUDENT_B_EMAIL, TEACHER_B, TestApp, message, moto_queue, receive_event,
    required_env, send_as, spawn_seeded, spawn_seeded_with, two_courses,
};

const STUDENT2: &str = "student2@innova.demo";

/// A published guide of the demo course: two APPROVED questions (out of order in the PDF), one
/// EXCLUDED; resubmissions 2, solutions hidden.
fn guide() -> GuideFixture {
    GuideFixture::new("g-restas", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .title("Restas con reserva")
        .question(
            QuestionFixture::approved("q-2", 2, "30 - 18")
                .topic("SUB")
                .answer("12"),
        )
        .question(
            QuestionFixture::approved("q-1", 1, "52 - 17")
                .topic("SUB")
                .answer("35"),
        )
        .question(QuestionFixture::new("q-3", 3, "dibuja").status("EXCLUDED"))
}

fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(&[7u8; 64]);
    bytes
}

/// Uploads a photo as a phone would: `PUT` with the signed content type.
async fn upload(app: &TestApp, url: &str) {
    let resp = app
        .http
        .put(url)
        .header("content-type", "image/jpeg")
        .body(jpeg())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "PUT {url}: {}", resp.status());
}

/// A request with a chosen trace id.
async fn send_traced(
    app: &TestApp,
    who: &str,
    method: Method,
    path: &str,
    trace: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .request_as(who, method, path)
        .await
        .header("x-trace-id", trace);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn start(app: &TestApp, who: &str, question: &str, photos: i64) -> (StatusCode, Value) {
    send_as(
        app,
        who,
        Method::POST,
        &format!("/student/guides/g-restas/questions/{question}/submissions"),
        Some(json!({ "photoCount": photos })),
    )
    .await
}

async fn submission_count(app: &TestApp) -> i64 {
    app.count("guide_submissions").await
}

/// The body of every message waiting in the queue.
async fn bodies(queue: &crate::support::MotoQueue) -> Vec<Value> {
    receive_event(queue)
        .await
        .records
        .iter()
        .map(|r| serde_json::from_str(r.body.as_deref().unwrap()).unwrap())
        .collect()
}

/// A moto queue URL whose queue does not exist: every SendMessage fails.
fn missing_queue_url() -> String {
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    format!(
        "{endpoint}/123456789012/grade-missing-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Plays the grader and the reprocess worker: the submission GRADED through an attempt tagged
/// with a catalogue error whose name is empty (decision 7: shown as null).
async fn grade(app: &TestApp, submission: &str, student: &str) {
    sqlx::raw_sql(&format!(
        "UPDATE error_tags SET name = '' WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3';
         INSERT INTO attempts (id, student_id, is_correct, error_tag_id, classifier_source,
                               input_mode, status, trace_id)
         SELECT 'a-{submission}', '{student}', false, id, 'LLM', 'PHOTO_GUIDE', 'GRADED', 't'
         FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3';
         UPDATE guide_submissions SET status = 'GRADED', attempt_id = 'a-{submission}',
                score = 0.5, is_correct = false, graded_at = '2026-05-02 12:00:00'
         WHERE id = '{submission}';"
    ))
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_student_submits_two_photos_is_graded_and_sees_the_solution_only_when_allowed() {
    let queue = moto_queue("submission-grade-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("SQS_SUBMISSION_GRADE_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    guide().insert(app.pool()).await;
    GuideFixture::new("g-draft", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::approved("qd-1", 1, "1 + 1").answer("2"))
        .insert(app.pool())
        .await;
    let student = app.client_for(STUDENT1).await;

    // 1. The list: the published guide only, nothing graded yet.
    let list = student
        .student_guides_list()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].id.as_str(),
            list[0].title.as_str(),
            list[0].total_questions,
            list[0].graded_questions
        ),
        ("g-restas", "Restas con reserva", 2, 0)
    );

    // 2. The quiz: APPROVED questions by sequence; no answer anywhere in the JSON.
    let (status, raw) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-restas",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    let text = raw["data"].to_string();
    for secret in [
        "\"35\"",
        "\"12\"",
        "final_answer",
        "finalAnswer",
        "solution",
        "steps",
    ] {
        assert!(!text.contains(secret), "the quiz leaks {secret}: {text}");
    }
    let quiz = student
        .student_guides_get()
        .id("g-restas")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((quiz.guide.max_resubmissions, quiz.guide.due_at), (2, None));
    let questions: Vec<(&str, i32, &str)> = quiz
        .questions
        .iter()
        .map(|q| (q.id.as_str(), q.sequence, q.statement_latex.as_str()))
        .collect();
    assert_eq!(questions, [("q-1", 1, "52 - 17"), ("q-2", 2, "30 - 18")]);
    assert!(quiz.questions.iter().all(|q| q.submissions.is_empty()));

    // 3. Start a submission of two photos and upload both to their URLs.
    let started = student
        .student_submissions_create()
        .id("g-restas")
        .qid("q-1")
        .body(types::CreateSubmission {
            photo_count: std::num::NonZeroU64::new(2).unwrap(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status_code, 201);
    let started = started.data;
    assert_eq!(started.attempt_number, 1);
    assert_eq!(started.presigned_put_urls.len(), 2);
    let sid = started.submission_id.clone();
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT unnest(photo_keys) FROM guide_submissions WHERE id = $1")
            .bind(&sid)
            .fetch_all(app.pool())
            .await
            .unwrap();
    for (key, url) in keys.iter().zip(&started.presigned_put_urls) {
        assert!(key.starts_with(&format!("submissions/{sid}/")) && key.ends_with(".jpg"));
        assert!(url.contains(key.as_str()), "{url} signs {key}");
        // The content type is signed: anything else is refused.
        let wrong = app
            .http
            .put(url)
            .header("content-type", "image/png")
            .body(jpeg())
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        upload(&app, url).await;
    }

    // 4. Complete: 202, UPLOADED, and the exact §3.7 message with the request's trace id.
    let (status, done) = send_traced(
        &app,
        STUDENT1,
        Method::POST,
        &format!("/student/submissions/{sid}/complete"),
        "trace-complete-1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{done}");
    assert_eq!(done["data"], json!({"status": "UPLOADED"}));
    assert_eq!(done["traceId"], "trace-complete-1");
    assert_eq!(
        bodies(&queue).await,
        [
            json!({"guide_submission_id": sid, "guide_question_id": "q-1", "solution_version": 1,
                "photo_keys": keys, "trace_id": "trace-complete-1"})
        ]
    );
    let version: Option<i32> =
        sqlx::query_scalar("SELECT solution_version FROM guide_submissions WHERE id = $1")
            .bind(&sid)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(version, Some(1));

    // 5. Poll: still UPLOADED, no grade.
    let polled = student
        .student_submissions_status()
        .id(&sid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(polled.status, types::SubmissionStatus::Uploaded);
    assert_eq!((polled.score, polled.error_tag_code), (None, None));

    // 6. Results before grading: UPLOADED, NOT_SUBMITTED, no solution.
    let results = student
        .student_guides_results()
        .id("g-restas")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert!(!results.show_solution);
    let statuses: Vec<_> = results.questions.iter().map(|q| q.status).collect();
    assert_eq!(
        statuses,
        [
            types::StudentResultStatus::Uploaded,
            types::StudentResultStatus::NotSubmitted
        ]
    );
    assert!(results.questions.iter().all(|q| q.solution.is_none()));

    // 7. Graded, solutions hidden: the grade and the tag (empty name → null), still no solution.
    grade(&app, &sid, STUDENT_IDS[0]).await;
    let polled = student
        .student_submissions_status()
        .id(&sid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(polled.status, types::SubmissionStatus::Graded);
    assert_eq!(
        (
            polled.score,
            polled.is_correct,
            polled.error_tag_code.as_deref(),
            polled.error_tag_name.as_deref(),
            polled.graded_at.as_deref()
        ),
        (
            Some(0.5),
            Some(false),
            Some("ARITH_SUB_BORROW_OMITTED_TENS_G3"),
            None,
            Some("2026-05-02T12:00:00.000Z")
        )
    );
    let (_, raw) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-restas/results",
        None,
    )
    .await;
    assert_eq!(raw["data"]["questions"][0]["status"], "GRADED");
    assert_eq!(raw["data"]["questions"][0]["errorTagName"], Value::Null);
    assert_eq!(raw["data"]["questions"][0]["solution"], Value::Null);
    let list = student
        .student_guides_list()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((list[0].graded_questions, list[0].total_questions), (1, 2));

    // 8. The teacher lets solutions show: the graded question's, and only that one.
    sqlx::query("UPDATE guides SET show_solution_after_grade = true WHERE id = 'g-restas'")
        .execute(app.pool())
        .await
        .unwrap();
    let results = student
        .student_guides_results()
        .id("g-restas")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert!(results.show_solution);
    let solution = results.questions[0]
        .solution
        .as_ref()
        .expect("graded: shown");
    assert_eq!(
        (
            solution.final_answer.as_str(),
            solution.version,
            solution.guide_question_id.as_str()
        ),
        ("35", 1, "q-1")
    );
    assert!(solution.steps_json.steps[0].checkpoint);
    assert!(
        results.questions[1].solution.is_none(),
        "not submitted: hidden"
    );

    // A new attempt makes the latest submission ungraded again: the solution hides.
    let (status, body) = start(&app, STUDENT1, "q-1", 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["attemptNumber"], 2);
    let (_, raw) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-restas/results",
        None,
    )
    .await;
    assert_eq!(raw["data"]["questions"][0]["status"], "UPLOADED");
    assert_eq!(raw["data"]["questions"][0]["solution"], Value::Null);

    // The quiz never shows one, graded or not.
    let (_, raw) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-restas",
        None,
    )
    .await;
    let subs = &raw["data"]["questions"][0]["submissions"];
    assert_eq!(subs[0]["attemptNumber"], 2);
    assert_eq!(subs[1]["status"], "GRADED");
    assert!(!raw["data"].to_string().contains("finalAnswer"));
}

#[tokio::test]
async fn bad_photo_counts_are_400_naming_photo_count_and_write_nothing() {
    let app = spawn_seeded().await;
    guide().insert(app.pool()).await;
    for bad in [json!(0), json!(4), json!("2"), json!(2.5), json!(null)] {
        let (status, body) = send_as(
            &app,
            STUDENT1,
            Method::POST,
            "/student/guides/g-restas/questions/q-1/submissions",
            Some(json!({ "photoCount": bad })),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(message(&body).contains("photoCount"), "{bad}: {body}");
    }
    for (body, names) in [
        (json!({}), "photoCount is required"),
        (
            json!({"photoCount": 1, "extra": true}),
            "property extra should not exist",
        ),
    ] {
        let (status, answer) = send_as(
            &app,
            STUDENT1,
            Method::POST,
            "/student/guides/g-restas/questions/q-1/submissions",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(message(&answer).contains(names), "{body}: {answer}");
    }
    assert_eq!(submission_count(&app).await, 0);
}

#[tokio::test]
async fn the_resubmission_cap_holds_also_for_concurrent_starts() {
    let app = spawn_seeded().await;
    let guide = guide();
    guide.insert(app.pool()).await;
    // A FAILED try does not count for the cap but uses its attempt number.
    SubmissionFixture::new("s-failed", &guide, "q-1", STUDENT_IDS[0])
        .status("FAILED")
        .insert(app.pool())
        .await;
    let token = app.token_for(STUDENT1).await;
    let starts = (0..6).map(|_| {
        app.http
            .post(format!(
                "{}/student/guides/g-restas/questions/q-1/submissions",
                app.base_url
            ))
            .bearer_auth(&token)
            .json(&json!({"photoCount": 1}))
            .send()
    });
    let answers = futures::future::join_all(starts).await;
    let mut created = 0;
    for resp in answers {
        let resp = resp.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::BAD_REQUEST => {
                assert_eq!(message(&body), r#"["Re-submission limit reached (2)"]"#)
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(created, 3, "1 + maxResubmissions");
    let numbers: Vec<i32> = sqlx::query_scalar(
        "SELECT attempt_number FROM guide_submissions WHERE guide_question_id = 'q-1'
         ORDER BY attempt_number",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(numbers, [1, 2, 3, 4], "distinct, after the FAILED one");
    // Another student, another question: their own caps.
    let (status, _) = start(&app, STUDENT2, "q-1", 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = start(&app, STUDENT1, "q-2", 3).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn unpublished_guides_other_courses_other_students_and_parents_are_refused() {
    let app = spawn_seeded().await;
    two_courses().insert(app.pool()).await;
    let guide = guide();
    guide.insert(app.pool()).await;
    GuideFixture::new("g-review", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::approved("qr-1", 1, "1 + 1").answer("2"))
        .insert(app.pool())
        .await;
    GuideFixture::new("g-b", COURSE_B, TEACHER_B)
        .status("PUBLISHED")
        .question(QuestionFixture::approved("qb-1", 1, "9 - 4").answer("5"))
        .insert(app.pool())
        .await;
    SubmissionFixture::new("s-mine", &guide, "q-1", STUDENT_IDS[0])
        .insert(app.pool())
        .await;

    // A guide in REVIEW does not exist for students, on every route.
    let review = [
        (Method::GET, "/student/guides/g-review", None),
        (Method::GET, "/student/guides/g-review/results", None),
        (Method::GET, "/student/guides/g-review/scan-page-url", None),
        (
            Method::POST,
            "/student/guides/g-review/questions/qr-1/submissions",
            Some(json!({"photoCount": 1})),
        ),
        (
            Method::POST,
            "/student/guides/g-review/scan-page",
            Some(json!({"photoKey": "guide-scans/g-review/x/y.jpg"})),
        ),
    ];
    for (method, path, body) in review.clone() {
        let (status, answer) = send_as(&app, STUDENT1, method, path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(answer["message"], "Guide not found", "{path}");
    }
    let list = send_as(&app, STUDENT1, Method::GET, "/student/guides", None)
        .await
        .1;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // A student of another course: 403 on the guide, and the list does not show it.
    let (status, answer) = send_as(
        &app,
        STUDENT_B_EMAIL,
        Method::GET,
        "/student/guides/g-restas",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(
        answer["message"],
        "You are not enrolled in this guide course"
    );
    let (status, answer) = send_as(
        &app,
        STUDENT_B_EMAIL,
        Method::POST,
        "/student/guides/g-restas/questions/q-1/submissions",
        Some(json!({"photoCount": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let list = send_as(&app, STUDENT_B_EMAIL, Method::GET, "/student/guides", None)
        .await
        .1;
    let ids: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    assert_eq!(ids, [json!("g-b")]);

    // A question not APPROVED, or of another guide: 404.
    for q in ["q-3", "qb-1", "nope"] {
        let (status, answer) = start(&app, STUDENT1, q, 1).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{q}: {answer}");
        assert_eq!(
            answer["message"],
            "Question not found or not part of this guide"
        );
    }

    // Another student's submission is as missing as a missing one.
    for who in [STUDENT2, STUDENT_B_EMAIL] {
        for path in [
            "/student/submissions/s-mine/status",
            "/student/submissions/nope/status",
        ] {
            let (status, answer) = send_as(&app, who, Method::GET, path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who} {path}: {answer}");
            assert_eq!(answer["message"], "Submission not found");
        }
        let (status, _) = send_as(
            &app,
            who,
            Method::POST,
            "/student/submissions/s-mine/complete",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Parents (and teachers) never reach /student/**.
    let all = [
        (Method::GET, "/student/guides", None),
        (Method::GET, "/student/guides/g-restas", None),
        (Method::GET, "/student/guides/g-restas/results", None),
        (Method::GET, "/student/guides/g-restas/scan-page-url", None),
        (
            Method::POST,
            "/student/guides/g-restas/questions/q-1/submissions",
            Some(json!({"photoCount": 1})),
        ),
        (
            Method::POST,
            "/student/guides/g-restas/scan-page",
            Some(json!({"photoKey": "guide-scans/g-restas/x/y.jpg"})),
        ),
        (Method::GET, "/student/submissions/s-mine/status", None),
        (Method::POST, "/student/submissions/s-mine/complete", None),
    ];
    for who in [PARENT, TEACHER] {
        for (method, path, body) in all.clone() {
            let (status, answer) = send_as(&app, who, method, path, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}: {answer}");
        }
    }
    assert_eq!(submission_count(&app).await, 1);
}

#[tokio::test]
async fn complete_needs_every_photo_and_is_durably_queued_while_the_queue_is_down() {
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let url = missing_queue_url();
    let app = spawn_seeded_with(&[
        ("SQS_SUBMISSION_GRADE_URL", &url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    guide().insert(app.pool()).await;
    let (_, started) = start(&app, STUDENT1, "q-1", 2).await;
    let sid = started["data"]["submissionId"].as_str().unwrap().to_owned();
    let urls: Vec<String> =
        serde_json::from_value(started["data"]["presignedPutUrls"].clone()).unwrap();
    let complete = format!("/student/submissions/{sid}/complete");

    // One photo of two uploaded.
    upload(&app, &urls[0]).await;
    let (status, body) = send_as(&app, STUDENT1, Method::POST, &complete, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(message(&body).contains("Not all photos were uploaded"));

    // Both uploaded, but the queue is down: the work is durably queued with the row (202), and
    // the outbox keeps the message for the relay.
    upload(&app, &urls[1]).await;
    let (status, body) = send_as(&app, STUDENT1, Method::POST, &complete, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let row: (String, Option<i32>) = sqlx::query_as(
        "SELECT status::text, solution_version FROM guide_submissions WHERE id = $1",
    )
    .bind(&sid)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(row, ("UPLOADED".into(), Some(1)));
    let waiting: Vec<(String, String)> = sqlx::query_as("SELECT queue, body FROM innova.outbox")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].0, "submission-grade-queue");
    assert!(waiting[0].1.contains(&sid));

    // A graded submission cannot be completed again: 409 naming its status.
    sqlx::query("UPDATE guide_submissions SET status = 'GRADED' WHERE id = $1")
        .bind(&sid)
        .execute(app.pool())
        .await
        .unwrap();
    let (status, body) = send_as(&app, STUDENT1, Method::POST, &complete, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(message(&body).contains("GRADED") && message(&body).contains("UPLOADED"));
}

#[tokio::test]
async fn a_complete_queued_while_the_queue_was_down_is_delivered_by_the_relay() {
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let url = missing_queue_url();
    let app = spawn_seeded_with(&[
        ("SQS_SUBMISSION_GRADE_URL", &url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    guide().insert(app.pool()).await;
    let (_, started) = start(&app, STUDENT1, "q-2", 1).await;
    let sid = started["data"]["submissionId"].as_str().unwrap().to_owned();
    upload(
        &app,
        started["data"]["presignedPutUrls"][0].as_str().unwrap(),
    )
    .await;
    let complete = format!("/student/submissions/{sid}/complete");
    let (status, _) = send_traced(&app, STUDENT1, Method::POST, &complete, "t-retry", None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let name = url.rsplit('/').next().unwrap();
    let created = crate::support::moto_sqs()
        .await
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap();
    let queue = crate::support::MotoQueue {
        url: created.queue_url.unwrap(),
        arn: String::new(),
    };
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (1, 0));
    assert_eq!(app.count("innova.outbox").await, 0);
    let messages = bodies(&queue).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        (
            &messages[0]["guide_submission_id"],
            &messages[0]["solution_version"],
            &messages[0]["trace_id"]
        ),
        (&json!(sid), &json!(1), &json!("t-retry"))
    );
}

/// A fake Gemini reading `n` exercises off any photo.
async fn gemini_reading(n: usize) -> wiremock::MockServer {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let exercises: Vec<Value> = (0..n)
        .map(|i| {
            json!({"problem": format!("ejercicio {i}"), "latex_steps": ["52 - 17", "35"],
                   "final_answer": "35", "overall_confidence": 0.9, "topic_hint": null})
        })
        .collect();
    let read = json!({ "exercises": exercises });
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": read.to_string()}]},
                            "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10}
        })))
        .mount(&server)
        .await;
    server
}

/// A page photo uploaded through `scan-page-url`; its key.
async fn uploaded_scan(app: &TestApp, who: &str) -> String {
    let (status, body) = send_as(
        app,
        who,
        Method::GET,
        "/student/guides/g-restas/scan-page-url",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    upload(app, body["data"]["presignedUrl"].as_str().unwrap()).await;
    body["data"]["photoKey"].as_str().unwrap().to_owned()
}

async fn scan(app: &TestApp, who: &str, key: &str, trace: &str) -> (StatusCode, Value) {
    send_traced(
        app,
        who,
        Method::POST,
        "/student/guides/g-restas/scan-page",
        trace,
        Some(json!({ "photoKey": key })),
    )
    .await
}

#[tokio::test]
async fn a_scanned_page_becomes_one_submission_per_matched_question_under_the_cap() {
    let queue = moto_queue("submission-grade-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    // Three exercises on the page, two APPROVED questions: two pairs.
    let gemini = gemini_reading(3).await;
    let app = spawn_seeded_with(&[
        ("SQS_SUBMISSION_GRADE_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", &gemini.uri()),
    ])
    .await;
    let guide = guide();
    guide.insert(app.pool()).await;
    // q-2 has used up its resubmissions already.
    for n in 1..=3 {
        SubmissionFixture::new(&format!("s-q2-{n}"), &guide, "q-2", STUDENT_IDS[0])
            .attempt_number(n)
            .insert(app.pool())
            .await;
    }
    let key = uploaded_scan(&app, STUDENT1).await;
    assert!(key.starts_with(&format!("guide-scans/g-restas/{}/", STUDENT_IDS[0])));

    // Someone else's page, another guide's prefix, traversal: 400 naming photoKey.
    let other = uploaded_scan(&app, STUDENT2).await;
    let traversal = format!(
        "guide-scans/g-restas/{}/../{}/x.jpg",
        STUDENT_IDS[0], STUDENT_IDS[1]
    );
    for bad in [
        other.as_str(),
        "guide-scans/g-other/x/y.jpg",
        &traversal,
        "submissions/a/b.jpg",
        " ",
    ] {
        let (status, body) = scan(&app, STUDENT1, bad, "t-bad").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(message(&body).contains("photoKey"), "{bad}: {body}");
    }
    // Under the prefix, but never uploaded.
    let missing = format!("guide-scans/g-restas/{}/never.jpg", STUDENT_IDS[0]);
    let (status, body) = scan(&app, STUDENT1, &missing, "t-missing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(message(&body).contains("Photo not found in storage"));
    assert_eq!(submission_count(&app).await, 3);

    // The page: q-1 gets a submission, q-2 is over its cap.
    let (status, body) = scan(&app, STUDENT1, &key, "t-scan").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["statusCode"], 200);
    let data = &body["data"];
    assert_eq!(
        (&data["photoKey"], &data["matched"]),
        (&json!(key), &json!(1))
    );
    let sid = data["submissions"][0]["submissionId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        data["submissions"],
        json!([
            {"questionId": "q-1", "sequence": 1, "submissionId": sid, "skipped": false},
            {"questionId": "q-2", "sequence": 2, "submissionId": null, "skipped": true,
             "reason": "limit_reached"}
        ])
    );
    let row: (String, Vec<String>, Option<i32>, String, i32) = sqlx::query_as(
        "SELECT status::text, photo_keys, solution_version, trace_id, attempt_number
         FROM guide_submissions WHERE id = $1",
    )
    .bind(&sid)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "UPLOADED".into(),
            vec![key.clone()],
            Some(1),
            "t-scan".into(),
            1
        )
    );
    assert_eq!(
        bodies(&queue).await,
        [
            json!({"guide_submission_id": sid, "guide_question_id": "q-1", "solution_version": 1,
                "photo_keys": [key], "trace_id": "t-scan"})
        ]
    );

    // The same page twice more: q-1 reaches its cap as well.
    for expected in [1, 1, 0] {
        let (status, body) = scan(&app, STUDENT1, &key, "t-again").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["matched"], expected, "{body}");
    }
    assert_eq!(submission_count(&app).await, 6);
}

#[tokio::test]
async fn a_scan_whose_publish_fails_keeps_its_submissions_and_their_messages() {
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let url = missing_queue_url();
    let gemini = gemini_reading(2).await;
    let app = spawn_seeded_with(&[
        ("SQS_SUBMISSION_GRADE_URL", &url),
        ("AWS_ENDPOINT_URL", &endpoint),
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", &gemini.uri()),
    ])
    .await;
    guide().insert(app.pool()).await;
    let key = uploaded_scan(&app, STUDENT1).await;
    let (status, body) = scan(&app, STUDENT1, &key, "t-down").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["matched"], 2, "{body}");
    assert_eq!(submission_count(&app).await, 2);
    // Each submission's grading message waits in the outbox, committed with it.
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM innova.outbox o JOIN guide_submissions s
           ON o.body::jsonb ->> 'guide_submission_id' = s.id
         WHERE o.queue = 'submission-grade-queue'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(waiting, 2);
}

#[tokio::test]
async fn without_ocr_a_scan_is_503_and_an_empty_page_matches_nothing() {
    let app = spawn_seeded().await;
    guide().insert(app.pool()).await;
    let key = uploaded_scan(&app, STUDENT1).await;
    let (status, body) = scan(&app, STUDENT1, &key, "t-no-ocr").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(message(&body).contains("GEMINI_API_KEY"));

    let gemini = gemini_reading(0).await;
    let app = spawn_seeded_with(&[
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", &gemini.uri()),
    ])
    .await;
    guide().insert(app.pool()).await;
    let key = uploaded_scan(&app, STUDENT1).await;
    let (status, body) = scan(&app, STUDENT1, &key, "t-empty").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"photoKey": key, "matched": 0, "submissions": []})
    );
    assert_eq!(submission_count(&app).await, 0);
}

#[tokio::test]
async fn without_photo_storage_starts_and_scan_urls_are_503_naming_the_bucket() {
    use innova_core::services::{Runtime, Services};
    // The API as on Lambda with no S3_SUBMISSIONS_BUCKET: no local store stands in.
    let seeded = innova_testkit::seeded_db().await;
    let dir = crate::support::TempDir::new();
    let key_file = dir.0.join(innova_core::identity::keys::KEY_FILE);
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    std::fs::write(&key_file, crate::support::embedded_key_pem()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let config = innova_core::config::Config::from_vars([
        ("DATABASE_URL", seeded.url.as_str()),
        ("CORS_ORIGINS", crate::support::ALLOWED_ORIGIN),
        ("INNOVA_DATA_DIR", dir.0.to_str().unwrap()),
        ("PUBLIC_API_URL", base_url.as_str()),
    ])
    .unwrap();
    let mut context = innova_api_server::context::ApiContext::new(config.clone()).unwrap();
    context.app.services = Services::for_runtime(&config, Runtime::Lambda);
    let api = innova_api_server::server::serve_context(context, listener)
        .await
        .unwrap();
    let app = TestApp {
        client: innova_api_client::Client::new(&base_url),
        http: reqwest::Client::new(),
        base_url,
        api,
        db: Some(seeded),
        config,
        _data_dir: dir,
    };
    guide().insert(app.pool()).await;
    let (status, body) = start(&app, STUDENT1, "q-1", 2).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(message(&body).contains("S3_SUBMISSIONS_BUCKET"), "{body}");
    assert_eq!(
        submission_count(&app).await,
        0,
        "checked before the row is written"
    );
    let (status, body) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-restas/scan-page-url",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(message(&body).contains("S3_SUBMISSIONS_BUCKET"));
}
