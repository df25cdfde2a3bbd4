//! No attempt left PENDING: an attempt whose llm-classify publish failed (SQS unreachable
//! during `POST /attempts`) is found by the re-enqueue, published again, and classified by the
//! worker; the hourly schedule runs it (and skips it while the classifier is paused); a graded
//! photo answer comes back with the variant-B body.

#[path = "support/fake_claude.rs"]
mod fake_claude;

use std::sync::Arc;
use std::time::Duration;

use fake_claude::FakeClaude;
use innova_app::App;
use innova_app::attempts::{self, DigitalAttempt};
use innova_app::reenqueue;
use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::killswitch::{Killswitch, MemoryKillswitches};
use innova_core::messages::{LlmClassifyMessage, RawStep};
use innova_core::queue::SqsHandler;
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::{MongoTelemetry, TelemetryStore};
use innova_domain::rules::Operand;
use innova_testkit::TestDb;
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::services::{self, TestQueue};
use innova_workers::llm_classifier::LlmClassifierHandler;
use wiremock::MockServer;
use wiremock::matchers::method;

const BORROW: &str = "ARITH_SUB_BORROW_OMITTED_TENS_G3";

/// An App whose AWS calls go to `aws_endpoint`, with the llm-classify queue at `queue_url`.
fn app(db: &TestDb, aws_endpoint: &str, queue_url: &str, claude: &MockServer) -> App {
    let uri = claude.uri();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("AWS_ENDPOINT_URL", aws_endpoint),
        ("AWS_REGION", "us-east-1"),
        ("SQS_LLM_CLASSIFY_URL", queue_url),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", uri.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova-reenqueue-test"),
    ])
    .unwrap();
    let mut services = Services::for_runtime(&config, Runtime::Local);
    services.killswitches = Arc::new(MemoryKillswitches::default());
    App::new(Arc::new(config), db.pool.clone(), services)
}

async fn status(db: &TestDb, id: &str) -> (String, Option<String>) {
    sqlx::query_as(
        "SELECT a.status, t.code FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id
         WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn age(db: &TestDb, id: &str, interval: &str) {
    sqlx::query(&format!(
        "UPDATE attempts SET created_at = CURRENT_TIMESTAMP - interval '{interval}' WHERE id = $1"
    ))
    .bind(id)
    .execute(&db.pool)
    .await
    .unwrap();
}

fn unclassified() -> DigitalAttempt {
    DigitalAttempt {
        student_id: STUDENT_IDS[0].into(),
        topic_code: "SUB".into(),
        exercise_id: Some("seed-ex-sub-001".into()),
        course_id: Some(COURSE_ID.into()),
        raw_steps: vec![RawStep {
            expression: "53 - 26 = 10".into(),
            is_final: true,
        }],
        expected_answer: 27.0,
        student_answer: 10.0,
        minuend: Operand::Value(53.0),
        subtrahend: Operand::Value(26.0),
    }
}

struct Setup {
    db: TestDb,
    queue: TestQueue,
    claude: MockServer,
    store: Arc<MongoTelemetry>,
}

async fn setup() -> Setup {
    let db = innova_testkit::seeded_db().await;
    let queue = services::create_queue("llm-classify", false).await;
    let claude = MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(FakeClaude::answering(BORROW))
        .mount(&claude)
        .await;
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri));
    store.ensure_ready().await.unwrap();
    Setup {
        db,
        queue,
        claude,
        store,
    }
}

impl Setup {
    fn handler(&self, app: &App) -> LlmClassifierHandler {
        let settings = app.config.anthropic.clone().unwrap();
        LlmClassifierHandler::new(
            app.clone(),
            Arc::new(fake_claude::classifier(&settings)),
            self.store.clone(),
        )
    }
}

