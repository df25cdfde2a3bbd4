//! Worker handlers. Each Lambda binary in `src/bin` is a thin `main` around one of these; a local
//! process (the API under `scripts/dev`) runs the same handlers through the embedded queue, see
//! [`register_embedded`].

use std::sync::Arc;

use innova_core::config::Config;
use innova_core::queue::QueueName;
use innova_core::services::{Runtime, Services};
use sqlx::PgPool;

pub mod telemetry;

/// Registers every worker whose queue is embedded in this process as its in-process consumer
/// (queues that go through SQS are consumed by the Lambda functions instead). Returns the queues
/// it registered.
pub fn register_embedded(config: &Config, services: &Services, db: &PgPool) -> Vec<QueueName> {
    let mut registered = Vec::new();
    // Embedded queues exist in local processes only.
    let store = innova_core::telemetry::from_config(config, Runtime::Local);
    let telemetry = telemetry::TelemetryHandler::new(store, db.clone());
    if services.register_handler(QueueName::AttemptStream, Arc::new(telemetry)) {
        registered.push(QueueName::AttemptStream);
    }
    registered
}
