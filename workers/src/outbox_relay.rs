//! The outbox relay (decision 22, [`innova_app::outbox::relay`]): publishes the messages that a
//! failed publish or a dead process left in `innova.outbox`. On Lambda the `alertGenerator`
//! function runs it every minute (an EventBridge `rate(1 minute)` schedule whose input is
//! [`RELAY_EVENT`]) and before each hourly cycle; in a local process [`spawn`] runs it every
//! few seconds; `innova relay-outbox` runs it now.

use std::time::Duration;

use innova_app::outbox::{self, RelayReport};
use innova_app::{App, AppResult};

/// The most rows one run publishes (a run must finish well inside the function's timeout).
pub const MAX_ROWS_PER_RUN: usize = 500;

/// The scheduled event's input that asks the `alertGenerator` function for a relay run only.
pub const RELAY_EVENT: &str = "outbox-relay";

/// One run; a failure is logged and reported (the rows stay for the next run).
pub async fn run_scheduled(app: &App) -> AppResult<RelayReport> {
    outbox::relay(app, MAX_ROWS_PER_RUN).await.inspect_err(|e| {
        tracing::error!(error = %e, "outbox relay failed");
    })
}

/// Whether a scheduled event asks for the relay only (`{"job": "outbox-relay"}`).
pub fn is_relay_event(event: &serde_json::Value) -> bool {
    event.get("job").and_then(serde_json::Value::as_str) == Some(RELAY_EVENT)
}

/// Runs the relay every `period` in the background of a long-running local process.
pub fn spawn(app: App, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let _ = run_scheduled(&app).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_relay_input_asks_for_the_relay() {
        assert!(is_relay_event(&serde_json::json!({"job": "outbox-relay"})));
        assert!(!is_relay_event(&serde_json::json!({"job": "alerts"})));
        assert!(!is_relay_event(
            &serde_json::json!({"source": "aws.events"})
        ));
        assert!(!is_relay_event(&serde_json::Value::Null));
    }
}
