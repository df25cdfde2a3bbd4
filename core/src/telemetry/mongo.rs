//! MongoDB adapter (mongodb 3.x). Connects on first use (the API and the workers start while
//! MongoDB is down; a failed connection is retried by the next call) and then creates the
//! indexes of data-model.md §4, with `attempt_id` and `upload_id` **unique** so a redelivered
//! message cannot write a second document.
//!
//! Idempotent inserts are `insert_one` guarded by those unique indexes: a duplicate-key error
//! (E11000) means the document is already there (`inserted: false`), which also settles
//! concurrent redeliveries. Not `update_one({key}, {$setOnInsert: doc}, upsert)`: FerretDB 1.24
//! (SQLite handler), the server of the tests, silently drops empty arrays from `$setOnInsert`
//! (the required `events: []` would be missing). Everything used here works on it.

use std::time::Duration;

use async_trait::async_trait;
use mongodb::bson::{self, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Database, IndexModel};
use tokio::sync::OnceCell;

use super::{
    ATTEMPT_EVENTS, AttemptEventDoc, LLM_CLASSIFICATION_JOBS, LlmClassificationJobDoc, OCR_JOBS,
    OcrJobDoc, Recorded, TelemetryError, TelemetryStore,
};

/// The database used when the URI names none.
pub const DEFAULT_DATABASE: &str = "innova";

// MongoDB's timeouts, stated once (docs/architecture.md, "Timeouts"). Its callers are the
// workers (60 s Lambdas): a call must fail within seconds so the batch is reported failed and
// redelivered, not time out. A URI's own `connectTimeoutMS`/`serverSelectionTimeoutMS` win.

/// Opening a connection (TCP, TLS): 5 s, not the driver's 10 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Finding a server to send an operation to: 5 s, not the driver's 30 s.
pub const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// One call of the store, whatever the driver waits on (the first call's connection and index
/// creation included; the Rust driver has no per-operation socket timeout): 10 s.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// `call` bounded by [`OPERATION_TIMEOUT`]: past it, [`TelemetryError::Unavailable`].
async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, TelemetryError>>,
) -> Result<T, TelemetryError> {
    tokio::time::timeout(OPERATION_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(TelemetryError::Unavailable(format!(
                "MongoDB did not answer within {OPERATION_TIMEOUT:?}"
            )))
        })
}

/// Telemetry in MongoDB.
pub struct MongoTelemetry {
    uri: String,
    db: OnceCell<Database>,
}

impl std::fmt::Debug for MongoTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URI may hold credentials.
        f.debug_struct("MongoTelemetry").finish_non_exhaustive()
    }
}

impl MongoTelemetry {
    /// A store for `uri` (`mongodb://…/<database>`); nothing is contacted yet.
    pub fn new(uri: impl Into<String>) -> Self {
        MongoTelemetry {
            uri: uri.into(),
            db: OnceCell::new(),
        }
    }

    /// The database, connecting and creating the indexes on first use.
    pub async fn database(&self) -> Result<&Database, TelemetryError> {
        self.db.get_or_try_init(|| connect(&self.uri)).await
    }
}

async fn connect(uri: &str) -> Result<Database, TelemetryError> {
    let mut options = ClientOptions::parse(uri)
        .await
        .map_err(|e| TelemetryError::Unavailable(e.to_string()))?;
    options.app_name.get_or_insert_with(|| "innova".to_string());
    options
        .server_selection_timeout
        .get_or_insert(SERVER_SELECTION_TIMEOUT);
    options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
    let client =
        Client::with_options(options).map_err(|e| TelemetryError::Unavailable(e.to_string()))?;
    let db = client
        .default_database()
        .unwrap_or_else(|| client.database(DEFAULT_DATABASE));
    create_indexes(&db).await?;
    Ok(db)
}

