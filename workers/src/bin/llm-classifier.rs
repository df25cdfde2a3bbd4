//! The `llmClassifierWorker` Lambda function: SQS batches from `llm-classify-queue`, answered
//! with the ids of the failed records (ReportBatchItemFailures).

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::queue::{SqsEvent, SqsHandler};
use innova_core::services::{Runtime, Services};
use innova_workers::llm_classifier::LlmClassifierHandler;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Cold start: a configuration error stops the instance with a message naming the variable.
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    let runtime = Runtime::detect();
    // Without a key the function cannot classify: failing the cold start returns every batch
    // to the queue (then its DLQ) instead of acknowledging work it did not do.
    let llm = innova_core::llm::from_config(&config)
        .ok_or("configuration error: ANTHROPIC_API_KEY is required by the LLM classifier")?;
    let jobs = innova_core::telemetry::from_config(&config, runtime);
    jobs.ensure_ready()
        .await
        .map_err(|e| format!("telemetry store: {e}"))?;
    let pool = db::connect_lazy(&config.database_url, &db::pool_config(&config, runtime))?;
    let services = Services::for_runtime(&config, runtime);
    let app = App::new(Arc::new(config), pool, services);
    let handler = Arc::new(LlmClassifierHandler::new(app, llm, jobs));

    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = handler.clone();
        async move { Ok::<_, Error>(handler.handle(event.payload).await) }
    }))
    .await
}
