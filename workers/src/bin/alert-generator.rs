//! The `alertGenerator` Lambda function, invoked hourly by EventBridge, and every minute with the
//! input `{"job": "outbox-relay"}` for the outbox relay alone. A failed cycle fails the
//! invocation (Lambda retries an asynchronous invoke twice); a cycle is idempotent, so a retry
//! inserts only what the failed one did not.

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    let runtime = Runtime::detect();
    let pool = db::connect_lazy(&config.database_url, &db::pool_config(&config, runtime))?;
    let services = Services::for_runtime(&config, runtime);
    let app = App::new(Arc::new(config), pool, services);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            if innova_workers::outbox_relay::is_relay_event(&event.payload) {
                let report = innova_workers::outbox_relay::run_scheduled(&app).await?;
                return Ok::<_, Error>(serde_json::to_value(report)?);
            }
            let report = innova_workers::alert_generator::run_scheduled(&app).await?;
            Ok::<_, Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
