//! A photo in the OCR uploads bucket → its transcription, for the `ocrWorker` (decisions.md 20,
//! workers-infra.md §2.3, §3.4, §4.5, §5).
//!
//! # Key convention
//!
//! `uploads/<studentId>/<attemptId>.<jpg|jpeg|png>`: the photo of the work of an existing
//! attempt, by its student. The key is the upload id of the `ocr_jobs` document (one job per
//! object: a redelivered event, or the same object again, does nothing the second time).
//!
//! # Outcomes
//!
//! * **Transcribed**: one `cost_events` row (worker `ocr-worker`, the model that answered), the
//!   attempt-reprocess message of §3.4 (`attempt_id` = the attempt, `latex_steps` = the first
//!   exercise's steps, `provider` = the model, `confidence` = that exercise's confidence,
//!   `trace_id` = the attempt's, no `guide_submission_id`), then a `completed` job document.
//! * **Failed for good** (a key outside the convention, no such attempt or another student's, not
//!   a JPEG/PNG by its magic number, a photo with no readable exercise, a provider that refuses
//!   the call): a `failed` job document saying why, nothing published, `Ok` (no retry would help;
//!   the event is not retried).
//! * **Not now** ([`AppError::Unavailable`]: OCR paused by its killswitch, the provider or a
//!   store unreachable): nothing written; the caller fails the event so it is retried.
//!
//! The message is published before the job document is written: a crash in between publishes
//! it again on the retry (at least once; the reprocess worker is idempotent per attempt), never
//! zero times.

use innova_domain::ids::{AttemptId, StudentId};
use std::time::Instant;

use bytes::Bytes;
use innova_core::db::cost_events::{self, NewCostEvent};
use innova_core::db::ocr_uploads as repo;
use innova_core::killswitch::Killswitch;
use innova_core::messages::AttemptReprocessMessage;
use innova_core::objects::{Bucket, ObjectError};
use innova_core::ocr::{MathOcr, OcrError, OcrPage};
use innova_core::telemetry::{
    self, BsonDateTime as DateTime, OcrBox, OcrJobDoc, OcrJobStatus, OcrResultDoc, OcrStepDoc,
    TelemetryError, TelemetryStore,
};
use innova_domain::pricing::Usage;

use crate::{App, AppError, AppResult};

/// The `worker` of this worker's cost events.
pub const WORKER: &str = "ocr-worker";

/// Days after which the bucket's lifecycle rule deletes an upload (`PurgeAfter30Days`).
pub const PURGE_AFTER_DAYS: i64 = 30;

/// What an object key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadKey {
    pub student_id: StudentId,
    pub attempt_id: AttemptId,
}

/// Parses `uploads/<studentId>/<attemptId>.<jpg|jpeg|png>` (the key already URL-decoded).
pub fn parse_key(key: &str) -> Result<UploadKey, String> {
    let expected = "expected uploads/<studentId>/<attemptId>.<jpg|jpeg|png>";
    let mut parts = key.split('/');
    let (Some("uploads"), Some(student), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("key `{key}`: {expected}"));
    };
    let Some((attempt, ext)) = file.rsplit_once('.') else {
        return Err(format!("key `{key}`: no extension, {expected}"));
    };
    if !matches!(ext.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png") {
        return Err(format!("key `{key}`: extension `{ext}`, {expected}"));
    }
    if student.is_empty() || attempt.is_empty() {
        return Err(format!("key `{key}`: {expected}"));
    }
    Ok(UploadKey {
        student_id: StudentId::new(student),
        attempt_id: AttemptId::new(attempt),
    })
}

/// The image type by its magic number: only JPEG and PNG are accepted.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// What happened to one upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Transcribed and published.
    Transcribed {
        attempt_id: AttemptId,
        steps: usize,
        cost_usd: f64,
    },
    /// A failed job document was written (why).
    Failed(String),
    /// The job document already existed: nothing done.
    AlreadyDone,
}

fn telemetry_error(e: TelemetryError) -> AppError {
    AppError::Unavailable(format!("telemetry store: {e}"))
}

