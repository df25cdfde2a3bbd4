//! The transactional outbox (decision 22), flow by flow: every message that asks for work is
//! published only after the rows it names are committed — a consumer that looks them up on
//! receipt (as the AI engine does: it drops a message whose row it cannot find) always finds
//! them — and a message is never lost once they are: not when the queue is down, not when the
//! process dies between the commit and the publish.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::queue::{Queue, QueueError, QueueName};
use innova_testkit::guides::{GuideFixture, QuestionFixture};
use reqwest::Method;
use serde_json::{Value, json};

use crate::attempts::{STUDENT1, TEACHER};
use crate::support::{TestApp, send_as, spawn_seeded_wrapping_queue};

/// What a consumer found when the message reached it.
#[derive(Debug, Clone)]
struct Receipt {
    queue: QueueName,
    body: Value,
    /// The rows the message names were there, committed, seen from another connection.
    found: bool,
}

/// The queue port of the server, watched: each message is checked the way its consumer would
/// check it — from a connection of its own, so only committed rows count — before it is passed on.
struct Consumer {
    inner: Arc<dyn Queue>,
    db: sqlx::PgPool,
    receipts: Mutex<Vec<Receipt>>,
}

impl Consumer {
    async fn finds(&self, queue: QueueName, body: &Value) -> bool {
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
        let (sql, id) = match queue {
            // The engine reads the guide and works on it as EXTRACTING.
            QueueName::GuideIngest => (
                "SELECT count(*) FROM guides WHERE id = $1 AND status = 'EXTRACTING'",
                text("guide_id"),
            ),
            QueueName::SolutionGen => (
                "SELECT count(*) FROM guide_questions WHERE id = $1",
                text("guide_question_id"),
            ),
            // The grader loads the submission and the version of the key it was completed on.
            QueueName::SubmissionGrade => (
                "SELECT count(*) FROM guide_submissions WHERE id = $1 AND solution_version IS NOT NULL",
                text("guide_submission_id"),
            ),
            QueueName::AdhocSolve => (
                "SELECT count(*) FROM attempts WHERE id = $1 AND status = 'PENDING'",
                text("attempt_id"),
            ),
            QueueName::LlmClassify => (
                "SELECT count(*) FROM attempts WHERE id = $1 AND status = 'PENDING'",
                text("id"),
            ),
            QueueName::AttemptStream => (
                "SELECT count(*) FROM attempts WHERE id = $1",
                text("attemptId"),
            ),
            // Names no row: a request for new exercises.
            QueueName::ExerciseGenerate => return true,
            other => panic!("no consumer check for {other}"),
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(&id)
            .fetch_one(&self.db)
            .await
            .unwrap();
        n == 1
    }

    fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap().clone()
    }
}

#[async_trait]
impl Queue for Consumer {
    async fn send(
        &self,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        let value: Value = serde_json::from_str(&body).unwrap();
        let found = self.finds(queue, &value).await;
        self.receipts.lock().unwrap().push(Receipt {
            queue,
            body: value,
            found,
        });
        self.inner.send(queue, body, group_id).await
    }

    async fn approximate_depth(&self, queue: QueueName) -> Result<u64, QueueError> {
        self.inner.approximate_depth(queue).await
    }

    async fn dead_letter_depth(&self, queue: QueueName) -> Result<Option<u64>, QueueError> {
        self.inner.dead_letter_depth(queue).await
    }
}

