//! The hourly re-enqueue of attempts left PENDING ([`innova_app::reenqueue`]), run by the
//! alert generator's schedule (one EventBridge rule, one Lambda): on Lambda by the
//! `alertGenerator` function, locally by `innova-api`'s hourly task; `innova reenqueue-pending`
//! runs it now.

use innova_app::App;
use innova_app::reenqueue::{self, DEFAULT_LIMIT, DEFAULT_OLDER_THAN, ReenqueueReport};
use innova_core::killswitch::Killswitch;

/// One scheduled run. Never fails the schedule it rides on: an error is logged (the next hour
/// finds the same attempts). Skipped while the LLM classifier is paused, whose worker would
/// only hand the messages back.
pub async fn run_scheduled(app: &App) -> Option<ReenqueueReport> {
    let switch = Killswitch::Classifier;
    if app.services.killswitches.state(switch).await.is_paused() {
        tracing::info!(
            parameter = switch.parameter(),
            "LLM classifier paused: re-enqueue of PENDING attempts skipped"
        );
        return None;
    }
    match reenqueue::run(app, DEFAULT_OLDER_THAN, DEFAULT_LIMIT).await {
        Ok(report) => Some(report),
        Err(e) => {
            tracing::error!(error = %e, "re-enqueue of PENDING attempts failed");
            None
        }
    }
}