/// Processes the object `key` of the OCR uploads bucket (see the module documentation).
pub async fn process(
    app: &App,
    ocr: &dyn MathOcr,
    store: &dyn TelemetryStore,
    key: &str,
) -> AppResult<Outcome> {
    if app
        .services
        .killswitches
        .state(Killswitch::Ocr)
        .await
        .is_paused()
    {
        return Err(AppError::Unavailable(format!(
            "OCR paused ({} = true)",
            Killswitch::Ocr.parameter()
        )));
    }
    if store.ocr_job(key).await.map_err(telemetry_error)?.is_some() {
        return Ok(Outcome::AlreadyDone);
    }
    let started = Instant::now();
    let job = Job::new(key);

    let upload = match parse_key(key) {
        Ok(upload) => upload,
        Err(reason) => return job.fail(store, None, "", reason, started).await,
    };
    let attempt = repo::attempt(&app.db, &upload.attempt_id).await?;
    let attempt = match attempt {
        Some(a) if a.student_id == upload.student_id => a,
        Some(_) => {
            let reason = format!(
                "attempt {} is not an attempt of student {}",
                upload.attempt_id, upload.student_id
            );
            return job.fail(store, Some(&upload), "", reason, started).await;
        }
        None => {
            let reason = format!("attempt {} does not exist", upload.attempt_id);
            return job.fail(store, Some(&upload), "", reason, started).await;
        }
    };
    let trace = attempt.trace_id.as_str();

    let bytes: Bytes = match app.services.objects.get(Bucket::OcrUploads, key).await {
        Ok(bytes) => bytes,
        Err(e @ ObjectError::NotFound { .. }) => {
            // Deleted before we got to it (or an event for another bucket).
            return job
                .fail(store, Some(&upload), trace, e.to_string(), started)
                .await;
        }
        Err(e) => return Err(AppError::Unavailable(format!("downloading {key}: {e}"))),
    };
    let Some(mime) = image_mime(&bytes) else {
        let reason = "not a JPEG or PNG image (magic number)".to_string();
        return job.fail(store, Some(&upload), trace, reason, started).await;
    };

    let page = match ocr.extract(bytes, mime).await {
        Ok(page) => page,
        Err(OcrError::Unavailable(reason)) => {
            return Err(AppError::Unavailable(format!("OCR provider: {reason}")));
        }
        Err(e) => {
            return job
                .fail(store, Some(&upload), trace, e.to_string(), started)
                .await;
        }
    };

    // Paid for, whatever follows.
    let (_, cost_usd) = cost_events::insert(
        &app.db,
        &NewCostEvent {
            worker: WORKER,
            model: &page.model,
            usage: Usage {
                input_tokens: page.usage.input_tokens,
                output_tokens: page.usage.output_tokens,
                ..Usage::default()
            },
            trace_id: trace,
        },
    )
    .await?;

    let Some(first) = page.exercises.first() else {
        let reason = "no readable exercise on the photo".to_string();
        let mut doc = job.doc(Some(&upload), trace, OcrJobStatus::Failed, &page, started);
        doc.cost_estimated_usd = cost_usd;
        doc.error_message = Some(reason.clone());
        store.record_ocr_job(&doc).await.map_err(telemetry_error)?;
        return Ok(Outcome::Failed(reason));
    };
    let message = AttemptReprocessMessage {
        attempt_id: Some(attempt.id.clone()),
        latex_steps: first
            .raw_steps
            .iter()
            .map(|s| s.expression.clone())
            .collect(),
        provider: page.model.clone(),
        confidence: first.confidence,
        trace_id: attempt.trace_id.clone(),
        guide_submission_id: None,
        guide_question_id: None,
        alignment_summary: None,
    };
    // Through the outbox: once stored, the transcription reaches the reprocess worker even if
    // this publish fails (the relay's), and S3's retry never pays for a second OCR call.
    let mut conn = app
        .db
        .acquire()
        .await
        .map_err(innova_core::db::DbError::from)?;
    let entry = crate::outbox::enqueue(&mut conn, &message).await?;
    drop(conn);
    crate::outbox::publish(app, vec![entry]).await;

    let mut doc = job.doc(
        Some(&upload),
        trace,
        OcrJobStatus::Completed,
        &page,
        started,
    );
    doc.cost_estimated_usd = cost_usd;
    doc.attempt_id = Some(attempt.id.to_string());
    doc.completed_at = Some(telemetry::now());
    store.record_ocr_job(&doc).await.map_err(telemetry_error)?;
    tracing::info!(key, attempt_id = %attempt.id, trace_id = trace, steps = message.latex_steps.len(),
        confidence = message.confidence, cost_usd, "OCR upload transcribed and published");
    Ok(Outcome::Transcribed {
        attempt_id: attempt.id,
        steps: message.latex_steps.len(),
        cost_usd,
    })
}

