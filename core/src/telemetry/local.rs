//! The local telemetry store: one JSON-lines file per collection under
//! `<data_dir>/telemetry/` (`attempt_events.jsonl`, …), appended to, with the keys of the
//! idempotent collections indexed in memory (loaded from the files on first use, so idempotency
//! survives restarts). Dates are written as MongoDB extended JSON (`{"$date": …}`), so the files
//! can be loaded with `mongoimport`. One process at a time (the local server).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::{
    ATTEMPT_EVENTS, AttemptEventDoc, LLM_CLASSIFICATION_JOBS, LlmClassificationJobDoc, OCR_JOBS,
    OcrJobDoc, Recorded, TelemetryError, TelemetryStore,
};

/// Telemetry as JSON lines on the local disk.
#[derive(Debug)]
pub struct LocalTelemetry {
    dir: PathBuf,
    state: Mutex<Option<State>>,
}

#[derive(Debug, Default)]
struct State {
    attempts: HashMap<String, AttemptEventDoc>,
    ocr_uploads: HashSet<String>,
}

impl LocalTelemetry {
    /// A store in `<data_dir>/telemetry`; the files are read on first use.
    pub fn new(data_dir: &Path) -> Self {
        LocalTelemetry {
            dir: data_dir.join("telemetry"),
            state: Mutex::new(None),
        }
    }

    /// The file of `collection`.
    pub fn file(&self, collection: &str) -> PathBuf {
        self.dir.join(format!("{collection}.jsonl"))
    }

    async fn load(&self) -> Result<State, TelemetryError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let mut state = State::default();
        for doc in read_lines::<AttemptEventDoc>(&self.file(ATTEMPT_EVENTS)).await? {
            state.attempts.entry(doc.attempt_id.clone()).or_insert(doc);
        }
        for doc in read_lines::<OcrJobDoc>(&self.file(OCR_JOBS)).await? {
            state.ocr_uploads.insert(doc.upload_id);
        }
        Ok(state)
    }

    async fn append<T: Serialize>(&self, collection: &str, doc: &T) -> Result<(), TelemetryError> {
        let mut line =
            serde_json::to_vec(doc).map_err(|e| TelemetryError::Encode(e.to_string()))?;
        line.push(b'\n');
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.file(collection))
            .await?;
        file.write_all(&line).await?;
        file.flush().await?;
        Ok(())
    }
}

/// The documents of a JSON-lines file; a line that does not parse (a write cut short) is skipped.
async fn read_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, TelemetryError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut docs = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str(line) {
            Ok(doc) => docs.push(doc),
            Err(e) => {
                tracing::warn!(file = %path.display(), line = i + 1, error = %e, "skipping an unreadable telemetry line")
            }
        }
    }
    Ok(docs)
}

/// Runs `f` on the loaded state, loading it first if needed.
macro_rules! with_state {
    ($self:ident, $state:ident => $body:expr) => {{
        let mut guard = $self.state.lock().await;
        if guard.is_none() {
            *guard = Some($self.load().await?);
        }
        let $state = guard.as_mut().expect("loaded above");
        $body
    }};
}

#[async_trait]
impl TelemetryStore for LocalTelemetry {
    async fn ensure_ready(&self) -> Result<(), TelemetryError> {
        with_state!(self, _state => Ok(()))
    }

    async fn record_attempt_event(
        &self,
        doc: &AttemptEventDoc,
    ) -> Result<Recorded, TelemetryError> {
        with_state!(self, state => {
            if state.attempts.contains_key(&doc.attempt_id) {
                return Ok(Recorded { inserted: false });
            }
            self.append(ATTEMPT_EVENTS, doc).await?;
            state.attempts.insert(doc.attempt_id.clone(), doc.clone());
            Ok(Recorded { inserted: true })
        })
    }

    async fn attempt_event(
        &self,
        attempt_id: &str,
    ) -> Result<Option<AttemptEventDoc>, TelemetryError> {
        with_state!(self, state => Ok(state.attempts.get(attempt_id).cloned()))
    }

    async fn insert_llm_classification_job(
        &self,
        doc: &LlmClassificationJobDoc,
    ) -> Result<(), TelemetryError> {
        with_state!(self, _state => self.append(LLM_CLASSIFICATION_JOBS, doc).await)
    }

    async fn record_ocr_job(&self, doc: &OcrJobDoc) -> Result<Recorded, TelemetryError> {
        with_state!(self, state => {
            if state.ocr_uploads.contains(&doc.upload_id) {
                return Ok(Recorded { inserted: false });
            }
            self.append(OCR_JOBS, doc).await?;
            state.ocr_uploads.insert(doc.upload_id.clone());
            Ok(Recorded { inserted: true })
        })
    }
}
