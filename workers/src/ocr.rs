//! `ocrWorker` (decisions.md 20): S3 `ObjectCreated` events of the OCR uploads bucket → the
//! use case [`innova_app::ocr_uploads::process`] per object (key convention, outcomes and
//! idempotency are documented there).
//!
//! # Retries
//!
//! S3 invokes the function asynchronously. An object that can never be processed (not an image,
//! no such attempt, nothing readable…) ends in a failed `ocr_jobs` document and the invocation
//! succeeds: no retry storm. Work that cannot be done **now** — the OCR killswitch
//! (`/innova/ocr/paused`) set, Gemini, MongoDB, PostgreSQL or SQS unavailable — fails the
//! invocation, and Lambda retries an asynchronous invocation **twice** (about 1 and 3 minutes
//! later); after that the event is dropped (no destination is configured) and the log says so.
//! The photo stays in the bucket until its 30-day lifecycle rule: copying it onto itself (or
//! uploading it again) after resuming creates a new event. Records already done are skipped on
//! a retry (their job document exists).
//!
//! # Locally
//!
//! With the OCR uploads bucket in the local object store, [`register_local`] (called by the
//! local composition root through [`crate::register_embedded`]) hooks the store: each stored
//! object of that bucket becomes an S3-shaped event on a channel that one background task, started
//! there once, hands to the same handler (and retries twice, as Lambda). Only when a Gemini key
//! is configured; otherwise the start-up log says the worker is not running.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::s3::{S3Event, S3EventRecord};
use innova_app::App;
use innova_app::ocr_uploads::{self, Outcome};
use innova_core::config::Config;
use innova_core::objects::Bucket;
use innova_core::ocr::MathOcr;
use innova_core::services::{Runtime, Services};
use innova_core::telemetry::TelemetryStore;
use sqlx::PgPool;

/// The invocation must be retried: some record could not be processed for now.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} OCR upload(s) not processed for now (retried): {reasons}")]
pub struct RetryLater {
    pub failed: usize,
    pub total: usize,
    pub reasons: String,
}

/// The handler of the `ocrWorker` function.
pub struct OcrHandler {
    app: App,
    ocr: Arc<dyn MathOcr>,
    store: Arc<dyn TelemetryStore>,
}

impl OcrHandler {
    pub fn new(app: App, ocr: Arc<dyn MathOcr>, store: Arc<dyn TelemetryStore>) -> Self {
        OcrHandler { app, ocr, store }
    }

    /// Processes every record; `Err` when some must be retried (the others are done and will be
    /// skipped by the retry).
    pub async fn handle(&self, event: S3Event) -> Result<Vec<Outcome>, RetryLater> {
        let total = event.records.len();
        let mut outcomes = Vec::with_capacity(total);
        let mut retry = Vec::new();
        for record in &event.records {
            let Some(key) = object_key(record) else {
                tracing::error!(?record, "S3 record without an object key: ignored");
                continue;
            };
            let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
            if let Some(ours) = Bucket::OcrUploads.name(&self.app.config.buckets)
                && bucket != ours
            {
                tracing::error!(bucket, key, "event of another bucket: ignored");
                continue;
            }
            match ocr_uploads::process(&self.app, self.ocr.as_ref(), self.store.as_ref(), &key)
                .await
            {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) if e.is_transient() => {
                    tracing::warn!(key, error = %e, "OCR upload not processed for now: the invocation fails and is retried");
                    retry.push(format!("{key}: {e}"));
                }
                Err(e) => {
                    // A bug or stored data we cannot read: a retry would fail the same way.
                    tracing::error!(key, error = %e, "OCR upload failed: not retried");
                }
            }
        }
        if retry.is_empty() {
            Ok(outcomes)
        } else {
            Err(RetryLater {
                failed: retry.len(),
                total,
                reasons: retry.join("; "),
            })
        }
    }
}

/// The record's object key, URL-decoded (S3 sends keys form-encoded: `+` for a space).
pub fn object_key(record: &S3EventRecord) -> Option<String> {
    let object = &record.s3.object;
    if let Some(decoded) = object.url_decoded_key.as_deref().filter(|k| !k.is_empty()) {
        return Some(decoded.to_string());
    }
    object.key.as_deref().map(decode_key)
}

/// Decodes an S3 event key: `+` → space, `%XX` → byte (an invalid escape is kept as is).
pub fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a key as S3 does in events (the inverse of [`decode_key`]).
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `ObjectCreated:Put` event S3 sends for `key` in `bucket` (local delivery and tests).
pub fn object_created_event(bucket: &str, key: &str, size: usize) -> S3Event {
    serde_json::from_value(serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": chrono::Utc::now().to_rfc3339(),
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "local"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "ocrWorker",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "local"},
                           "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encode_key(key), "size": size, "sequencer": "0"}
            }
        }]
    }))
    .expect("a well-formed S3 event")
}

/// Local processes: runs the OCR worker for every object stored in the local OCR uploads
/// bucket (see the module documentation). Returns whether it was started.
pub fn register_local(config: &Config, services: &Services, db: &PgPool) -> bool {
    let Some(local) = services.objects.local_for(Bucket::OcrUploads) else {
        // The bucket is on S3: its notification invokes the Lambda function.
        return false;
    };
    let Some(ocr) = services.ocr.clone() else {
        tracing::warn!(
            "ocrWorker not running: GEMINI_API_KEY is not set, photos stored in the OCR uploads bucket are not transcribed"
        );
        return false;
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<S3Event>();
    let hooked = local.on_stored(Box::new(move |bucket, key| {
        if bucket == Bucket::OcrUploads {
            let _ = tx.send(object_created_event(Bucket::OcrUploads.slug(), key, 0));
        }
    }));
    if !hooked {
        tracing::warn!("the local OCR uploads bucket already has a consumer");
        return false;
    }
    let store = innova_core::telemetry::from_config(config, Runtime::Local);
    let app = App::new(Arc::new(config.clone()), db.clone(), services.clone());
    let handler = OcrHandler::new(app, ocr, store);
    // The local stand-in for S3's asynchronous invocation, started once with the process.
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let mut delay = Duration::from_secs(60);
            for attempt in 0..=2 {
                match handler.handle(event.clone()).await {
                    Ok(_) => break,
                    Err(e) if attempt < 2 => {
                        tracing::warn!(error = %e, retry_in_s = delay.as_secs(), "local OCR event retried");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "local OCR event dropped after 2 retries")
                    }
                }
            }
        }
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_as_s3_encodes_them() {
        assert_eq!(
            decode_key("uploads/s-1/a+b%C3%A9.jpg"),
            "uploads/s-1/a bé.jpg"
        );
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("a%zz"), "a%zz");
        for key in ["uploads/s 1/é+x.jpg", "uploads/a/b.png"] {
            assert_eq!(decode_key(&encode_key(key)), key);
        }
        let event = object_created_event("b", "uploads/s 1/a.jpg", 3);
        assert_eq!(
            event.records[0].s3.object.key.as_deref(),
            Some("uploads/s+1/a.jpg")
        );
        assert_eq!(
            object_key(&event.records[0]).as_deref(),
            Some("uploads/s 1/a.jpg")
        );
    }
}
