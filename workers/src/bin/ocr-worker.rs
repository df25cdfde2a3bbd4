//! The `ocrWorker` Lambda function: S3 `ObjectCreated` events of the OCR uploads bucket
//! (asynchronous invocation; a failed invocation is retried twice by Lambda, see
//! `innova_workers::ocr`).

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};
use innova_workers::ocr::OcrHandler;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Cold start: a configuration error stops the instance with a message naming the variable.
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    let runtime = Runtime::detect();
    let services = Services::for_runtime(&config, runtime);
    let ocr = services.ocr.clone().ok_or(
        "configuration error: GEMINI_API_KEY is not set, the OCR worker cannot transcribe",
    )?;
    let telemetry = innova_core::telemetry::from_config(&config, runtime);
    telemetry
        .ensure_ready()
        .await
        .map_err(|e| format!("telemetry store: {e}"))?;
    let pool = db::connect_lazy(&config.database_url, &db::pool_config(&config, runtime))?;
    let app = App::new(Arc::new(config), pool, services);
    let handler = Arc::new(OcrHandler::new(app, ocr, telemetry));

    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        let handler = handler.clone();
        async move {
            let outcomes = handler.handle(event.payload).await?;
            Ok::<_, Error>(format!("{outcomes:?}"))
        }
    }))
    .await
}
