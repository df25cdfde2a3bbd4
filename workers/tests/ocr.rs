//! The OCR worker end to end: a photo put into the OCR uploads bucket (moto S3), the event S3
//! sends for it, a Gemini fake (wiremock) → the attempt-reprocess message of §3.4 received from
//! moto SQS, an `ocr_jobs` document in FerretDB, a cost event priced in USD; a redelivered event
//! does nothing more. Uploads that cannot be read end in failed jobs, nothing published; the
//! OCR killswitch stops the worker before Gemini is called. Locally, a photo stored in the local
//! bucket reaches the worker in-process.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::s3::S3Event;
use innova_app::App;
use innova_app::ocr_uploads::Outcome;
use innova_core::aws::Aws;
use innova_core::config::Config;
use innova_core::db::seed;
use innova_core::killswitch::{Killswitch, Killswitches, MemoryKillswitches};
use innova_core::objects::Bucket;
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::{MongoTelemetry, OcrJobStatus, TelemetryStore};
use innova_testkit::services::{self, TestQueue, required_env, unique};
use innova_workers::ocr::OcrHandler;
use mongodb::bson::{Document, doc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEMINI_PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

/// The smallest thing that starts like a JPEG (the fake never decodes it).
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend_from_slice(b"JFIF\0 a worksheet photo");
    bytes
}

/// Gemini's `generateContent` answer carrying `exercises`, with its usage.
fn gemini_answer(exercises: Value) -> ResponseTemplate {
    let text = json!({ "exercises": exercises }).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 200, "thoughtsTokenCount": 300}
    }))
}

fn two_exercises() -> Value {
    json!([
        {"problem": "52 - 17 = ?", "latex_steps": ["52 - 17", "35"], "final_answer": "35",
         "overall_confidence": 0.9, "topic_hint": "resta"},
        {"problem": "3 + 4 = ?", "latex_steps": ["7"], "final_answer": "7",
         "overall_confidence": 0.5, "topic_hint": null}
    ])
}

/// What S3 sends to the function for a new object (keys form-encoded).
fn s3_event(bucket: &str, key: &str, size: usize) -> S3Event {
    serde_json::from_value(json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-02T19:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "ocrWorker-trigger",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": key.replace(' ', "+"), "size": size, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                          "sequencer": "0055AED6DCD90281E5"}}
    }]}))
    .unwrap()
}

struct Fixture {
    db: innova_testkit::TestDb,
    app: App,
    store: Arc<MongoTelemetry>,
    reprocess: TestQueue,
    bucket: String,
    s3: aws_sdk_s3::Client,
    gemini: MockServer,
    switches: Arc<MemoryKillswitches>,
}

async fn fixture() -> Fixture {
    required_env("INNOVA_TEST_MONGODB_URI");
    let db = innova_testkit::seeded_db().await;
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri.clone()));
    store.ensure_ready().await.unwrap();
    let reprocess = services::create_queue("attempt-reprocess", false).await;
    let bucket = unique("ocr-uploads").replace('_', "-");
    let s3 = Aws::new(services::aws_settings()).s3().await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let gemini = MockServer::start().await;
    let endpoint = services::aws_endpoint();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("S3_OCR_UPLOADS_BUCKET", bucket.as_str()),
        ("SQS_ATTEMPT_REPROCESS_URL", reprocess.url.as_str()),
        ("GEMINI_API_KEY", "AIza-test-key"),
        ("GEMINI_BASE_URL", gemini.uri().as_str()),
        ("MONGODB_URI", uri.as_str()),
    ])
    .unwrap();
    let mut services = Services::for_runtime(&config, Runtime::Local);
    // The test's own switches: moto's SSM parameters are shared by the tests running at once.
    let switches = Arc::new(MemoryKillswitches::default());
    services.killswitches = switches.clone();
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    Fixture {
        db,
        app,
        store,
        reprocess,
        bucket,
        s3,
        gemini,
        switches,
    }
}

impl Fixture {
    fn handler(&self) -> OcrHandler {
        OcrHandler::new(
            self.app.clone(),
            self.app.services.ocr.clone().expect("Gemini is configured"),
            self.store.clone(),
        )
    }

    /// An attempt of `student` with its trace id.
    async fn attempt(&self, student: &str) -> String {
        let id = unique("attempt");
        sqlx::query(
            "INSERT INTO attempts (id, student_id, course_id, is_correct, trace_id, updated_at) \
             VALUES ($1, $2, $3, false, $4, CURRENT_TIMESTAMP)",
        )
        .bind(&id)
        .bind(student)
        .bind(seed::COURSE_ID)
        .bind(format!("trace-{id}"))
        .execute(&self.db.pool)
        .await
        .unwrap();
        id
    }

