//! Workers under faults, their handlers called directly: a record the handler could not finish
//! is reported failed (`batchItemFailures`, so SQS — or the embedded queue — delivers it again),
//! never dropped and never half-applied; the redelivery succeeds once the dependency is back,
//! and a further one changes nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::queue::{SqsEvent, SqsHandler, SqsMessage};
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::{MongoTelemetry, TelemetryStore};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::proxy::FaultProxy;
use innova_testkit::services;
use innova_workers::attempt_reprocess::AttemptReprocessHandler;
use innova_workers::telemetry::TelemetryHandler;
use serde_json::json;

use crate::harness::Report;

fn record(id: &str, body: String, group: Option<&str>) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(id.to_owned());
    record.receipt_handle = Some(format!("rh-{id}"));
    record.body = Some(body);
    if let Some(group) = group {
        record
            .attributes
            .insert("MessageGroupId".into(), group.to_owned());
    }
    record.event_source = Some("aws:sqs".into());
    record
}

fn event(records: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

fn failed(response: &innova_core::queue::SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    ids.sort();
    ids
}

/// Redelivers `event` to `handler` until no record fails (at most `bound`); the seconds it took.
async fn redeliver_until_done(handler: &dyn SqsHandler, event: &SqsEvent, bound: Duration) -> f64 {
    let back = Instant::now();
    loop {
        let response = handler.handle(event.clone()).await;
        if response.batch_item_failures.is_empty() {
            return back.elapsed().as_secs_f64();
        }
        assert!(
            back.elapsed() < bound,
            "records still failing {bound:?} after the dependency came back: {:?}",
            failed(&response)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The telemetry worker with MongoDB down, then back.
pub async fn telemetry_with_mongodb_down() {
    let db = innova_testkit::seeded_db().await;
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let proxy = FaultProxy::for_url(&uri).await.unwrap();
    let store: Arc<dyn TelemetryStore> = Arc::new(MongoTelemetry::new(proxy.url_for(&uri)));
    store.ensure_ready().await.expect("MongoDB answers");
    let handler = TelemetryHandler::new(store, db.pool.clone());
    let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let event = event(
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let body = json!({"attemptId": id, "traceId": format!("t-{id}"),
                    "rawSteps": [{"expression": "33", "isFinal": true}]});
                record(&format!("m-{i}"), body.to_string(), Some(STUDENT_IDS[0]))
            })
            .collect(),
    );

    proxy.down();
    let response = handler.handle(event.clone()).await;
    let during = failed(&response);
    proxy.pass();
    let recovery = redeliver_until_done(&handler, &event, Duration::from_secs(15)).await;
    // A further redelivery (SQS at least once) writes nothing twice.
    let again = handler.handle(event.clone()).await;

    let direct = MongoTelemetry::new(uri.clone());
    let mut stored = 0;
    for id in &ids {
        if matches!(direct.attempt_event(id).await, Ok(Some(_))) {
            stored += 1;
        }
    }
    let mut report = Report {
        title: "telemetry worker (handler called directly): MongoDB down, then back".into(),
        fault: "a batch of 3 attempt events while MongoDB is down, redelivered once it is back"
            .into(),
        sent: 3,
        succeeded: stored,
        other: during.len(),
        lost: 3 - stored,
        recovery: Some(recovery),
        ..Report::default()
    };
    report.details.push(format!(
        "while down: {}/3 records reported failed ({:?}); after: redelivery succeeded, a further \
         redelivery failed {} records",
        during.len(),
        during,
        again.batch_item_failures.len()
    ));
    if during != ["m-0", "m-1", "m-2"] {
        report.violations.push(format!(
            "records not reported failed while MongoDB was down: {during:?}"
        ));
    }
    if !again.batch_item_failures.is_empty() || stored != 3 {
        report.violations.push(format!(
            "{stored}/3 events stored, {} failures on a further redelivery",
            again.batch_item_failures.len()
        ));
    }
    report.finish();
}

/// The submission's status and attempt; the attempts of its trace.
async fn graded(pool: &sqlx::PgPool, submission: &str, trace: &str) -> (String, bool, i64) {
    let (status, attempt): (String, Option<String>) =
        sqlx::query_as("SELECT status::text, attempt_id FROM guide_submissions WHERE id = $1")
            .bind(submission)
            .fetch_one(pool)
            .await
            .unwrap();
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM attempts WHERE trace_id = $1")
        .bind(trace)
        .fetch_one(pool)
        .await
        .unwrap();
    (status, attempt.is_some(), attempts)
}

fn reprocess_body(submission: &str, trace: &str) -> String {
    json!({"attempt_id": null, "guide_submission_id": submission,
        "guide_question_id": "fw-q1", "latex_steps": ["35"], "provider": "claude-haiku",
        "confidence": 0.9,
        "alignment_summary": {"path": "MAIN", "first_error_checkpoint": 0, "score_0_1": 1.0},
        "trace_id": trace})
    .to_string()
}

/// The attempt-reprocess worker with PostgreSQL down, then with its transaction reset mid-way.
pub async fn reprocess_with_postgres_faults() {
    let db = innova_testkit::seeded_db().await;
    let guide = GuideFixture::new("fw-guide", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("fw-q1", 1, "52 - 17")
                .topic("SUB")
                .answer("35"),
        );
    guide.insert(&db.pool).await;
    for (id, n) in [("fw-s1", 1), ("fw-s2", 2)] {
        SubmissionFixture::new(id, &guide, "fw-q1", STUDENT_IDS[0])
            .attempt_number(n)
            .insert(&db.pool)
            .await;
    }
    let proxy = FaultProxy::for_url(&db.url).await.unwrap();
    let url = proxy.url_for(&db.url);
    let data_dir = std::env::temp_dir().join(format!("innova-faults-{}", uuid::Uuid::new_v4()));
    let config = Config::from_vars([
        ("DATABASE_URL", url.as_str()),
        ("INNOVA_DATA_DIR", data_dir.to_str().unwrap()),
    ])
    .unwrap();
    let pool = innova_core::db::connect_lazy(
        &url,
        &innova_core::db::PoolConfig {
            acquire_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    )
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let handler = Arc::new(AttemptReprocessHandler::new(innova_app::App::new(
        Arc::new(config),
        pool,
        services,
    )));
    let mut report = Report {
        title: "attempt-reprocess worker (handler called directly): PostgreSQL faults".into(),
        fault: "one message while PostgreSQL is down; one whose transaction is reset (RST) \
                mid-way; each redelivered"
            .into(),
        sent: 2,
        ..Report::default()
    };

    // Down: the record fails, nothing is written; redelivered once it is back, it is applied.
    let down = event(vec![record("r-1", reprocess_body("fw-s1", "fw-t1"), None)]);
    proxy.down();
    let during = failed(&handler.handle(down.clone()).await);
    let after_failure = graded(&db.pool, "fw-s1", "fw-t1").await;
    proxy.pass();
    let recovery = redeliver_until_done(handler.as_ref(), &down, Duration::from_secs(15)).await;
    let again = handler.handle(down.clone()).await;
    let done = graded(&db.pool, "fw-s1", "fw-t1").await;
    report.details.push(format!(
        "down: failed records {during:?}, rows after the failure {after_failure:?}, after the \
         redelivery {done:?}, a further redelivery failed {}",
        again.batch_item_failures.len()
    ));
    if during != ["r-1"] {
        report
            .violations
            .push(format!("the record was not reported failed: {during:?}"));
    }
    if after_failure != ("UPLOADED".into(), false, 0) {
        report.half_written += 1;
    }
    if done == ("GRADED".into(), true, 1) && again.batch_item_failures.is_empty() {
        report.succeeded += 1;
    } else {
        report.lost += 1;
    }
    report.other += during.len();

    // Reset mid-transaction: slowed down so that the transaction is open when the reset comes.
    let reset = event(vec![record("r-2", reprocess_body("fw-s2", "fw-t2"), None)]);
    proxy.latency(Duration::from_millis(100));
    let running = {
        let handler = handler.clone();
        let reset = reset.clone();
        tokio::spawn(async move { handler.handle(reset).await })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let in_transaction: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
             AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if in_transaction > 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cut = proxy.reset_all();
    proxy.pass();
    let during = failed(&running.await.unwrap());
    let after_failure = graded(&db.pool, "fw-s2", "fw-t2").await;
    let recovery =
        recovery.max(redeliver_until_done(handler.as_ref(), &reset, Duration::from_secs(15)).await);
    let done = graded(&db.pool, "fw-s2", "fw-t2").await;
    report.details.push(format!(
        "reset: {cut} connections reset mid-transaction, failed records {during:?}, rows after \
         the failure {after_failure:?}, after the redelivery {done:?}"
    ));
    if during != ["r-2"] {
        report.violations.push(format!(
            "the record whose transaction was reset was not reported failed: {during:?}"
        ));
    }
    if after_failure != ("UPLOADED".into(), false, 0) {
        report.half_written += 1;
    }
    if done == ("GRADED".into(), true, 1) {
        report.succeeded += 1;
    } else {
        report.lost += 1;
    }
    report.other += during.len();
    report.recovery = Some(recovery);
    if report.half_written > 0 {
        report
            .violations
            .push("a failed record left rows behind".into());
    }
    if report.lost > 0 {
        report
            .violations
            .push("a redelivered record was not applied exactly once".into());
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    report.finish();
}
