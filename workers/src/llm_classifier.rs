//! `llmClassifierWorker` (decisions.md 20–21): the consumer of `llm-classify-queue`. Each batch
//! (up to 20 records) goes through [`innova_app::classify::classify_batch`]: one model call per
//! subdomain, each attempt classified in its own transaction, a cost event and an audit document
//! per call.
//!
//! Per record: the body must be an llm-classify message (§3.2) with a non-empty `id`, else the
//! record fails (and, being unreadable, reaches the DLQ after `maxReceiveCount`). When the LLM
//! killswitch (`/innova/llm/paused`) is paused, the whole batch fails without calling the model:
//! the messages come back after their visibility timeout.

use std::sync::Arc;

use async_trait::async_trait;
use innova_app::App;
use innova_app::classify::{self, Outcome, Ports};
use innova_core::config::Config;
use innova_core::killswitch::Killswitch;
use innova_core::llm::LlmClassifier;
use innova_core::messages::LlmClassifyMessage;
use innova_core::queue::{QueueName, SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};
use innova_core::services::Services;
use innova_core::telemetry::TelemetryStore;
use sqlx::PgPool;

use crate::record_failed;

/// Consumer of `llm-classify-queue`.
pub struct LlmClassifierHandler {
    app: App,
    llm: Arc<dyn LlmClassifier>,
    jobs: Arc<dyn TelemetryStore>,
}

impl LlmClassifierHandler {
    pub fn new(app: App, llm: Arc<dyn LlmClassifier>, jobs: Arc<dyn TelemetryStore>) -> Self {
        LlmClassifierHandler { app, llm, jobs }
    }
}

#[async_trait]
impl SqsHandler for LlmClassifierHandler {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let mut parsed: Vec<(&str, LlmClassifyMessage)> = Vec::with_capacity(event.records.len());
        for record in &event.records {
            match parse(record) {
                Ok(p) => parsed.push(p),
                Err(reason) => {
                    let id = record.message_id.as_deref().unwrap_or_default();
                    tracing::error!(message_id = id, reason, "malformed llm-classify message");
                    response.add_failure(id);
                }
            }
        }
        if parsed.is_empty() {
            return response;
        }

        let switch = Killswitch::Classifier;
        if self
            .app
            .services
            .killswitches
            .state(switch)
            .await
            .is_paused()
        {
            tracing::warn!(
                parameter = switch.parameter(),
                records = parsed.len(),
                "LLM classifier paused: batch returned to the queue without calling the model"
            );
            for (message_id, _) in &parsed {
                response.add_failure(*message_id);
            }
            return response;
        }

        let messages: Vec<LlmClassifyMessage> = parsed.iter().map(|(_, m)| m.clone()).collect();
        let ports = Ports {
            llm: self.llm.as_ref(),
            jobs: self.jobs.as_ref(),
        };
        let outcomes = match classify::classify_batch(&self.app, ports, &messages).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                for (message_id, _) in &parsed {
                    record_failed(&mut response, message_id, &e);
                }
                return response;
            }
        };
        for (message_id, m) in &parsed {
            match outcomes.get(&m.id) {
                Some(Ok(Outcome::Classified {
                    error_tag_code,
                    confidence,
                })) => {
                    tracing::info!(attempt_id = %m.id, error_tag_code, confidence, "attempt classified by the LLM");
                }
                Some(Ok(Outcome::Skipped(reason))) => {
                    tracing::info!(attempt_id = %m.id, reason, "nothing to classify");
                }
                Some(Err(e)) => record_failed(&mut response, message_id, e),
                None => {
                    tracing::error!(attempt_id = %m.id, "no outcome for the attempt: record retried");
                    response.add_failure(*message_id);
                }
            }
        }
        response
    }
}

fn parse(record: &SqsMessage) -> Result<(&str, LlmClassifyMessage), String> {
    let message_id = record
        .message_id
        .as_deref()
        .ok_or("the record has no messageId")?;
    let body = record.body.as_deref().ok_or("the record has no body")?;
    let message: LlmClassifyMessage =
        serde_json::from_str(body).map_err(|e| format!("not an llm-classify message: {e}"))?;
    if message.id.trim().is_empty() {
        return Err("id is empty".into());
    }
    Ok((message_id, message))
}

/// Makes the classifier the in-process consumer of `llm-classify-queue` when that queue is
/// embedded and an Anthropic key is configured. Without a key it is not started: the messages
/// stay queued (decisions §3) and the log says so, as `GET /admin/status` does.
pub fn register_embedded(
    config: &Config,
    services: &Services,
    db: &PgPool,
    jobs: Arc<dyn TelemetryStore>,
) -> bool {
    let Some(llm) = innova_core::llm::from_config(config) else {
        if config.queues.llm_classify.is_none() {
            tracing::warn!(
                "LLM classifier not started: ANTHROPIC_API_KEY is not set; llm-classify messages \
                 stay queued and UNCLASSIFIED attempts stay PENDING"
            );
        }
        return false;
    };
    let app = App::new(Arc::new(config.clone()), db.clone(), services.clone());
    let handler = LlmClassifierHandler::new(app, llm, jobs);
    services.register_handler(QueueName::LlmClassify, Arc::new(handler))
}
