//! The telemetry archive (decisions.md 20): attempt events older than the retention window
//! (`TELEMETRY_RETENTION_DAYS`, default 30) → gzip-compressed JSON lines in the submissions
//! bucket, one object per UTC day, then `archived_to_s3_at` set on each archived event.
//!
//! # Objects
//!
//! `telemetry-archive/attempt_events/<yyyy-mm-dd>.jsonl.gz` ([`PREFIX`]), a line per event (the
//! document as the store keeps it, dates in MongoDB extended JSON, so `mongoimport` reads it),
//! in `createdAt` order. The window is counted in whole UTC days: a run archives the days before
//! `today - retention`, which are complete (events are created when they arrive), so a day's
//! object is normally written once, with all its events.
//!
//! # Idempotency
//!
//! An event is marked only after the object holding it is stored, and a day that already has
//! objects gets a **new part** (`<yyyy-mm-dd>.part-<n>.jsonl.gz`, n = 2, 3, …) holding only the
//! events that are in none of its parts (read back first): a run interrupted between storing and
//! marking (or a day with more than one batch of events) never writes a line twice, and a run
//! with nothing left to archive writes nothing. Requires telling a missing object from a failed
//! read (`s3:ListBucket` on the bucket; without it S3 answers 403 for a missing key and the run
//! fails instead of guessing).

use std::collections::HashSet;
use std::io::{BufRead, Read, Write};

use bytes::Bytes;
use chrono::{DateTime, Days, NaiveDate, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use innova_core::objects::{Bucket, ObjectError};
use innova_core::telemetry::{self, AttemptEventDoc, BsonDateTime, TelemetryStore};

use crate::{App, AppError, AppResult};

/// Where the day objects go, in the submissions bucket.
pub const PREFIX: &str = "telemetry-archive/attempt_events";

/// Events read per query; memory is bounded by one batch.
pub const BATCH: usize = 5_000;

/// Batches per run: an hourly run does at most this much, the next run continues.
pub const MAX_BATCHES: usize = 40;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveReport {
    /// Objects written (keys).
    pub objects: Vec<String>,
    /// Events marked archived.
    pub archived: u64,
}

/// The key of part `part` (1-based) of `day`.
pub fn object_key(day: NaiveDate, part: u32) -> String {
    if part <= 1 {
        format!("{PREFIX}/{day}.jsonl.gz")
    } else {
        format!("{PREFIX}/{day}.part-{part}.jsonl.gz")
    }
}

/// The first instant that is not archived at `now`: midnight UTC, `retention_days` days ago.
pub fn cutoff(now: DateTime<Utc>, retention_days: u32) -> DateTime<Utc> {
    let day = now
        .date_naive()
        .checked_sub_days(Days::new(u64::from(retention_days)))
        .unwrap_or(NaiveDate::MIN);
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

fn store_error(e: telemetry::TelemetryError) -> AppError {
    AppError::Unavailable(format!("telemetry store: {e}"))
}

fn day_of(doc: &AttemptEventDoc) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(doc.created_at.timestamp_millis())
        .unwrap_or_default()
        .date_naive()
}

/// Archives what is older than the configured retention at `now` (see the module documentation).
pub async fn run(
    app: &App,
    store: &dyn TelemetryStore,
    now: DateTime<Utc>,
) -> AppResult<ArchiveReport> {
    let before = cutoff(now, app.config.telemetry_retention_days);
    let before = BsonDateTime::from_millis(before.timestamp_millis());
    let mut report = ArchiveReport::default();
    for _ in 0..MAX_BATCHES {
        let docs = store
            .unarchived_attempt_events(before, BATCH)
            .await
            .map_err(store_error)?;
        if docs.is_empty() {
            break;
        }
        let full = docs.len() == BATCH;
        let mut days: Vec<(NaiveDate, Vec<AttemptEventDoc>)> = Vec::new();
        for doc in docs {
            let day = day_of(&doc);
            match days.last_mut() {
                Some((d, group)) if *d == day => group.push(doc),
                _ => days.push((day, vec![doc])),
            }
        }
        // A full batch may end in the middle of its last day: leave that day to the next batch
        // (which starts with it) so that it gets one object, unless the batch is that one day.
        if full && days.len() > 1 {
            days.pop();
        }
        for (day, group) in days {
            archive_day(app, store, day, group, &mut report).await?;
        }
    }
    if !report.objects.is_empty() || report.archived > 0 {
        tracing::info!(objects = ?report.objects, archived = report.archived, "telemetry archived");
    }
    Ok(report)
}

/// Writes the events of `day` that no part of it holds yet as a new part, then marks them all.
async fn archive_day(
    app: &App,
    store: &dyn TelemetryStore,
    day: NaiveDate,
    events: Vec<AttemptEventDoc>,
    report: &mut ArchiveReport,
) -> AppResult<()> {
    let objects = &app.services.objects;
    let mut in_parts: HashSet<String> = HashSet::new();
    let mut part = 1;
    loop {
        let key = object_key(day, part);
        match objects.get(Bucket::Submissions, &key).await {
            Ok(bytes) => in_parts.extend(attempt_ids(&bytes).map_err(|e| {
                AppError::internal(format!("archive object {key} is unreadable: {e}"))
            })?),
            Err(ObjectError::NotFound { .. }) => break,
            Err(e) => return Err(AppError::Unavailable(format!("reading {key}: {e}"))),
        }
        part += 1;
    }
    let fresh: Vec<&AttemptEventDoc> = events
        .iter()
        .filter(|d| !in_parts.contains(&d.attempt_id))
        .collect();
    if !fresh.is_empty() {
        let key = object_key(day, part);
        let body = gzip_lines(&fresh)?;
        objects
            .put(Bucket::Submissions, &key, body, Some("application/gzip"))
            .await
            .map_err(|e| AppError::Unavailable(format!("writing {key}: {e}")))?;
        report.objects.push(key);
    }
    let ids: Vec<String> = events.into_iter().map(|d| d.attempt_id).collect();
    report.archived += store
        .mark_attempt_events_archived(&ids, telemetry::now())
        .await
        .map_err(store_error)?;
    Ok(())
}

fn gzip_lines(docs: &[&AttemptEventDoc]) -> AppResult<Bytes> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    for doc in docs {
        serde_json::to_writer(&mut gz, doc).map_err(AppError::internal)?;
        gz.write_all(b"\n").map_err(AppError::internal)?;
    }
    Ok(Bytes::from(gz.finish().map_err(AppError::internal)?))
}

/// The `attempt_id`s of a day object's lines.
pub fn attempt_ids(gzipped: &[u8]) -> std::io::Result<Vec<String>> {
    let mut text = String::new();
    GzDecoder::new(gzipped).read_to_string(&mut text)?;
    let mut ids = Vec::new();
    for line in text.as_bytes().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line)?;
        match value.get("attempt_id").and_then(|v| v.as_str()) {
            Some(id) => ids.push(id.to_string()),
            None => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "a line without attempt_id",
                ));
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_whole_utc_days() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(cutoff(now, 30).to_rfc3339(), "2026-11-02T00:00:00+00:00");
        assert_eq!(cutoff(now, 1).to_rfc3339(), "2026-12-01T00:00:00+00:00");
    }

    #[test]
    fn parts_after_the_first_are_numbered() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            object_key(day, 1),
            "telemetry-archive/attempt_events/2026-11-01.jsonl.gz"
        );
        assert_eq!(
            object_key(day, 2),
            "telemetry-archive/attempt_events/2026-11-01.part-2.jsonl.gz"
        );
    }
}