    /// Puts the object into moto and returns the event S3 sends for it.
    async fn upload(&self, key: &str, bytes: Vec<u8>) -> S3Event {
        let size = bytes.len();
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .unwrap();
        s3_event(&self.bucket, key, size)
    }

    async fn messages(&self) -> Vec<Value> {
        services::receive_event(&self.reprocess)
            .await
            .records
            .iter()
            .map(|r| serde_json::from_str(r.body.as_deref().unwrap()).unwrap())
            .collect()
    }

    async fn jobs(&self, key: &str) -> Vec<Document> {
        use futures::TryStreamExt;
        let db = self.store.database().await.unwrap();
        db.collection::<Document>("ocr_jobs")
            .find(doc! {"upload_id": key})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    async fn cost_events(&self, trace: &str) -> Vec<(String, String, i32, i32, f64)> {
        sqlx::query_as(
            "SELECT worker, model, input_tokens, output_tokens, cost_usd FROM cost_events WHERE trace_id = $1",
        )
        .bind(trace)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn a_photo_becomes_an_attempt_reprocess_message_a_job_and_a_cost_once() {
    let f = fixture().await;
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(two_exercises()))
        .expect(1)
        .mount(&f.gemini)
        .await;
    let attempt = f.attempt(seed::STUDENT_IDS[0]).await;
    let key = format!("uploads/{}/{attempt}.jpg", seed::STUDENT_IDS[0]);
    let event = f.upload(&key, jpeg()).await;

    let outcomes = f.handler().handle(event.clone()).await.unwrap();
    assert!(
        matches!(&outcomes[..], [Outcome::Transcribed { steps: 2, .. }]),
        "{outcomes:?}"
    );

    // §3.4: the attempt, the first exercise's steps, the model, its confidence, the attempt's
    // trace; no guide_submission_id (the legacy path).
    let messages = f.messages().await;
    assert_eq!(
        messages,
        [
            json!({"attempt_id": attempt, "latex_steps": ["52 - 17", "35"],
                "provider": "gemini-2.5-flash", "confidence": 0.9,
                "trace_id": format!("trace-{attempt}")})
        ]
    );

    // 1000 input tokens at 0.30 USD/M + (200 + 300 thinking) output at 2.50 USD/M.
    let expected_usd = 1000.0 * 0.30 / 1e6 + 500.0 * 2.50 / 1e6;
    let costs = f.cost_events(&format!("trace-{attempt}")).await;
    assert_eq!(costs.len(), 1, "{costs:?}");
    let (worker, model, input, output, usd) = costs[0].clone();
    assert_eq!(
        (worker.as_str(), model.as_str(), input, output),
        ("ocr-worker", "gemini-2.5-flash", 1000, 500)
    );
    assert!((usd - expected_usd).abs() < 1e-12, "{usd}");

    let jobs = f.jobs(&key).await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.get_str("status").unwrap(), "completed");
    assert_eq!(job.get_str("student_id").unwrap(), seed::STUDENT_IDS[0]);
    assert_eq!(job.get_str("attempt_id").unwrap(), attempt);
    assert_eq!(job.get_str("s3_key").unwrap(), key);
    assert_eq!(job.get_str("trace_id").unwrap(), format!("trace-{attempt}"));
    assert_eq!(job.get_str("primary_provider").unwrap(), "gemini");
    assert!((job.get_f64("cost_estimated_usd").unwrap() - expected_usd).abs() < 1e-12);
    let result = job.get_document("ocr_result").unwrap();
    assert_eq!(result.get_str("final_answer").unwrap(), "35");
    assert_eq!(result.get_array("steps").unwrap().len(), 2);
    assert!(job.get_datetime("completed_at").is_ok());
    assert!(job.get_datetime("s3_purge_at").is_ok());

    // S3 delivers at least once: the same event again changes nothing and calls nobody.
    let again = f.handler().handle(event).await.unwrap();
    assert_eq!(again, [Outcome::AlreadyDone]);
    assert!(f.messages().await.is_empty(), "no second message");
    assert_eq!(f.cost_events(&format!("trace-{attempt}")).await.len(), 1);
    assert_eq!(f.jobs(&key).await.len(), 1);
}

#[tokio::test]
async fn uploads_that_cannot_be_read_end_in_failed_jobs_and_publish_nothing() {
    let f = fixture().await;
    // Only the photo with nothing readable reaches Gemini.
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(json!([])))
        .expect(1)
        .mount(&f.gemini)
        .await;
    let student = seed::STUDENT_IDS[0];
    let mine = f.attempt(student).await;
    let other = f.attempt(seed::STUDENT_IDS[1]).await;
    let cases = [
        (
            format!("uploads/{student}/{mine}.jpg"),
            b"hello, I am text".to_vec(),
            "not a JPEG or PNG",
        ),
        (
            format!("uploads/{student}/{other}.jpg"),
            jpeg(),
            "is not an attempt of student",
        ),
        (
            format!("uploads/{student}/missing-attempt.png"),
            jpeg(),
            "does not exist",
        ),
        (
            format!("notes/{student}/{mine}.txt"),
            jpeg(),
            "expected uploads/<studentId>/<attemptId>",
        ),
        (
            format!("uploads/{student}/{mine}.jpeg"),
            jpeg(),
            "no readable exercise",
        ),
    ];
    for (key, bytes, reason) in cases {
        let event = f.upload(&key, bytes).await;
        let outcomes = f.handler().handle(event).await.expect("not retried");
        assert!(
            matches!(&outcomes[..], [Outcome::Failed(why)] if why.contains(reason)),
            "{key}: {outcomes:?}"
        );
        let jobs = f.jobs(&key).await;
        assert_eq!(jobs.len(), 1, "{key}");
        assert_eq!(jobs[0].get_str("status").unwrap(), "failed");
        assert!(
            jobs[0].get_str("error_message").unwrap().contains(reason),
            "{key}: {:?}",
            jobs[0]
        );
    }
    assert!(f.messages().await.is_empty(), "nothing published");
    // The unreadable photo was still paid for.
    assert_eq!(f.cost_events(&format!("trace-{mine}")).await.len(), 1);
}

