//! `innova reenqueue-pending`: publishes again the llm-classify message of every attempt left
//! PENDING for longer than `--older-than-minutes` (the hourly schedule's job, now; idempotent).
//! Prints the report (JSON).
//!
//! With `SQS_LLM_CLASSIFY_URL` the messages go to SQS, where the Lambda worker consumes them.
//! Without it the queue is embedded in this very process, so the command runs the classifier
//! itself (it needs `ANTHROPIC_API_KEY`) and ends when the messages are handled.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};

pub async fn run(older_than_minutes: u64, limit: u32) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url).await?;
    let services = Services::for_runtime(&config, Runtime::Local);
    let embedded = config.queues.llm_classify.is_none();
    if embedded {
        let store = innova_core::telemetry::from_config(&config, Runtime::Local);
        if !innova_workers::llm_classifier::register_embedded(&config, &services, &pool, store) {
            bail!(
                "nothing would classify the re-enqueued attempts: SQS_LLM_CLASSIFY_URL is not set \
                 (the queue is in this process) and neither is ANTHROPIC_API_KEY"
            );
        }
    }
    let app = App::new(Arc::new(config), pool, services.clone());
    let older_than = Duration::from_secs(older_than_minutes.saturating_mul(60));
    let report = innova_app::reenqueue::run(&app, older_than, limit).await?;
    if embedded {
        services.wait_idle().await;
    }
    println!("{}", serde_json::to_string(&report)?);
    if report.failed > 0 {
        bail!(
            "{} of {} messages could not be published",
            report.failed,
            report.found
        );
    }
    Ok(())
}