async fn create_indexes(db: &Database) -> Result<(), TelemetryError> {
    let index = |keys: Document, unique: bool| {
        IndexModel::builder()
            .keys(keys)
            .options(unique.then(|| IndexOptions::builder().unique(true).build()))
            .build()
    };
    let plan: [(&str, Vec<IndexModel>); 3] = [
        (
            ATTEMPT_EVENTS,
            vec![
                index(doc! {"attempt_id": 1}, true),
                index(doc! {"student_id": 1}, false),
                index(doc! {"trace_id": 1}, false),
                index(doc! {"createdAt": 1, "archived_to_s3_at": 1}, false),
            ],
        ),
        (
            LLM_CLASSIFICATION_JOBS,
            vec![
                index(doc! {"trace_id": 1}, false),
                index(doc! {"status": 1}, false),
            ],
        ),
        (
            OCR_JOBS,
            vec![
                index(doc! {"upload_id": 1}, true),
                index(doc! {"student_id": 1}, false),
                index(doc! {"status": 1}, false),
            ],
        ),
    ];
    for (collection, indexes) in plan {
        let coll = db.collection::<Document>(collection);
        // Only the missing ones: FerretDB 1.24 drops the connection when asked to create again an
        // index that exists on a collection with documents (every cold start after the first,
        // and every process that opens the database again).
        let existing = coll.list_index_names().await.unwrap_or_default();
        let missing: Vec<IndexModel> = indexes
            .into_iter()
            .filter(|m| !existing.contains(&default_index_name(&m.keys)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        coll.create_indexes(missing)
            .await
            .map_err(|e| match store_error(e) {
                TelemetryError::Unavailable(e) => TelemetryError::Unavailable(e),
                e => TelemetryError::Store(format!("creating the indexes of {collection}: {e}")),
            })?;
    }
    Ok(())
}

/// The name MongoDB gives an index by default: `field_direction` joined with `_`.
fn default_index_name(keys: &Document) -> String {
    keys.iter()
        .map(|(k, v)| format!("{k}_{v}"))
        .collect::<Vec<_>>()
        .join("_")
}

fn encode<T: serde::Serialize>(doc: &T) -> Result<Document, TelemetryError> {
    bson::to_document(doc).map_err(|e| TelemetryError::Encode(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(doc: Document) -> Result<T, TelemetryError> {
    bson::from_document(doc).map_err(|e| TelemetryError::Encode(e.to_string()))
}

fn store_error(e: mongodb::error::Error) -> TelemetryError {
    if matches!(
        *e.kind,
        ErrorKind::ServerSelection { .. } | ErrorKind::Io(_)
    ) {
        TelemetryError::Unavailable(e.to_string())
    } else {
        TelemetryError::Store(e.to_string())
    }
}

fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        _ => false,
    }
}

/// Inserts `doc` unless the collection's unique index already holds its key.
async fn insert_once(
    db: &Database,
    collection: &str,
    doc: Document,
) -> Result<Recorded, TelemetryError> {
    match db.collection::<Document>(collection).insert_one(doc).await {
        Ok(_) => Ok(Recorded { inserted: true }),
        Err(e) if is_duplicate_key(&e) => Ok(Recorded { inserted: false }),
        Err(e) => Err(store_error(e)),
    }
}

#[async_trait]
impl TelemetryStore for MongoTelemetry {
    async fn ensure_ready(&self) -> Result<(), TelemetryError> {
        bounded(async { self.database().await.map(|_| ()) }).await
    }

    async fn record_attempt_event(
        &self,
        doc: &AttemptEventDoc,
    ) -> Result<Recorded, TelemetryError> {
        bounded(async {
            let db = self.database().await?;
            insert_once(db, ATTEMPT_EVENTS, encode(doc)?).await
        })
        .await
    }

    async fn attempt_event(
        &self,
        attempt_id: &str,
    ) -> Result<Option<AttemptEventDoc>, TelemetryError> {
        bounded(async {
            let db = self.database().await?;
            let found = db
                .collection::<Document>(ATTEMPT_EVENTS)
                .find_one(doc! {"attempt_id": attempt_id})
                .await
                .map_err(store_error)?;
            found.map(decode).transpose()
        })
        .await
    }

    async fn insert_llm_classification_job(
        &self,
        doc: &LlmClassificationJobDoc,
    ) -> Result<(), TelemetryError> {
        bounded(async {
            let db = self.database().await?;
            db.collection::<Document>(LLM_CLASSIFICATION_JOBS)
                .insert_one(encode(doc)?)
                .await
                .map_err(store_error)?;
            Ok(())
        })
        .await
    }

    async fn record_ocr_job(&self, doc: &OcrJobDoc) -> Result<Recorded, TelemetryError> {
        bounded(async {
            let db = self.database().await?;
            insert_once(db, OCR_JOBS, encode(doc)?).await
        })
        .await
    }

    // --- OCR / archive
    async fn ocr_job(&self, upload_id: &str) -> Result<Option<OcrJobDoc>, TelemetryError> {
        bounded(async {
            let db = self.database().await?;
            let found = db
                .collection::<Document>(OCR_JOBS)
                .find_one(doc! {"upload_id": upload_id})
                .await
                .map_err(store_error)?;
            found.map(decode).transpose()
        })
        .await
    }

    async fn unarchived_attempt_events(
        &self,
        before: bson::DateTime,
        limit: usize,
    ) -> Result<Vec<AttemptEventDoc>, TelemetryError> {
        use futures::TryStreamExt;
        bounded(async {
            let db = self.database().await?;
            // Served by the (createdAt, archived_to_s3_at) index. `null` matches a missing field.
            let docs: Vec<Document> = db
                .collection::<Document>(ATTEMPT_EVENTS)
                .find(doc! {"createdAt": {"$lt": before}, "archived_to_s3_at": null})
                .sort(doc! {"createdAt": 1, "attempt_id": 1})
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .await
                .map_err(store_error)?
                .try_collect()
                .await
                .map_err(store_error)?;
            docs.into_iter().map(decode).collect()
        })
        .await
    }

    async fn mark_attempt_events_archived(
        &self,
        attempt_ids: &[String],
        at: bson::DateTime,
    ) -> Result<u64, TelemetryError> {
        if attempt_ids.is_empty() {
            return Ok(0);
        }
        bounded(async {
            let db = self.database().await?;
            let result = db
                .collection::<Document>(ATTEMPT_EVENTS)
                .update_many(
                    doc! {"attempt_id": {"$in": attempt_ids}, "archived_to_s3_at": null},
                    doc! {"$set": {"archived_to_s3_at": at, "updatedAt": at}},
                )
                .await
                .map_err(store_error)?;
            Ok(result.modified_count)
        })
        .await
    }
}