#[tokio::test]
async fn paused_ocr_fails_the_event_without_calling_gemini_until_resumed() {
    let f = fixture().await;
    let attempt = f.attempt(seed::STUDENT_IDS[0]).await;
    let key = format!("uploads/{}/{attempt}.png", seed::STUDENT_IDS[0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"\0\0\0\rIHDR");
    let event = f.upload(&key, png).await;
    f.switches.set_paused(Killswitch::Ocr, true).await.unwrap();
    {
        let _no_call = Mock::given(method("POST"))
            .respond_with(gemini_answer(two_exercises()))
            .expect(0)
            .mount_as_scoped(&f.gemini)
            .await;
        let err = f.handler().handle(event.clone()).await.unwrap_err();
        assert!(err.to_string().contains("/innova/ocr/paused"), "{err}");
        assert_eq!(err.failed, 1);
    }
    assert!(
        f.jobs(&key).await.is_empty(),
        "nothing recorded while paused"
    );
    assert!(f.messages().await.is_empty());

    // Lambda's retry after the switch is flipped back does the work.
    f.switches.set_paused(Killswitch::Ocr, false).await.unwrap();
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(two_exercises()))
        .expect(1)
        .mount(&f.gemini)
        .await;
    f.handler().handle(event).await.unwrap();
    assert_eq!(f.messages().await.len(), 1);
    assert_eq!(
        f.jobs(&key).await[0].get_str("status").unwrap(),
        "completed"
    );
}

