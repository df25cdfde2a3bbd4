//! The telemetry archive on the hourly schedule ([`innova_app::telemetry_archive`]): called by
//! the alert generator's [`run_scheduled`](crate::alert_generator::run_scheduled) (one
//! schedule, one EventBridge rule), and by `innova telemetry-archive`.

use chrono::Utc;
use innova_app::telemetry_archive::{self, ArchiveReport};
use innova_app::{App, AppResult};
use innova_core::services::Runtime;

/// Archives what is older than `TELEMETRY_RETENTION_DAYS`, with the telemetry store of this
/// configuration.
pub async fn run(app: &App) -> AppResult<ArchiveReport> {
    let store = innova_core::telemetry::from_config(&app.config, Runtime::detect());
    telemetry_archive::run(app, store.as_ref(), Utc::now()).await
}

/// [`run`] for the hourly schedule: a failure is logged, never propagated, so that it does not
/// stop the other scheduled jobs; the next hour retries (each run is idempotent).
pub async fn run_scheduled(app: &App) -> Option<ArchiveReport> {
    match run(app).await {
        Ok(report) => Some(report),
        Err(e) => {
            tracing::error!(error = %e, "telemetry archive failed: retried next hour");
            None
        }
    }
}
