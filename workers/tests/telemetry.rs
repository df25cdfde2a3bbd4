//! The telemetry worker end to end: a FIFO message published to moto SQS, received, turned into
//! the `SqsEvent` Lambda would deliver, handled → one `attempt_events` document in FerretDB;
//! redelivered → still one; a malformed record in the same batch is reported, the good one
//! stored. `scripts/test` starts the services and exports their addresses.

use std::sync::Arc;

use innova_core::aws::Aws;
use innova_core::config::QueueUrls;
use innova_core::db::seed;
use innova_core::messages::{AttemptStreamMessage, RawStep};
use innova_core::queue::{Queue, SqsEvent, SqsHandler, SqsMessage, SqsQueue};
use innova_core::telemetry::{MongoTelemetry, TelemetryStore};
use innova_workers::telemetry::TelemetryHandler;
use mongodb::bson::{Document, doc};

use innova_testkit::services::{self, TestQueue, required_env, unique};

struct Fixture {
    db: innova_testkit::TestDb,
    store: Arc<MongoTelemetry>,
    queue: Arc<dyn Queue>,
    stream: TestQueue,
}

async fn fixture() -> Fixture {
    required_env("INNOVA_TEST_MONGODB_URI");
    let db = innova_testkit::seeded_db().await;
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri));
    store.ensure_ready().await.unwrap();

    let stream = services::create_queue("attempt-stream", true).await;
    let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(
        Arc::new(Aws::new(services::aws_settings())),
        QueueUrls {
            attempt_stream: Some(stream.url.clone()),
            ..Default::default()
        },
    ));
    Fixture {
        db,
        store,
        queue,
        stream,
    }
}

impl Fixture {
    fn handler(&self) -> TelemetryHandler {
        TelemetryHandler::new(self.store.clone(), self.db.pool.clone())
    }

    async fn insert_attempt(&self, id: &str, course_id: Option<&str>) {
        sqlx::query(
            "INSERT INTO attempts (id, student_id, course_id, is_correct, trace_id, updated_at) \
             VALUES ($1, $2, $3, false, 'trace-db', CURRENT_TIMESTAMP)",
        )
        .bind(id)
        .bind(seed::STUDENT_IDS[0])
        .bind(course_id)
        .execute(&self.db.pool)
        .await
        .unwrap();
    }

    /// Receives what is in the queue as the event Lambda's SQS integration would send.
    async fn receive_event(&self) -> SqsEvent {
        services::receive_event(&self.stream).await
    }