/// Local mode: the composition root's wiring (`register_embedded`) runs the worker for each
/// photo the local object store stores in the OCR uploads bucket.
#[tokio::test]
async fn locally_a_stored_photo_reaches_the_worker_in_process() {
    let db = innova_testkit::seeded_db().await;
    let reprocess = services::create_queue("attempt-reprocess", false).await;
    let gemini = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(two_exercises()))
        .expect(1)
        .mount(&gemini)
        .await;
    let dir = std::env::temp_dir().join(unique("innova-ocr-local"));
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", dir.to_str().unwrap()),
        ("SQS_ATTEMPT_REPROCESS_URL", reprocess.url.as_str()),
        ("AWS_ENDPOINT_URL", services::aws_endpoint().as_str()),
        ("GEMINI_API_KEY", "AIza-test-key"),
        ("GEMINI_BASE_URL", gemini.uri().as_str()),
    ])
    .unwrap();
    let mut services = Services::for_runtime(&config, Runtime::Local);
    services.killswitches = Arc::new(MemoryKillswitches::default());
    innova_workers::register_embedded(&config, &services, &db.pool);

    let attempt = unique("attempt");
    sqlx::query(
        "INSERT INTO attempts (id, student_id, is_correct, trace_id, updated_at) \
         VALUES ($1, $2, false, 'trace-local', CURRENT_TIMESTAMP)",
    )
    .bind(&attempt)
    .bind(seed::STUDENT_IDS[0])
    .execute(&db.pool)
    .await
    .unwrap();
    let key = format!("uploads/{}/{attempt}.jpg", seed::STUDENT_IDS[0]);
    services
        .objects
        .put(Bucket::OcrUploads, &key, jpeg().into(), Some("image/jpeg"))
        .await
        .unwrap();

    let mut received = Vec::new();
    for _ in 0..20 {
        received = services::receive_event(&reprocess).await.records;
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(received.len(), 1, "the local worker published");
    let body: Value = serde_json::from_str(received[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["attempt_id"], json!(attempt));
    assert_eq!(body["trace_id"], "trace-local");
    // The job document is written once the message is out: wait for the worker to finish.
    let store = innova_core::telemetry::from_config(&config, Runtime::Local);
    services.wait_idle().await;
    let mut job = None;
    for _ in 0..100 {
        job = store.ocr_job(&key).await.unwrap();
        if job.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(job.expect("a job document").status, OcrJobStatus::Completed);
    let _ = std::fs::remove_dir_all(dir);
}

/// Without a Gemini key the local worker is not started (the work waits in the bucket).
#[tokio::test]
async fn locally_without_a_gemini_key_the_worker_is_not_started() {
    let dir = std::env::temp_dir().join(unique("innova-ocr-nokey"));
    let config = Config::from_vars([
        ("DATABASE_URL", "postgres://u@localhost/db"),
        ("INNOVA_DATA_DIR", dir.to_str().unwrap()),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let pool = sqlx::PgPool::connect_lazy("postgres://u@localhost/db").unwrap();
    assert!(!innova_workers::ocr::register_local(
        &config, &services, &pool
    ));
}

/// The legacy photo path end to end: a photo of an attempt waiting for it (`PENDING_OCR`) →
/// the OCR worker → its §3.4 message on the attempt-reprocess queue → the reprocess worker →
/// the attempt judged from the transcription, its steps replaced, one mastery step.
#[tokio::test]
async fn a_transcribed_photo_is_graded_by_the_reprocess_worker() {
    use innova_core::queue::SqsHandler;
    use innova_workers::attempt_reprocess::AttemptReprocessHandler;

    let f = fixture().await;
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(json!([
            {"problem": "53 - 26 = ?", "latex_steps": ["53 - 26", "27"], "final_answer": "27",
             "overall_confidence": 0.85, "topic_hint": "resta"}
        ])))
        .expect(1)
        .mount(&f.gemini)
        .await;
    let student = seed::STUDENT_IDS[0];
    let attempt = unique("attempt");
    sqlx::query(
        "INSERT INTO attempts (id, student_id, exercise_id, course_id, is_correct, classifier_source,
                               input_mode, status, trace_id, updated_at)
         VALUES ($1, $2, 'seed-ex-sub-001', $3, false, 'RULE', 'PHOTO_OCR', 'PENDING_OCR',
                 $4, CURRENT_TIMESTAMP)",
    )
    .bind(&attempt)
    .bind(student)
    .bind(seed::COURSE_ID)
    .bind(format!("trace-{attempt}"))
    .execute(&f.db.pool)
    .await
    .unwrap();
    let mastery_steps = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT coalesce(sum(m.attempts_count), 0)::bigint FROM student_topic_mastery m
             JOIN exercises e ON e.topic_id = m.topic_id
             WHERE m.student_id = $1 AND e.id = 'seed-ex-sub-001'",
        )
        .bind(student)
        .fetch_one(&f.db.pool)
        .await
        .unwrap()
    };
    let before = mastery_steps().await;

    let key = format!("uploads/{student}/{attempt}.jpg");
    let event = f.upload(&key, jpeg()).await;
    let outcomes = f.handler().handle(event).await.unwrap();
    assert!(
        matches!(&outcomes[..], [Outcome::Transcribed { steps: 2, .. }]),
        "{outcomes:?}"
    );

    let delivered = services::receive_event(&f.reprocess).await;
    assert_eq!(delivered.records.len(), 1);
    let response = AttemptReprocessHandler::new(f.app.clone())
        .handle(delivered)
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let (status, is_correct, provider, confidence, answer): (
        String,
        bool,
        Option<String>,
        Option<f64>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT status::text, is_correct, ocr_provider, ocr_confidence, final_answer
             FROM attempts WHERE id = $1",
    )
    .bind(&attempt)
    .fetch_one(&f.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            status.as_str(),
            is_correct,
            provider.as_deref(),
            answer.as_deref()
        ),
        ("CLASSIFIED", true, Some("gemini-2.5-flash"), Some("27"))
    );
    assert_eq!(confidence, Some(0.85));
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT content_latex FROM attempt_steps WHERE attempt_id = $1 ORDER BY step_index",
    )
    .bind(&attempt)
    .fetch_all(&f.db.pool)
    .await
    .unwrap();
    assert_eq!(steps, ["53 - 26", "27"]);
    assert_eq!(mastery_steps().await, before + 1, "one BKT step");
}