/// The parts of the job document known before the OCR call.
struct Job<'a> {
    key: &'a str,
    created: DateTime,
}

impl<'a> Job<'a> {
    fn new(key: &'a str) -> Self {
        Job {
            key,
            created: telemetry::now(),
        }
    }

    fn base(&self, upload: Option<&UploadKey>, trace: &str, status: OcrJobStatus) -> OcrJobDoc {
        let now = telemetry::now();
        OcrJobDoc {
            upload_id: self.key.to_string(),
            student_id: upload.map(|u| u.student_id.to_string()).unwrap_or_default(),
            trace_id: trace.to_string(),
            s3_key: self.key.to_string(),
            s3_purge_at: Some(DateTime::from_millis(
                self.created.timestamp_millis() + PURGE_AFTER_DAYS * 86_400_000,
            )),
            primary_provider: "gemini".into(),
            used_fallback: false,
            fallback_provider: None,
            ocr_result: None,
            cost_estimated_usd: 0.0,
            duration_ms: 0,
            status,
            error_message: None,
            attempt_id: None,
            completed_at: None,
            created_at: self.created,
            updated_at: now,
        }
    }

    /// The document of a call that answered: the first exercise (the one published) as result.
    fn doc(
        &self,
        upload: Option<&UploadKey>,
        trace: &str,
        status: OcrJobStatus,
        page: &OcrPage,
        started: Instant,
    ) -> OcrJobDoc {
        let mut doc = self.base(upload, trace, status);
        doc.primary_provider = page.provider.clone();
        doc.duration_ms = started.elapsed().as_millis() as i64;
        doc.ocr_result = Some(match page.exercises.first() {
            Some(first) => OcrResultDoc {
                topic_hint: first.topic_hint.clone(),
                steps: first
                    .raw_steps
                    .iter()
                    .map(|s| OcrStepDoc {
                        raw_text: s.expression.clone(),
                        kind: if s.is_final { "final" } else { "step" }.into(),
                        // Gemini returns no positions.
                        position: OcrBox::default(),
                        confidence: first.confidence,
                    })
                    .collect(),
                final_answer: Some(first.final_answer.clone()),
                overall_confidence: page.confidence,
            },
            None => OcrResultDoc {
                topic_hint: None,
                steps: Vec::new(),
                final_answer: None,
                overall_confidence: page.confidence,
            },
        });
        doc
    }

    /// Writes a failed job document (no OCR result) and reports it.
    async fn fail(
        &self,
        store: &dyn TelemetryStore,
        upload: Option<&UploadKey>,
        trace: &str,
        reason: String,
        started: Instant,
    ) -> AppResult<Outcome> {
        let mut doc = self.base(upload, trace, OcrJobStatus::Failed);
        doc.duration_ms = started.elapsed().as_millis() as i64;
        doc.error_message = Some(reason.clone());
        store.record_ocr_job(&doc).await.map_err(telemetry_error)?;
        tracing::warn!(
            key = self.key,
            reason,
            "OCR upload failed: job recorded, not retried"
        );
        Ok(Outcome::Failed(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_student_and_the_attempt() {
        assert_eq!(
            parse_key("uploads/s-1/a-1.jpg"),
            Ok(UploadKey {
                student_id: "s-1".into(),
                attempt_id: "a-1".into()
            })
        );
        assert!(parse_key("uploads/s-1/a-1.PNG").is_ok());
        for bad in [
            "uploads/s-1/a-1.gif",
            "uploads/s-1/a-1",
            "uploads/a-1.jpg",
            "other/s-1/a-1.jpg",
            "uploads/s-1/x/a-1.jpg",
            "uploads//a-1.jpg",
            "uploads/s-1/.jpg",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_jpeg_and_png_magic_numbers_are_images() {
        assert_eq!(image_mime(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(image_mime(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(image_mime(b"hello, not an image"), None);
        assert_eq!(image_mime(b""), None);
        assert_eq!(image_mime(b"GIF89a"), None);
    }
}