    async fn documents(&self, attempt_id: &str) -> Vec<Document> {
        use futures::TryStreamExt;
        let db = self.store.database().await.unwrap();
        db.collection::<Document>("attempt_events")
            .find(doc! {"attempt_id": attempt_id})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

fn message(attempt_id: &str) -> AttemptStreamMessage {
    AttemptStreamMessage {
        attempt_id: attempt_id.into(),
        trace_id: format!("trace-{attempt_id}"),
        raw_steps: vec![
            RawStep {
                expression: "52 - 17".into(),
                is_final: false,
            },
            RawStep {
                expression: "35".into(),
                is_final: true,
            },
        ],
    }
}

#[tokio::test]
async fn a_fifo_message_becomes_one_document_even_when_redelivered() {
    let f = fixture().await;
    let attempt_id = format!("attempt-{}", unique("t"));
    f.insert_attempt(&attempt_id, Some(seed::COURSE_ID)).await;
    f.queue
        .publish_message(&message(&attempt_id), Some(seed::STUDENT_IDS[0].into()))
        .await
        .unwrap();

    let event = f.receive_event().await;
    assert_eq!(event.records.len(), 1, "the FIFO message arrives");
    assert_eq!(
        event.records[0].attributes["MessageGroupId"],
        seed::STUDENT_IDS[0]
    );

    let response = f.handler().handle(event.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let docs = f.documents(&attempt_id).await;
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.get_str("student_id").unwrap(), seed::STUDENT_IDS[0]);
    assert_eq!(d.get_str("classroom_id").unwrap(), seed::COURSE_ID);
    assert_eq!(
        d.get_str("trace_id").unwrap(),
        format!("trace-{attempt_id}")
    );
    assert!(d.get_array("events").unwrap().is_empty());
    assert_eq!(
        d.get_document("summary")
            .unwrap()
            .get_i64("duration_ms")
            .unwrap(),
        0
    );
    let steps = d.get_array("raw_steps").unwrap();
    assert!(steps[1].as_document().unwrap().get_bool("isFinal").unwrap());
    assert!(d.get_datetime("createdAt").is_ok());

    // Redelivery (visibility timeout, retry after a partial failure): no second document.
    let response = f.handler().handle(event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(f.documents(&attempt_id).await.len(), 1);

    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn a_malformed_record_is_reported_and_the_good_one_stored() {
    let f = fixture().await;
    let good = format!("attempt-{}", unique("t"));
    f.insert_attempt(&good, None).await;
    f.queue
        .send(
            innova_core::queue::QueueName::AttemptStream,
            "{\"not\": \"telemetry\"}".into(),
            Some("s1".into()),
        )
        .await
        .unwrap();
    f.queue
        .publish_message(&message(&good), Some(seed::STUDENT_IDS[0].into()))
        .await
        .unwrap();
    // A message for an attempt that has no row: stored with the group's student, no classroom.
    let orphan = format!("attempt-{}", unique("t"));
    f.queue
        .publish_message(&message(&orphan), Some("student-x".into()))
        .await
        .unwrap();

    let event = f.receive_event().await;
    assert_eq!(event.records.len(), 3);
    let malformed_id = event
        .records
        .iter()
        .find(|r| r.body.as_deref().is_some_and(|b| b.contains("not")))
        .and_then(|r| r.message_id.clone())
        .unwrap();

    let response = f.handler().handle(event).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [malformed_id]);
    let docs = f.documents(&good).await;
    assert_eq!(docs.len(), 1);
    assert!(
        docs[0]
            .get("classroom_id")
            .is_some_and(|v| v.as_null().is_some()),
        "no course: null"
    );
    let orphan_docs = f.documents(&orphan).await;
    assert_eq!(orphan_docs[0].get_str("student_id").unwrap(), "student-x");

    f.store.database().await.unwrap().drop().await.unwrap();
}

#[tokio::test]
async fn an_unavailable_store_fails_the_records_for_a_retry() {
    let db = innova_testkit::fresh_db().await;
    let store = Arc::new(MongoTelemetry::new(
        "mongodb://127.0.0.1:9/innova?serverSelectionTimeoutMS=300",
    ));
    let handler = TelemetryHandler::new(store, db.pool.clone());
    let mut event = SqsEvent::default();
    let mut record = SqsMessage::default();
    record.message_id = Some("m-1".into());
    record.body = Some(serde_json::to_string(&message("a-1")).unwrap());
    record
        .attributes
        .insert("MessageGroupId".into(), "s1".into());
    event.records.push(record);
    let response = handler.handle(event).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier, "m-1");
}

/// Local mode: the API's wiring (`register_embedded`) delivers attempt-stream messages to the
/// same handler in-process, into the local telemetry store.
#[tokio::test]
async fn the_embedded_queue_runs_the_same_handler_locally() {
    use innova_core::config::Config;
    use innova_core::services::{Runtime, Services};

    let db = innova_testkit::seeded_db().await;
    let dir = std::env::temp_dir().join(format!("innova-workers-{}", unique("t")));
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", dir.to_str().unwrap()),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let registered = innova_workers::register_embedded(&config, &services, &db.pool);
    // Other workers register their queues too; this test needs the attempt stream's.
    assert!(registered.contains(&innova_core::queue::QueueName::AttemptStream));

    sqlx::query(
        "INSERT INTO attempts (id, student_id, course_id, is_correct, trace_id, updated_at) \
         VALUES ('attempt-local', $1, $2, true, 't', CURRENT_TIMESTAMP)",
    )
    .bind(seed::STUDENT_IDS[1])
    .bind(seed::COURSE_ID)
    .execute(&db.pool)
    .await
    .unwrap();
    let queue = services.queue.clone();
    queue
        .publish_message(&message("attempt-local"), Some(seed::STUDENT_IDS[1].into()))
        .await
        .unwrap();
    // FIFO: a message group id is required.
    queue
        .publish_message(&message("no-group"), None)
        .await
        .unwrap_err();
    tokio::time::timeout(std::time::Duration::from_secs(10), services.wait_idle())
        .await
        .unwrap();

    // A second store over the same files: what the worker wrote is on disk.
    let doc = innova_core::telemetry::from_config(&config, Runtime::Local)
        .attempt_event("attempt-local")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(doc.student_id, seed::STUDENT_IDS[1]);
    assert_eq!(doc.classroom_id.as_deref(), Some(seed::COURSE_ID));
    assert_eq!(doc.raw_steps.len(), 2);
    let embedded = services.embedded_queue().unwrap();
    assert!(
        embedded
            .dead_letters(innova_core::queue::QueueName::AttemptStream)
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(dir);
}
