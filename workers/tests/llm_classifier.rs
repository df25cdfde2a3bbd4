//! The LLM classifier end to end: an UNCLASSIFIED attempt recorded by the use case the API
//! calls → its llm-classify message in moto SQS → received as Lambda would deliver it → the
//! worker, calling a wiremock fake of Claude → the attempt CLASSIFIED, a cost event with the
//! call's USD, a job document in FerretDB. Then what goes wrong: a 429, an invented code, the
//! killswitch, redelivery, malformed records, a model answering UNCLASSIFIED, no catalog; and
//! the local process, where the worker runs in-process only with a key.

#[path = "support/fake_claude.rs"]
mod fake_claude;

use innova_app::authz::Permit;
use std::sync::Arc;

use fake_claude::{CALL_USD, FakeClaude};
use innova_app::App;
use innova_app::attempts::{self, DigitalAttempt};
use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
use innova_core::killswitch::{Killswitch, MemoryKillswitches};
use innova_core::messages::{LlmClassifyMessage, RawStep};
use innova_core::queue::{QueueName, SqsEvent, SqsHandler, SqsMessage};
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::{MongoTelemetry, TelemetryStore};
use innova_domain::rules::Operand;
use innova_testkit::TestDb;
use innova_testkit::services::{self, TestQueue, required_env};
use innova_workers::llm_classifier::LlmClassifierHandler;
use mongodb::bson::{Document, doc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BORROW: &str = "ARITH_SUB_BORROW_OMITTED_TENS_G3";

struct Fixture {
    db: TestDb,
    app: App,
    store: Arc<MongoTelemetry>,
    queue: TestQueue,
    claude: MockServer,
}

/// A seeded database, the llm-classify queue in moto, a fresh FerretDB database, the fake,
/// and in-memory killswitches (moto's SSM is shared by every test running at once).
async fn fixture() -> Fixture {
    required_env("INNOVA_TEST_MONGODB_URI");
    let db = innova_testkit::seeded_db().await;
    let queue = services::create_queue("llm-classify", false).await;
    let claude = MockServer::start().await;
    let endpoint = services::aws_endpoint();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("SQS_LLM_CLASSIFY_URL", queue.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", claude.uri().as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova-llm-test"),
    ])
    .unwrap();
    let mut services = Services::for_runtime(&config, Runtime::Local);
    services.killswitches = Arc::new(MemoryKillswitches::default());
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri));
    store.ensure_ready().await.unwrap();
    Fixture {
        db,
        app,
        store,
        queue,
        claude,
    }
}

impl Fixture {
    fn handler(&self) -> LlmClassifierHandler {
        let settings = self.app.config.anthropic.clone().unwrap();
        LlmClassifierHandler::new(
            self.app.clone(),
            Arc::new(fake_claude::classifier(&settings)),
            self.store.clone(),
        )
    }

    async fn answer_with(&self, fake: FakeClaude) {
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(fake)
            .mount(&self.claude)
            .await;
    }

    /// `53 - 26 = 10` on topic SUB: a wrong answer no rule explains.
    async fn record_unclassified(&self, trace_id: &str) -> String {
        let recorded = attempts::record(
            &self.app,
            &Permit::system(),
            unclassified_attempt(),
            trace_id,
        )
        .await
        .unwrap();
        assert_eq!(recorded.error_tag_code, "UNCLASSIFIED");
        recorded.attempt_id.into_string()
    }

    async fn receive(&self) -> SqsEvent {
        services::receive_event(&self.queue).await
    }

