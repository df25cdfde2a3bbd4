//! The telemetry archive on FerretDB and moto S3: old and recent attempt events → one gzip JSON
//! lines object per old day (only the old events, each once), those events marked
//! `archived_to_s3_at`; a second run writes nothing. A late event of an archived day gets a new
//! part holding only itself; events already in an object but not marked (a run interrupted
//! between storing and marking) are marked without being written again.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use chrono::{Duration, Utc};
use innova_app::App;
use innova_app::telemetry_archive::{self, object_key};
use innova_core::aws::Aws;
use innova_core::config::Config;
use innova_core::objects::Bucket;
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::{
    AttemptEventDoc, BsonDateTime, EventSummary, MongoTelemetry, TelemetryStore,
};
use innova_testkit::services::{self, required_env, unique};
use serde_json::Value;

struct Fixture {
    _db: innova_testkit::TestDb,
    app: App,
    store: Arc<MongoTelemetry>,
    bucket: String,
    s3: aws_sdk_s3::Client,
}

async fn fixture() -> Fixture {
    required_env("INNOVA_TEST_MONGODB_URI");
    let db = innova_testkit::empty_db().await;
    let (uri, _) = services::mongodb_uri_with_fresh_database();
    let store = Arc::new(MongoTelemetry::new(uri.clone()));
    store.ensure_ready().await.unwrap();
    let bucket = unique("submissions").replace('_', "-");
    let s3 = Aws::new(services::aws_settings()).s3().await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let endpoint = services::aws_endpoint();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("S3_SUBMISSIONS_BUCKET", bucket.as_str()),
        ("MONGODB_URI", uri.as_str()),
        ("TELEMETRY_RETENTION_DAYS", "30"),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    Fixture {
        _db: db,
        app,
        store,
        bucket,
        s3,
    }
}

/// 08:00 UTC of that day (an hour later is still the same day).
fn morning(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    t.date_naive().and_hms_opt(8, 0, 0).unwrap().and_utc()
}

fn event(attempt_id: &str, created: chrono::DateTime<Utc>) -> AttemptEventDoc {
    let at = BsonDateTime::from_millis(created.timestamp_millis());
    AttemptEventDoc {
        attempt_id: attempt_id.into(),
        student_id: "seed-student-001".into(),
        classroom_id: Some("seed-course-001".into()),
        trace_id: format!("trace-{attempt_id}"),
        events: vec![],
        summary: EventSummary::default(),
        raw_steps: vec![],
        archived_to_s3_at: None,
        created_at: at,
        updated_at: at,
    }
}

impl Fixture {
    async fn record(&self, attempt_id: &str, created: chrono::DateTime<Utc>) {
        assert!(
            self.store
                .record_attempt_event(&event(attempt_id, created))
                .await
                .unwrap()
                .inserted
        );
    }

    /// Every object of the bucket: key → the attempt ids of its lines, in order.
    async fn objects(&self) -> BTreeMap<String, Vec<String>> {
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        let mut out = BTreeMap::new();
        for object in listed.contents.unwrap_or_default() {
            let key = object.key.unwrap();
            let body = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .expect("gzip");
            let ids = text
                .lines()
                .map(|l| {
                    let v: Value = serde_json::from_str(l).expect("a JSON line");
                    assert!(
                        v["createdAt"]["$date"].is_object(),
                        "extended JSON dates: {v}"
                    );
                    v["attempt_id"].as_str().unwrap().to_string()
                })
                .collect();
            out.insert(key, ids);
        }
        out
    }

    async fn archived(&self, attempt_id: &str) -> bool {
        self.store
            .attempt_event(attempt_id)
            .await
            .unwrap()
            .unwrap()
            .archived_to_s3_at
            .is_some()
    }
}

#[tokio::test]
async fn old_events_go_to_one_object_per_day_once() {
    let f = fixture().await;
    let now = Utc::now();
    let day_a = morning(now - Duration::days(40));
    let day_b = morning(now - Duration::days(35));
    f.record("a-1", day_a).await;
    f.record("a-2", day_a + Duration::seconds(1)).await;
    f.record("b-1", day_b).await;
    f.record("recent", now - Duration::days(2)).await;

    let report = innova_workers::telemetry_archive::run(&f.app)
        .await
        .unwrap();
    let key_a = object_key(day_a.date_naive(), 1);
    let key_b = object_key(day_b.date_naive(), 1);
    assert_eq!(report.objects, [key_a.clone(), key_b.clone()]);
    assert_eq!(report.archived, 3);
    assert_eq!(
        f.objects().await,
        BTreeMap::from([
            (key_a.clone(), vec!["a-1".to_string(), "a-2".to_string()]),
            (key_b.clone(), vec!["b-1".to_string()]),
        ])
    );
    for id in ["a-1", "a-2", "b-1"] {
        assert!(f.archived(id).await, "{id} marked");
    }
    assert!(!f.archived("recent").await, "within the retention window");

    // Nothing left: no object, no line.
    let second = innova_workers::telemetry_archive::run(&f.app)
        .await
        .unwrap();
    assert_eq!(second, Default::default());
    assert_eq!(f.objects().await.len(), 2);
}

#[tokio::test]
async fn a_day_with_an_object_gets_only_what_it_lacks() {
    let f = fixture().await;
    let now = Utc::now();
    let day = morning(now - Duration::days(40));
    f.record("first", day).await;
    telemetry_archive::run(&f.app, f.store.as_ref(), now)
        .await
        .unwrap();

    // A late event of that day, and one that is already in an object of its day but was not
    // marked (the run stopped between the two).
    f.record("late", day + Duration::hours(1)).await;
    let other_day = morning(now - Duration::days(45));
    f.record("stored-not-marked", other_day).await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    serde_json::to_writer(&mut gz, &event("stored-not-marked", other_day)).unwrap();
    std::io::Write::write_all(&mut gz, b"\n").unwrap();
    let stored_key = object_key(other_day.date_naive(), 1);
    f.app
        .services
        .objects
        .put(
            Bucket::Submissions,
            &stored_key,
            gz.finish().unwrap().into(),
            None,
        )
        .await
        .unwrap();

    let report = telemetry_archive::run(&f.app, f.store.as_ref(), now)
        .await
        .unwrap();
    let part_2 = object_key(day.date_naive(), 2);
    assert_eq!(
        report.objects,
        std::slice::from_ref(&part_2),
        "only the late event is written"
    );
    assert_eq!(report.archived, 2);
    let objects = f.objects().await;
    assert_eq!(objects[&part_2], ["late"]);
    assert_eq!(objects[&object_key(day.date_naive(), 1)], ["first"]);
    assert_eq!(
        objects[&stored_key],
        ["stored-not-marked"],
        "not written twice"
    );
    assert!(f.archived("late").await && f.archived("stored-not-marked").await);
}
