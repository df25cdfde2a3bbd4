//! The `attemptReprocessWorker` Lambda function: SQS batches from `attempt-reprocess-queue`
//! (graded guide submissions from the AI engine, photo transcriptions from the `ocrWorker`),
//! answered with the ids of the failed records (ReportBatchItemFailures).

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::queue::{SqsEvent, SqsHandler};
use innova_core::services::{Runtime, Services};
use innova_workers::attempt_reprocess::AttemptReprocessHandler;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Cold start: a configuration error stops the instance with a message naming the variable.
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    let runtime = Runtime::detect();
    let pool = db::connect_lazy(&config.database_url, &db::pool_config(&config, runtime))?;
    let services = Services::for_runtime(&config, runtime);
    let handler = Arc::new(AttemptReprocessHandler::new(App::new(
        Arc::new(config),
        pool,
        services,
    )));

    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = handler.clone();
        async move { Ok::<_, Error>(handler.handle(event.payload).await) }
    }))
    .await
}
