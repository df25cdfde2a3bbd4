//! The `telemetryWorker` Lambda function: SQS batches from `attempt-stream.fifo`, answered with
//! the ids of the failed records (ReportBatchItemFailures).

use std::sync::Arc;

use innova_core::config::Config;
use innova_core::db;
use innova_core::queue::{SqsEvent, SqsHandler};
use innova_core::services::Runtime;
use innova_workers::telemetry::TelemetryHandler;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Cold start: a configuration error stops the instance with a message naming the variable.
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    let runtime = Runtime::detect();
    let telemetry = innova_core::telemetry::from_config(&config, runtime);
    // Connect and create the indexes now: an unreachable or unconfigured MongoDB fails the cold
    // start (Lambda retries the batch) instead of every record.
    telemetry
        .ensure_ready()
        .await
        .map_err(|e| format!("telemetry store: {e}"))?;
    // On Lambda one connection per instance (the Supabase transaction pooler multiplexes them),
    // unless DATABASE_POOL_MAX says otherwise.
    let pool = db::connect_lazy(&config.database_url, &db::pool_config(&config, runtime))?;
    let handler = Arc::new(TelemetryHandler::new(telemetry, pool));

    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = handler.clone();
        async move { Ok::<_, Error>(handler.handle(event.payload).await) }
    }))
    .await
}