    /// (status, classifier_source, error tag code, confidence)
    async fn attempt(&self, id: &str) -> (String, String, Option<String>, Option<f64>) {
        sqlx::query_as(
            "SELECT a.status, a.classifier_source, t.code, a.confidence
             FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_one(&self.db.pool)
        .await
        .unwrap()
    }

    /// (worker, model, input, output, cache write, cache read, usd, trace id) of every cost event.
    async fn cost_events(&self) -> Vec<(String, String, i32, i32, i32, i32, f64, String)> {
        sqlx::query_as(
            "SELECT worker, model, input_tokens, output_tokens, cache_creation_input_tokens,
                    cache_read_input_tokens, cost_usd, trace_id
             FROM cost_events ORDER BY created_at",
        )
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    async fn jobs(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        let db = self.store.database().await.unwrap();
        db.collection::<Document>("llm_classification_jobs")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    async fn calls(&self) -> Vec<Value> {
        self.claude
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| r.body_json().unwrap())
            .collect()
    }
}

fn unclassified_attempt() -> DigitalAttempt {
    DigitalAttempt {
        student_id: STUDENT_IDS[0].into(),
        topic_code: "SUB".into(),
        exercise_id: None,
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

fn failed_ids(response: &innova_core::queue::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn an_unclassified_attempt_is_classified_by_claude_and_its_call_costed() {
    let f = fixture().await;
    f.answer_with(FakeClaude::answering(BORROW)).await;
    let attempt_id = f.record_unclassified("trace-story").await;
    let event = f.receive().await;
    assert_eq!(event.records.len(), 1, "the llm-classify message arrives");

    let response = f.handler().handle(event.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let (status, source, code, confidence) = f.attempt(&attempt_id).await;
    assert_eq!(
        (
            status.as_str(),
            source.as_str(),
            code.as_deref(),
            confidence
        ),
        ("CLASSIFIED", "LLM", Some(BORROW), Some(0.87))
    );
    let classified_at: Option<chrono::NaiveDateTime> =
        sqlx::query_scalar("SELECT classified_at FROM attempts WHERE id = $1")
            .bind(&attempt_id)
            .fetch_one(&f.db.pool)
            .await
            .unwrap();
    assert!(classified_at.is_some());

    let costs = f.cost_events().await;
    assert_eq!(costs.len(), 1);
    let (worker, model, input, output, write, read, usd, trace) = &costs[0];
    assert_eq!(
        (
            worker.as_str(),
            model.as_str(),
            *input,
            *output,
            *write,
            *read,
            trace.as_str()
        ),
        (
            "llm-classifier",
            "claude-haiku-4-5-20251001",
            1200,
            80,
            3000,
            500,
            "trace-story"
        )
    );
    assert!(
        (usd - 0.0054).abs() < 1e-12 && (usd - CALL_USD).abs() < 1e-12,
        "{usd}"
    );

    let jobs = f.jobs().await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.get_str("status").unwrap(), "completed");
    assert_eq!(job.get_str("trace_id").unwrap(), "trace-story");
    assert_eq!(job.get_str("model").unwrap(), "claude-haiku-4-5-20251001");
    assert_eq!(
        job.get_array("attempt_ids").unwrap()[0].as_str(),
        Some(attempt_id.as_str())
    );
    assert!((job.get_f64("cost_estimated_usd").unwrap() - 0.0054).abs() < 1e-12);
    let meta = job.get_document("request_meta").unwrap();
    assert!(meta.get_bool("cache_hit").unwrap());
    assert_eq!(meta.get_i64("cached_tokens").unwrap(), 500);
    assert_eq!(
        meta.get_document("tool_choice")
            .unwrap()
            .get_str("type")
            .unwrap(),
        "tool"
    );
    let verdict = job
        .get_document("response_meta")
        .unwrap()
        .get_array("classifications")
        .unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(verdict.get_str("error_type").unwrap(), BORROW);
    assert!(job.get_datetime("completed_at").is_ok());

    // What Claude was asked: the forced tool, the subdomain's ACTIVE codes as an enum, the
    // catalog block cached.
    let calls = f.calls().await;
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "tool", "name": "classify_errors_batch"})
    );
    let codes: Vec<&str> = sent["tools"][0]["input_schema"]["properties"]["classifications"]["items"]
        ["properties"]["errorTagCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(codes.contains(&BORROW) && codes.contains(&"ARITH_TRANSV_FACT_ERROR"));
    assert_eq!(codes.last(), Some(&"UNCLASSIFIED"));
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("ARITH_ADD_") || c.starts_with("FRACT_"))
    );
    assert_eq!(
        sent["system"].as_array().unwrap().last().unwrap()["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert_eq!(
        fake_claude::attempt_ids(sent),
        std::slice::from_ref(&attempt_id)
    );

    // Redelivered (a visibility timeout, a retried batch): skipped before any call, no second
    // cost event.
    let response = f.handler().handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(f.calls().await.len(), 1, "no second call");
    assert_eq!(f.cost_events().await.len(), 1, "no second cost event");
    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn a_rate_limited_call_is_retried_once_and_succeeds() {
    let f = fixture().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}})),
        )
        .up_to_n_times(1)
        .mount(&f.claude)
        .await;
    f.answer_with(FakeClaude::answering(BORROW)).await;
    let attempt_id = f.record_unclassified("trace-429").await;

    let response = f.handler().handle(f.receive().await).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(f.calls().await.len(), 2, "one retry");
    assert_eq!(f.attempt(&attempt_id).await.0, "CLASSIFIED");
    let jobs = f.jobs().await;
    assert_eq!(jobs[0].get_i32("retries").unwrap(), 1);
    assert_eq!(f.cost_events().await.len(), 1);
    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn an_invented_code_fails_its_record_and_leaves_the_attempt_pending() {
    let f = fixture().await;
    let good = f.record_unclassified("trace-good").await;
    let bad = f.record_unclassified("trace-bad").await;
    // A real code, but of another subdomain: not in the allowed set either.
    f.answer_with(FakeClaude::answering(BORROW).except(&bad, "ARITH_ADD_CARRY_OMITTED_G3"))
        .await;
    let mut event = f.receive().await;
    assert_eq!(event.records.len(), 2);
    let bad_message = event
        .records
        .iter()
        .find(|r| r.body.as_deref().unwrap().contains(&bad))
        .and_then(|r| r.message_id.clone())
        .unwrap();
    // And a record that is not an llm-classify message at all.
    let mut junk = SqsMessage::default();
    junk.message_id = Some("junk-1".into());
    junk.body = Some(r#"{"attempt": "x"}"#.into());
    event.records.push(junk);

    let response = f.handler().handle(event).await;
    let mut failed = failed_ids(&response);
    failed.sort();
    let mut expected = vec![bad_message.as_str(), "junk-1"];
    expected.sort();
    assert_eq!(failed, expected);
    assert_eq!(f.attempt(&bad).await.0, "PENDING");
    assert_eq!(
        f.attempt(&bad).await.2.as_deref(),
        Some("UNCLASSIFIED"),
        "unchanged"
    );
    assert_eq!(f.attempt(&good).await.2.as_deref(), Some(BORROW));
    assert_eq!(f.calls().await.len(), 1, "both attempts in one call");
    // The call was paid once: one cost event, with the trace of the call's first attempt.
    let costs = f.cost_events().await;
    assert_eq!(costs.len(), 1);
    assert_eq!(costs[0].7, "trace-good");
    let jobs = f.jobs().await;
    let message = jobs[0].get_str("error_message").unwrap();
    assert!(
        message.contains(&bad) && message.contains("ARITH_ADD_CARRY_OMITTED_G3"),
        "{message}"
    );
    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn a_paused_classifier_returns_the_batch_without_calling_claude() {
    let f = fixture().await;
    f.answer_with(FakeClaude::answering(BORROW)).await;
    let attempt_id = f.record_unclassified("trace-paused").await;
    f.app
        .services
        .killswitches
        .set_paused(Killswitch::Classifier, true)
        .await
        .unwrap();
    let event = f.receive().await;
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect();

    let response = f.handler().handle(event.clone()).await;
    assert_eq!(failed_ids(&response), ids);
    assert!(f.calls().await.is_empty(), "no call while paused");
    assert_eq!(f.attempt(&attempt_id).await.0, "PENDING");
    assert!(f.cost_events().await.is_empty());

    // Resumed: the message, back from the queue, is classified.
    f.app
        .services
        .killswitches
        .set_paused(Killswitch::Classifier, false)
        .await
        .unwrap();
    assert!(
        f.handler()
            .handle(event)
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(f.attempt(&attempt_id).await.0, "CLASSIFIED");
    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn unclassified_from_claude_is_a_verdict_and_no_catalog_needs_no_call() {
    let f = fixture().await;
    f.answer_with(FakeClaude::answering("UNCLASSIFIED")).await;
    let attempt_id = f.record_unclassified("trace-unclassified").await;
    let response = f.handler().handle(f.receive().await).await;
    assert!(response.batch_item_failures.is_empty());
    let (status, source, code, confidence) = f.attempt(&attempt_id).await;
    assert_eq!(
        (
            status.as_str(),
            source.as_str(),
            code.as_deref(),
            confidence
        ),
        ("CLASSIFIED", "LLM", Some("UNCLASSIFIED"), Some(0.87)),
        "classified, so the re-enqueue does not send it forever"
    );

    // A message with neither domain nor subdomain: nothing to choose from, no call.
    let orphan = f.record_unclassified("trace-orphan").await;
    f.receive().await;
    let message = LlmClassifyMessage {
        id: orphan.clone().into(),
        topic: None,
        domain_id: None,
        subdomain_code: None,
        problem_statement: "?".into(),
        canonical_solution: String::new(),
        raw_steps: vec![],
        final_answer: "10".into(),
        student_id: STUDENT_IDS[0].into(),
    };
    let mut record = SqsMessage::default();
    record.message_id = Some("m-orphan".into());
    record.body = Some(serde_json::to_string(&message).unwrap());
    let mut event = SqsEvent::default();
    event.records.push(record);
    assert!(
        f.handler()
            .handle(event)
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(f.calls().await.len(), 1, "no call without a catalog");
    let (status, _, code, confidence) = f.attempt(&orphan).await;
    assert_eq!(
        (status.as_str(), code.as_deref(), confidence),
        ("CLASSIFIED", Some("UNCLASSIFIED"), Some(0.0))
    );
    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn locally_the_classifier_consumes_its_embedded_queue_only_with_a_key() {
    let db = innova_testkit::seeded_db().await;
    let claude = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FakeClaude::answering(BORROW))
        .mount(&claude)
        .await;
    let data_dir = std::env::temp_dir().join(format!("innova-llm-{}", uuid::Uuid::new_v4()));
    let dir = data_dir.to_str().unwrap().to_string();
    let base = [
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", dir.as_str()),
    ];

    // Without a key: not started, the message waits in the queue, the status page says so.
    let config = Config::from_vars(base).unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let registered = innova_workers::register_embedded(&config, &services, &db.pool);
    assert!(!registered.contains(&QueueName::LlmClassify));
    let app = App::new(Arc::new(config), db.pool.clone(), services.clone());
    let warning = innova_app::classify::local_consumer_missing(&app).unwrap();
    assert!(warning.contains("ANTHROPIC_API_KEY"), "{warning}");
    let waiting = attempts::record(
        &app,
        &Permit::system(),
        unclassified_attempt(),
        "trace-no-key",
    )
    .await
    .unwrap();
    let queued = services
        .embedded_queue()
        .unwrap()
        .unconsumed(QueueName::LlmClassify);
    assert_eq!(queued.len(), 1);
    assert!(queued[0].body.contains(waiting.attempt_id.as_str()));
    assert_eq!(
        sqlx::query_scalar::<_, String>("SELECT status FROM attempts WHERE id = $1")
            .bind(&waiting.attempt_id)
            .fetch_one(&db.pool)
            .await
            .unwrap(),
        "PENDING"
    );

    // With a key: the worker runs in-process on the embedded queue.
    let uri = claude.uri();
    let mut vars = base.to_vec();
    vars.extend([
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", uri.as_str()),
    ]);
    let config = Config::from_vars(vars).unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let registered = innova_workers::register_embedded(&config, &services, &db.pool);
    assert!(registered.contains(&QueueName::LlmClassify));
    let app = App::new(Arc::new(config), db.pool.clone(), services.clone());
    assert!(innova_app::classify::local_consumer_missing(&app).is_none());
    let recorded = attempts::record(&app, &Permit::system(), unclassified_attempt(), "trace-key")
        .await
        .unwrap();
    services.wait_idle().await;
    let (status, code): (String, Option<String>) = sqlx::query_as(
        "SELECT a.status, t.code FROM attempts a LEFT JOIN error_tags t ON t.id = a.error_tag_id
         WHERE a.id = $1",
    )
    .bind(&recorded.attempt_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), code.as_deref()),
        ("CLASSIFIED", Some(BORROW))
    );
    let jobs = std::fs::read_to_string(data_dir.join("telemetry/llm_classification_jobs.jsonl"))
        .expect("the job document went to the local store");
    assert!(jobs.contains(recorded.attempt_id.as_str()));
    let _ = std::fs::remove_dir_all(data_dir);
}

/// The worker's own cost per batch, the model call answered at once by the local fake:
/// `BENCH_BATCHES` (default 25) batches of 20 attempts of one subdomain, the job documents in
/// FerretDB. Prints batches/s, messages/s and — when the server preloads pg_stat_statements
/// (`scripts/bench-classifier` starts one that does) — the statements per classified attempt,
/// BEGIN/COMMIT included. Run by `scripts/bench-classifier`.
#[tokio::test]
#[ignore = "a measurement: scripts/bench-classifier runs it"]
async fn bench_batches_of_twenty() {
    let batches: usize = std::env::var("BENCH_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let db = innova_testkit::seeded_db().await;
    let claude = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FakeClaude::answering(BORROW))
        .mount(&claude)
        .await;
    let uri = claude.uri();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-bench"),
        ("ANTHROPIC_BASE_URL", uri.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova-bench"),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    let (mongo, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(mongo));
    store.ensure_ready().await.unwrap();
    let settings = app.config.anthropic.clone().unwrap();
    let handler = LlmClassifierHandler::new(
        app.clone(),
        Arc::new(fake_claude::classifier(&settings)),
        store.clone(),
    );

    let arith: String = sqlx::query_scalar("SELECT id FROM domains WHERE code = 'ARITH'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let total = batches * 20;
    // One more batch, first, as a warm-up outside the measurement (connections, plans).
    sqlx::query(
        "INSERT INTO attempts (id, student_id, exercise_id, is_correct, classifier_source, status,
                               trace_id, updated_at)
         SELECT 'bench-' || n, $1, 'seed-ex-sub-001', false, 'LLM', 'PENDING', 'trace-' || n,
                CURRENT_TIMESTAMP
         FROM generate_series(1, $2) n",
    )
    .bind(STUDENT_IDS[0])
    .bind((total + 20) as i32)
    .execute(&db.pool)
    .await
    .unwrap();
    let mut events = (0..=batches).map(|b| {
        let mut event = SqsEvent::default();
        for i in 0..20 {
            let n = b * 20 + i + 1;
            let message = LlmClassifyMessage {
                id: format!("bench-{n}").into(),
                topic: Some("SUB".into()),
                domain_id: Some(arith.clone()),
                subdomain_code: Some("SUB".into()),
                problem_statement: "53 - 26 = ?".into(),
                canonical_solution: "27".into(),
                raw_steps: vec![RawStep {
                    expression: "53 - 26 = 10".into(),
                    is_final: true,
                }],
                final_answer: "10".into(),
                student_id: STUDENT_IDS[0].into(),
            };
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m-{n}"));
            record.body = Some(serde_json::to_string(&message).unwrap());
            event.records.push(record);
        }
        event
    });
    let warm_up = handler.handle(events.next().unwrap()).await;
    assert!(warm_up.batch_item_failures.is_empty(), "{warm_up:?}");
    let stats = sqlx::raw_sql(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();",
    )
    .execute(&db.pool)
    .await
    .is_ok();
    let started = std::time::Instant::now();
    for event in events {
        let response = handler.handle(event).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let elapsed = started.elapsed();
    let classified: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM attempts WHERE status = 'CLASSIFIED' AND id LIKE 'bench-%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(classified as usize, total + 20);
    let secs = elapsed.as_secs_f64();
    println!(
        "llm-classifier: {batches} batches of 20 in {:.0} ms: {:.1} ms per batch, {:.0} messages/s",
        secs * 1000.0,
        secs * 1000.0 / batches as f64,
        total as f64 / secs
    );
    if stats {
        let statements: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(calls), 0)::bigint FROM pg_stat_statements s
             JOIN pg_database d ON d.oid = s.dbid
             WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'
               AND s.query NOT ILIKE '%count(*) FROM attempts%'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        println!(
            "llm-classifier: {statements} statements for {total} classified attempts: {:.2} per attempt",
            statements as f64 / total as f64
        );
    } else {
        println!("llm-classifier: pg_stat_statements is not loaded: no statement count");
    }
    store.database().await.unwrap().drop().await.unwrap();
}