#[tokio::test]
async fn an_attempt_whose_publish_failed_is_picked_up_and_classified() {
    let s = setup().await;
    // SQS is down while the attempt is recorded (nothing listens on port 9): the attempt is
    // stored, its message is not.
    let down = app(&s.db, "http://127.0.0.1:9", &s.queue.url, &s.claude);
    let permit = innova_app::authz::Permit::system();
    let recorded = attempts::record(&down, &permit, unclassified(), "trace-lost")
        .await
        .unwrap();
    assert_eq!(status(&s.db, &recorded.attempt_id).await.0, "PENDING");
    assert!(
        services::receive_event(&s.queue).await.records.is_empty(),
        "nothing was queued"
    );

    let up = app(&s.db, &services::aws_endpoint(), &s.queue.url, &s.claude);
    // Too young for the default window: its message may still be on its way.
    let report = reenqueue::run(&up, reenqueue::DEFAULT_OLDER_THAN, 10)
        .await
        .unwrap();
    assert_eq!((report.found, report.enqueued), (0, 0));

    age(&s.db, &recorded.attempt_id, "2 hours").await;
    let report = reenqueue::run(&up, reenqueue::DEFAULT_OLDER_THAN, 10)
        .await
        .unwrap();
    assert_eq!(
        (
            report.found,
            report.enqueued,
            report.failed,
            report.older_than_minutes
        ),
        (1, 1, 0, 30)
    );
    assert_eq!(
        report.attempt_ids,
        std::slice::from_ref(&recorded.attempt_id)
    );

    let event = services::receive_event(&s.queue).await;
    assert_eq!(event.records.len(), 1);
    let body: LlmClassifyMessage =
        serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body.id, recorded.attempt_id);
    assert_eq!(
        (body.topic.as_deref(), body.subdomain_code.as_deref()),
        (Some("SUB"), Some("SUB"))
    );
    assert_eq!(
        (
            body.problem_statement.as_str(),
            body.canonical_solution.as_str(),
            body.final_answer.as_str()
        ),
        ("53 - 26 = ?", "27", "53 - 26 = 10")
    );

    let response = s.handler(&up).handle(event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        status(&s.db, &recorded.attempt_id).await,
        ("CLASSIFIED".into(), Some(BORROW.into()))
    );
    // Classified: the next run finds nothing.
    let report = reenqueue::run(&up, Duration::ZERO, 10).await.unwrap();
    assert_eq!(report.found, 0);
    s.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn the_hourly_schedule_reenqueues_unless_the_classifier_is_paused() {
    let s = setup().await;
    let app = app(&s.db, &services::aws_endpoint(), &s.queue.url, &s.claude);
    // A graded photo answer whose message went to the DLQ long ago: variant B comes back.
    let guide = GuideFixture::new("g-1", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-1", 1, "52 - 17")
                .topic("SUB")
                .answer("35"),
        );
    guide.insert(&s.db.pool).await;
    SubmissionFixture::new("s-1", &guide, "q-1", STUDENT_IDS[0])
        .status("GRADED")
        .insert(&s.db.pool)
        .await;
    sqlx::raw_sql(&format!(
        "INSERT INTO attempts (id, student_id, course_id, is_correct, classifier_source, input_mode,
                               status, trace_id, created_at, updated_at)
         VALUES ('photo-1', '{student}', '{COURSE_ID}', false, 'LLM', 'PHOTO_GUIDE', 'PENDING',
                 'trace-photo', CURRENT_TIMESTAMP - interval '3 hours', CURRENT_TIMESTAMP);
         INSERT INTO attempt_steps (id, attempt_id, step_index, content_latex, is_correct)
         VALUES ('st-0', 'photo-1', 0, '52 - 17', NULL), ('st-1', 'photo-1', 1, '45', false);
         UPDATE guide_submissions SET attempt_id = 'photo-1' WHERE id = 's-1';",
        student = STUDENT_IDS[0]
    ))
    .execute(&s.db.pool)
    .await
    .unwrap();

    app.services
        .killswitches
        .set_paused(Killswitch::Classifier, true)
        .await
        .unwrap();
    // The alert cycle still runs; the re-enqueue waits for the classifier.
    assert!(
        innova_workers::alert_generator::run_scheduled(&app)
            .await
            .unwrap()
            .is_some()
    );
    assert!(services::receive_event(&s.queue).await.records.is_empty());

    app.services
        .killswitches
        .set_paused(Killswitch::Classifier, false)
        .await
        .unwrap();
    innova_workers::alert_generator::run_scheduled(&app)
        .await
        .unwrap();
    let event = services::receive_event(&s.queue).await;
    assert_eq!(event.records.len(), 1);
    let body: LlmClassifyMessage =
        serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body.id, "photo-1");
    assert_eq!(
        (
            body.problem_statement.as_str(),
            body.canonical_solution.as_str(),
            body.final_answer.as_str()
        ),
        ("52 - 17", "35", "45")
    );
    assert_eq!(body.raw_steps.iter().filter(|s| s.is_final).count(), 1);

    assert!(
        s.handler(&app)
            .handle(event)
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(status(&s.db, "photo-1").await.0, "CLASSIFIED");
    s.store.database().await.unwrap().drop().await.unwrap();
}