/// A fake Gemini reading one exercise off any page.
async fn gemini() -> wiremock::MockServer {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let read = json!({"exercises": [{"problem": "52 - 17 = ?", "latex_steps": ["52 - 17", "35"],
        "final_answer": "35", "overall_confidence": 0.9, "topic_hint": "resta"}]});
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

async fn put(app: &TestApp, url: &str) {
    let resp = app
        .http
        .put(url)
        .header("content-type", "image/jpeg")
        .body(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

async fn ok(app: &TestApp, who: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = send_as(app, who, method, path, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer["data"].clone()
}

/// The server with its queue watched by a [`Consumer`]; the consumer, to read its receipts.
async fn spawn_watched(extra: &[(&str, &str)]) -> (TestApp, Arc<Consumer>) {
    let slot: Arc<Mutex<Option<Arc<Consumer>>>> = Arc::default();
    let keep = slot.clone();
    let app = spawn_seeded_wrapping_queue(extra, move |inner, database_url| {
        let consumer = Arc::new(Consumer {
            inner,
            db: sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_lazy(database_url)
                .unwrap(),
            receipts: Mutex::default(),
        });
        *keep.lock().unwrap() = Some(consumer.clone());
        consumer
    })
    .await;
    let consumer = slot.lock().unwrap().take().unwrap();
    (app, consumer)
}

#[tokio::test]
async fn every_message_reaches_its_consumer_after_its_rows_are_committed() {
    let gemini = gemini().await;
    let (app, consumer) = spawn_watched(&[
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", &gemini.uri()),
    ])
    .await;
    let guide = GuideFixture::new("g-ob", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("g-ob-q1", 1, "52 - 17")
                .topic("SUB")
                .answer("35"),
        )
        .question(
            QuestionFixture::approved("g-ob-q2", 2, "30 - 18")
                .topic("SUB")
                .answer("12"),
        );
    guide.insert(app.pool()).await;
    GuideFixture::new("g-ob-new", COURSE_ID, TEACHER_ID)
        .status("UPLOADED")
        .insert(app.pool())
        .await;

    // Guide ingest and solution regeneration (teacher).
    ok(&app, TEACHER, Method::POST, "/guides/g-ob-new/ingest", None).await;
    ok(
        &app,
        TEACHER,
        Method::POST,
        "/guides/g-ob/questions/g-ob-q1/regenerate-solution",
        None,
    )
    .await;
    // A submission completed (student).
    let started = ok(
        &app,
        STUDENT1,
        Method::POST,
        "/student/guides/g-ob/questions/g-ob-q2/submissions",
        Some(json!({"photoCount": 1})),
    )
    .await;
    put(&app, started["presignedPutUrls"][0].as_str().unwrap()).await;
    let sid = started["submissionId"].as_str().unwrap();
    ok(
        &app,
        STUDENT1,
        Method::POST,
        &format!("/student/submissions/{sid}/complete"),
        None,
    )
    .await;
    // A scanned page: its submissions are created by the request, with their messages.
    let scan = ok(
        &app,
        STUDENT1,
        Method::GET,
        "/student/guides/g-ob/scan-page-url",
        None,
    )
    .await;
    put(&app, scan["presignedUrl"].as_str().unwrap()).await;
    let scanned = ok(
        &app,
        STUDENT1,
        Method::POST,
        "/student/guides/g-ob/scan-page",
        Some(json!({"photoKey": scan["photoKey"]})),
    )
    .await;
    assert_eq!(scanned["matched"], 1, "{scanned}");
    // An ad-hoc problem, an UNCLASSIFIED attempt (LLM), a generation request.
    ok(
        &app,
        STUDENT1,
        Method::POST,
        "/attempts/solve-adhoc",
        Some(
            json!({"studentId": STUDENT_IDS[0], "problemLatex": "2x+3=7",
                    "studentFinalAnswer": "x=2", "gradeLevel": 8}),
        ),
    )
    .await;
    ok(
        &app,
        STUDENT1,
        Method::POST,
        "/attempts",
        Some(
            json!({"studentId": STUDENT_IDS[0], "topicCode": "NO-STRATEGY",
                    "rawSteps": [{"expression": "9", "isFinal": true}],
                    "expectedAnswer": 7, "studentAnswer": 9}),
        ),
    )
    .await;
    ok(
        &app,
        TEACHER,
        Method::POST,
        "/items/generate",
        Some(json!({"subdomainCode": "SUB", "gradeLevel": 3,
                    "targetErrorCodes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3"], "count": 2})),
    )
    .await;
    // The reprocess worker's own LLM message, for a wrong photo answer the rules cannot name.
    let graded = innova_app::grading::apply(
        app.api.app(),
        &serde_json::from_value(json!({"attempt_id": null, "guide_submission_id": sid,
            "guide_question_id": "g-ob-q2", "latex_steps": ["\\frac{1}{2}"],
            "provider": "claude-haiku", "confidence": 0.9,
            "alignment_summary": {"path": "MAIN", "first_error_checkpoint": 0, "score_0_1": 0.0},
            "trace_id": "t-reprocess"}))
        .unwrap(),
    )
    .await
    .unwrap();
    assert!(
        matches!(graded, innova_app::grading::Outcome::Graded { .. }),
        "{graded:?}"
    );

    let receipts = consumer.receipts();
    let queues: std::collections::BTreeSet<String> =
        receipts.iter().map(|r| r.queue.to_string()).collect();
    for expected in [
        QueueName::GuideIngest,
        QueueName::SolutionGen,
        QueueName::SubmissionGrade,
        QueueName::AdhocSolve,
        QueueName::LlmClassify,
        QueueName::ExerciseGenerate,
    ] {
        assert!(
            queues.contains(expected.suffix()),
            "no {expected} message: {queues:?}"
        );
    }
    let grades = receipts
        .iter()
        .filter(|r| r.queue == QueueName::SubmissionGrade)
        .count();
    assert_eq!(grades, 2, "complete and scan-page");
    let llm = receipts
        .iter()
        .filter(|r| r.queue == QueueName::LlmClassify)
        .count();
    assert_eq!(llm, 2, "the attempt's and the reprocess worker's");
    let missed: Vec<&Receipt> = receipts.iter().filter(|r| !r.found).collect();
    assert!(
        missed.is_empty(),
        "messages that arrived before their rows: {missed:#?}"
    );
    assert_eq!(
        app.count("innova.outbox").await,
        0,
        "everything published was settled"
    );
}

/// A queue that never answers: the process "dies" while publishing, after the commit.
struct Hanging;

#[async_trait]
impl Queue for Hanging {
    async fn send(&self, _: QueueName, _: String, _: Option<String>) -> Result<(), QueueError> {
        std::future::pending().await
    }

    async fn approximate_depth(&self, _: QueueName) -> Result<u64, QueueError> {
        Ok(0)
    }

    async fn dead_letter_depth(&self, _: QueueName) -> Result<Option<u64>, QueueError> {
        Ok(None)
    }
}

#[tokio::test]
async fn a_crash_between_the_commit_and_the_publish_loses_nothing() {
    let (app, consumer) = spawn_watched(&[]).await;
    let served = app.api.app().clone();
    // The same use case, run by a process whose publish never returns, then killed (its task
    // dropped) after the commit.
    let mut services = served.services.clone();
    services.queue = Arc::new(Hanging);
    let dying = innova_app::App::new(served.config.clone(), served.db.clone(), services);
    let problem = innova_app::attempts::AdhocProblem {
        student_id: STUDENT_IDS[0].into(),
        problem_latex: "2x+3=7".into(),
        student_steps: vec![],
        student_final_answer: "x=2".into(),
        course_id: None,
        grade_level: 8,
    };
    // Run as the system (the student's grant is not what this test is about).
    let permit = innova_app::authz::Permit::system();
    let run = innova_app::attempts::solve_adhoc(&dying, &permit, problem, "t-crash");
    let died = tokio::time::timeout(std::time::Duration::from_millis(500), run).await;
    assert!(died.is_err(), "the publish hung and the process died");
    // Committed, and its message kept.
    let attempt: String = sqlx::query_scalar("SELECT id FROM attempts WHERE trace_id = 't-crash'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(app.count("innova.outbox").await, 1);
    // The relay of a live process publishes it, and the consumer finds its row.
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (1, 0));
    let receipts = consumer.receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].queue, QueueName::AdhocSolve);
    assert_eq!(receipts[0].body["attempt_id"], json!(attempt));
    assert!(receipts[0].found);
    assert_eq!(app.count("innova.outbox").await, 0);
}

/// Messages a failed publish left behind are published by the relay in one batch and settled.
#[tokio::test]
async fn the_relay_settles_a_batch_in_one_transaction() {
    let (app, consumer) = spawn_watched(&[]).await;
    let before = app.count("innova.outbox").await;
    assert_eq!(before, 0);
    // Three messages left behind (as by failed publishes).
    for n in 0..3 {
        sqlx::query(
            "INSERT INTO innova.outbox (queue, body, next_attempt_at)
             VALUES ('exercise-generate-queue', $1, CURRENT_TIMESTAMP)",
        )
        .bind(
            json!({"subdomain_code": "SUB", "grade_level": 3, "target_error_codes": ["X"],
                     "count": n + 1, "trace_id": format!("t-{n}")})
            .to_string(),
        )
        .execute(app.pool())
        .await
        .unwrap();
    }
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (3, 0));
    assert_eq!(consumer.receipts().len(), 3);
    assert_eq!(app.count("innova.outbox").await, 0);
}
