//! The telemetry port: idempotent writes in MongoDB (FerretDB) and in the local store.

use std::sync::Arc;

use innova_core::messages::RawStep;
use innova_core::telemetry::{
    self, AttemptEventDoc, EventSummary, JobStatus, LlmClassificationJobDoc, LlmRequestMeta,
    LlmResponseMeta, LocalTelemetry, MongoTelemetry, OcrJobDoc, OcrJobStatus, TelemetryStore,
};
use mongodb::bson::{Document, doc};

use crate::mongo_uri_with_fresh_database;

fn attempt_doc(attempt_id: &str) -> AttemptEventDoc {
    let now = telemetry::now();
    AttemptEventDoc {
        attempt_id: attempt_id.into(),
        student_id: "seed-student-001".into(),
        classroom_id: Some("seed-course-001".into()),
        trace_id: "trace-1".into(),
        events: vec![],
        summary: EventSummary::default(),
        raw_steps: vec![RawStep {
            expression: "12".into(),
            is_final: true,
        }],
        archived_to_s3_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn ocr_doc(upload_id: &str) -> OcrJobDoc {
    let now = telemetry::now();
    OcrJobDoc {
        upload_id: upload_id.into(),
        student_id: "s1".into(),
        trace_id: "t".into(),
        s3_key: "uploads/s1/u.jpg".into(),
        s3_purge_at: None,
        primary_provider: "gemini".into(),
        used_fallback: false,
        fallback_provider: None,
        ocr_result: None,
        cost_estimated_usd: 0.0,
        duration_ms: 10,
        status: OcrJobStatus::Completed,
        error_message: None,
        attempt_id: None,
        completed_at: Some(now),
        created_at: now,
        updated_at: now,
    }
}

fn llm_doc() -> LlmClassificationJobDoc {
    let now = telemetry::now();
    LlmClassificationJobDoc {
        attempt_ids: vec!["a1".into(), "a2".into()],
        trace_id: "t".into(),
        model: "claude-haiku-4-5".into(),
        status: JobStatus::Completed,
        request_meta: LlmRequestMeta {
            input_tokens: 10,
            output_tokens: 5,
            ..Default::default()
        },
        response_meta: LlmResponseMeta::default(),
        cost_estimated_usd: 0.001,
        duration_ms: 900,
        retries: 0,
        error_message: None,
        completed_at: Some(now),
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn mongo_records_each_attempt_once() {
    let (uri, name) = mongo_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri.clone()));
    store.ensure_ready().await.unwrap();
    let db = store.database().await.unwrap();
    assert_eq!(db.name(), name, "the database comes from the URI's path");

    let doc = attempt_doc("attempt-1");
    assert!(store.record_attempt_event(&doc).await.unwrap().inserted);
    let mut again = doc.clone();
    again.trace_id = "a redelivery".into();
    assert!(!store.record_attempt_event(&again).await.unwrap().inserted);

    // Concurrent redeliveries of another attempt: exactly one insert.
    let results = futures::future::join_all((0..5).map(|_| {
        let store = store.clone();
        async move {
            store
                .record_attempt_event(&attempt_doc("attempt-2"))
                .await
                .unwrap()
                .inserted
        }
    }))
    .await;
    assert_eq!(results.iter().filter(|i| **i).count(), 1, "{results:?}");

    let events = db.collection::<Document>("attempt_events");
    assert_eq!(
        events
            .count_documents(doc! {"attempt_id": "attempt-1"})
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        events
            .count_documents(doc! {"attempt_id": "attempt-2"})
            .await
            .unwrap(),
        1
    );
    let stored = store.attempt_event("attempt-1").await.unwrap().unwrap();
    assert_eq!(stored, doc, "the first write wins, read back as written");
    let raw = events
        .find_one(doc! {"attempt_id": "attempt-1"})
        .await
        .unwrap()
        .unwrap();
    assert!(raw.get_datetime("createdAt").is_ok() && raw.get_datetime("updatedAt").is_ok());
    assert_eq!(
        raw.get_document("summary")
            .unwrap()
            .get_i64("total_events")
            .unwrap(),
        0
    );
    assert_eq!(raw.get_array("raw_steps").unwrap().len(), 1);
    assert!(store.attempt_event("nope").await.unwrap().is_none());

    let indexes = events.list_index_names().await.unwrap();
    for wanted in [
        "attempt_id_1",
        "student_id_1",
        "trace_id_1",
        "createdAt_1_archived_to_s3_at_1",
    ] {
        assert!(
            indexes.iter().any(|i| i == wanted),
            "{wanted} in {indexes:?}"
        );
    }

    assert!(
        store
            .record_ocr_job(&ocr_doc("upload-1"))
            .await
            .unwrap()
            .inserted
    );
    assert!(
        !store
            .record_ocr_job(&ocr_doc("upload-1"))
            .await
            .unwrap()
            .inserted
    );
    store
        .insert_llm_classification_job(&llm_doc())
        .await
        .unwrap();
    store
        .insert_llm_classification_job(&llm_doc())
        .await
        .unwrap();
    let jobs = db.collection::<Document>("llm_classification_jobs");
    assert_eq!(
        jobs.count_documents(doc! {"status": "completed"})
            .await
            .unwrap(),
        2
    );
    db.drop().await.unwrap();
}

#[tokio::test]
async fn mongo_unreachable_is_an_error_not_a_hang() {
    let store = MongoTelemetry::new("mongodb://127.0.0.1:9/innova?serverSelectionTimeoutMS=500");
    let started = std::time::Instant::now();
    assert!(store.record_attempt_event(&attempt_doc("x")).await.is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn local_store_is_idempotent_across_restarts() {
    let dir = std::env::temp_dir().join(crate::unique("innova-telemetry"));
    let store = LocalTelemetry::new(&dir);
    assert!(
        store
            .record_attempt_event(&attempt_doc("a1"))
            .await
            .unwrap()
            .inserted
    );
    assert!(
        !store
            .record_attempt_event(&attempt_doc("a1"))
            .await
            .unwrap()
            .inserted
    );
    assert!(store.record_ocr_job(&ocr_doc("u1")).await.unwrap().inserted);
    store
        .insert_llm_classification_job(&llm_doc())
        .await
        .unwrap();

    let reopened = LocalTelemetry::new(&dir);
    assert!(
        !reopened
            .record_attempt_event(&attempt_doc("a1"))
            .await
            .unwrap()
            .inserted
    );
    assert!(
        !reopened
            .record_ocr_job(&ocr_doc("u1"))
            .await
            .unwrap()
            .inserted
    );
    assert!(
        reopened
            .record_attempt_event(&attempt_doc("a2"))
            .await
            .unwrap()
            .inserted
    );
    assert_eq!(
        reopened
            .attempt_event("a1")
            .await
            .unwrap()
            .unwrap()
            .attempt_id,
        "a1"
    );

    let lines = std::fs::read_to_string(reopened.file("attempt_events")).unwrap();
    assert_eq!(lines.lines().count(), 2);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["attempt_id"], "a1");
    assert!(first["createdAt"]["$date"].is_object() || first["createdAt"]["$date"].is_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A batch is stored at once (the telemetry worker's path): one result per document, in order;
/// a key already stored or repeated within the batch is not written twice; every document is
/// readable by key and the file holds one line per inserted document. Mongo stores the same
/// batch with the same results.
#[tokio::test]
async fn a_batch_of_attempt_events_is_stored_at_once_and_idempotently() {
    let dir = std::env::temp_dir().join(crate::unique("innova-telemetry"));
    let local = LocalTelemetry::new(&dir);
    let (uri, _) = mongo_uri_with_fresh_database();
    let mongo = MongoTelemetry::new(uri);
    let stores: [&dyn TelemetryStore; 2] = [&local, &mongo];
    for store in stores {
        assert!(
            store
                .record_attempt_event(&attempt_doc("b-0"))
                .await
                .unwrap()
                .inserted
        );
        let batch: Vec<_> = ["b-1", "b-0", "b-2", "b-1", "b-3"]
            .into_iter()
            .map(attempt_doc)
            .collect();
        let inserted: Vec<bool> = store
            .record_attempt_events(&batch)
            .await
            .into_iter()
            .map(|r| r.unwrap().inserted)
            .collect();
        assert_eq!(inserted, [true, false, true, false, true]);
        for id in ["b-0", "b-1", "b-2", "b-3"] {
            let doc = store.attempt_event(id).await.unwrap().expect(id);
            assert_eq!(doc.attempt_id, id);
        }
        assert!(store.record_attempt_events(&[]).await.is_empty());
    }
    let file = std::fs::read_to_string(local.file(telemetry::ATTEMPT_EVENTS)).unwrap();
    assert_eq!(file.lines().count(), 4, "one line per document");
    // The index survives a restart: a new process finds the batch's documents.
    let reopened = LocalTelemetry::new(&dir);
    let again = reopened
        .record_attempt_events(&[attempt_doc("b-2"), attempt_doc("b-4")])
        .await;
    let inserted: Vec<bool> = again.into_iter().map(|r| r.unwrap().inserted).collect();
    assert_eq!(inserted, [false, true]);
    std::fs::remove_dir_all(&dir).ok();
}

// --- OCR / archive

fn attempt_doc_at(attempt_id: &str, created_ms: i64) -> AttemptEventDoc {
    let mut doc = attempt_doc(attempt_id);
    doc.created_at = telemetry::BsonDateTime::from_millis(created_ms);
    doc
}

/// A data directory written before the on-disk index existed (or by a process that stopped
/// between appending a document and indexing it, mid-line): opening it indexes what is there,
/// streaming; idempotency holds for those documents and writes after the torn line are readable.
#[tokio::test]
async fn local_store_indexes_a_file_it_finds_and_reads_documents_by_key() {
    let dir = std::env::temp_dir().join(crate::unique("innova-telemetry"));
    let telemetry_dir = dir.join("telemetry");
    std::fs::create_dir_all(&telemetry_dir).unwrap();
    let mut lines = String::new();
    for id in ["old-1", "old-2"] {
        lines += &serde_json::to_string(&attempt_doc(id)).unwrap();
        lines += "\n";
    }
    lines += "{\"attempt_id\": \"torn"; // a write cut short
    std::fs::write(telemetry_dir.join("attempt_events.jsonl"), lines).unwrap();

    let store = LocalTelemetry::new(&dir);
    assert!(
        !store
            .record_attempt_event(&attempt_doc("old-2"))
            .await
            .unwrap()
            .inserted,
        "found in the existing file"
    );
    assert!(
        store
            .record_attempt_event(&attempt_doc("new-1"))
            .await
            .unwrap()
            .inserted
    );
    for id in ["old-1", "old-2", "new-1"] {
        let doc = store.attempt_event(id).await.unwrap().expect(id);
        assert_eq!(doc.attempt_id, id);
    }
    assert!(store.attempt_event("torn").await.unwrap().is_none());
    assert!(store.index_dir("attempt_events").join("covered").is_file());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn local_store_lists_and_marks_unarchived_events() {
    let dir = std::env::temp_dir().join(crate::unique("innova-telemetry"));
    let store = LocalTelemetry::new(&dir);
    assert!(
        store
            .unarchived_attempt_events(telemetry::now(), 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing recorded: nothing to archive"
    );
    assert!(!dir.exists(), "and nothing created for that");
    let day = 86_400_000;
    let now = telemetry::now().timestamp_millis();
    for (id, created) in [
        ("c", now - 40 * day),
        ("a", now - 41 * day),
        ("b", now - 40 * day),
        ("new", now),
    ] {
        store
            .record_attempt_event(&attempt_doc_at(id, created))
            .await
            .unwrap();
    }
    let before = telemetry::BsonDateTime::from_millis(now - 30 * day);
    let ids =
        |docs: Vec<AttemptEventDoc>| docs.into_iter().map(|d| d.attempt_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.unarchived_attempt_events(before, 10).await.unwrap()),
        ["a", "b", "c"],
        "oldest first, then by id"
    );
    assert_eq!(
        ids(store.unarchived_attempt_events(before, 2).await.unwrap()),
        ["a", "b"]
    );
    let at = telemetry::now();
    assert_eq!(
        store
            .mark_attempt_events_archived(&["a".into(), "b".into(), "new".into()], at)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        ids(store.unarchived_attempt_events(before, 10).await.unwrap()),
        ["c"]
    );
    let a = store.attempt_event("a").await.unwrap().unwrap();
    assert_eq!(a.archived_to_s3_at, Some(at));
    assert_eq!(
        store
            .mark_attempt_events_archived(&["a".into()], at)
            .await
            .unwrap(),
        0,
        "already marked"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn mongo_lists_and_marks_unarchived_events() {
    let (uri, _) = mongo_uri_with_fresh_database();
    let store = MongoTelemetry::new(uri);
    let day = 86_400_000;
    let now = telemetry::now().timestamp_millis();
    for (id, created) in [
        ("c", now - 40 * day),
        ("a", now - 41 * day),
        ("b", now - 40 * day),
        ("new", now),
    ] {
        store
            .record_attempt_event(&attempt_doc_at(id, created))
            .await
            .unwrap();
    }
    let before = telemetry::BsonDateTime::from_millis(now - 30 * day);
    let ids =
        |docs: Vec<AttemptEventDoc>| docs.into_iter().map(|d| d.attempt_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.unarchived_attempt_events(before, 10).await.unwrap()),
        ["a", "b", "c"]
    );
    let at = telemetry::now();
    assert_eq!(
        store
            .mark_attempt_events_archived(&["a".into(), "new".into()], at)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ids(store.unarchived_attempt_events(before, 10).await.unwrap()),
        ["b", "c"]
    );
    assert_eq!(
        store
            .attempt_event("a")
            .await
            .unwrap()
            .unwrap()
            .archived_to_s3_at,
        Some(at)
    );
    assert!(store.ocr_job("none").await.unwrap().is_none());
    store.record_ocr_job(&ocr_doc("u-9")).await.unwrap();
    assert_eq!(
        store.ocr_job("u-9").await.unwrap().unwrap().upload_id,
        "u-9"
    );
}

/// Every cold start opens the database again: a second client finds the indexes there.
#[tokio::test]
async fn mongo_opened_again_is_ready() {
    let (uri, _) = mongo_uri_with_fresh_database();
    let first = MongoTelemetry::new(uri.clone());
    first.record_attempt_event(&attempt_doc("x")).await.unwrap();
    let again = MongoTelemetry::new(uri);
    again.ensure_ready().await.unwrap();
    assert!(
        !again
            .record_attempt_event(&attempt_doc("x"))
            .await
            .unwrap()
            .inserted
    );
}
