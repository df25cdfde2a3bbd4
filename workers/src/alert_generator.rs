//! `alertGenerator`: the hourly teacher-alert cycle ([`innova_app::alert_generator`]), behind
//! the hourly-alerts killswitch (`/innova/alerts/paused`). On Lambda an EventBridge
//! `rate(1 hour)` schedule invokes it (the event's payload is ignored); in a local process
//! [`spawn_hourly`] runs it every hour; `innova alerts run` runs it now. The same function also
//! carries the outbox relay ([`crate::outbox_relay`]): a second schedule, every minute, whose
//! input `{"job": "outbox-relay"}` asks for the relay alone.

use std::time::Duration;

use chrono::Utc;
use innova_app::alert_generator::{self, RunReport};
use innova_app::{App, AppResult};
use innova_core::killswitch::Killswitch;

/// One scheduled cycle: `None` when the hourly alerts are paused (nothing is read or written).
pub async fn run_scheduled(app: &App) -> AppResult<Option<RunReport>> {
    let _ = crate::outbox_relay::run_scheduled(app).await; // logs its own failure
    // Guides the AI engine never finished: failed, their teachers told (logs its own failure).
    if let Err(e) = innova_app::guides::fail_stuck(app, innova_core::db::now()).await {
        tracing::error!(error = %e, "sweeping stuck guides failed");
    }
    // Retry keys and mastery-history points past their use (logs its own failure).
    match innova_app::maintenance::prune(app, innova_core::db::now()).await {
        Ok(p) => tracing::info!(
            attempt_requests = p.attempt_requests,
            mastery_history = p.mastery_history,
            "pruned"
        ),
        Err(e) => tracing::error!(error = %e, "pruning failed"),
    }
    crate::reenqueue::run_scheduled(app).await; // --- LLM classifier: its own killswitch; never fails this cycle
    crate::telemetry_archive::run_scheduled(app).await; // --- OCR / archive (logs its own failure)
    if app
        .services
        .killswitches
        .state(Killswitch::HourlyAlerts)
        .await
        .is_paused()
    {
        tracing::info!(
            parameter = Killswitch::HourlyAlerts.parameter(),
            "hourly alerts paused: cycle skipped"
        );
        return Ok(None);
    }
    alert_generator::run(app, Utc::now()).await.map(Some)
}

/// Runs [`run_scheduled`] every `period` in the background of a long-running local process (the
/// first cycle one period after start, as the hourly schedule). A failed cycle is logged and
/// the next one runs as planned: each cycle is idempotent.
pub fn spawn_hourly(app: App, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = run_scheduled(&app).await {
                tracing::error!(error = %e, "alert generator cycle failed");
            }
        }
    })
}
