//! Throughput of the attempt-reprocess handler (scripts/bench-reprocess): `MESSAGES` graded
//! submissions prepared by the script (`bench-sub-<n>`, n from 1), delivered in batches of 10
//! as SQS events, one after the other. Prints messages/s; the script counts the statements.
//!
//! Every fifth answer is one the rules cannot read (published to the embedded llm-classify
//! queue), the others alternate right and wrong-by-a-known-rule.

use std::sync::Arc;
use std::time::Instant;

use innova_app::App;
use innova_core::config::Config;
use innova_core::queue::{SqsEvent, SqsHandler, SqsMessage};
use innova_core::services::{Runtime, Services};
use innova_workers::attempt_reprocess::AttemptReprocessHandler;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let messages: usize = std::env::var("MESSAGES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000);
    let config = Config::from_env()?;
    let pool = innova_core::db::connect(&config.database_url).await?;
    let services = Services::for_runtime(&config, Runtime::Local);
    let handler = AttemptReprocessHandler::new(App::new(Arc::new(config), pool, services));

    let body = |n: usize| {
        let (steps, score) = match n % 5 {
            0 => (vec!["\\frac{2}{6}"], 0.2),
            1 | 3 => (vec!["53 - 26", "27"], 1.0),
            _ => (vec!["53 - 26", "33"], 0.0),
        };
        json!({
            "attempt_id": null, "latex_steps": steps, "provider": "claude-haiku", "confidence": 0.9,
            "trace_id": format!("bench-{n}"), "guide_submission_id": format!("bench-sub-{n}"),
            "alignment_summary": { "path": "MAIN", "first_error_checkpoint": null, "score_0_1": score },
        })
        .to_string()
    };
    let started = Instant::now();
    let mut failures = 0;
    for chunk in (1..=messages).collect::<Vec<_>>().chunks(10) {
        let mut event = SqsEvent::default();
        for n in chunk {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("m-{n}"));
            record.body = Some(body(*n));
            event.records.push(record);
        }
        failures += handler.handle(event).await.batch_item_failures.len();
    }
    let elapsed = started.elapsed();
    println!(
        "{messages} messages in {:.0} ms: {:.0} messages/s, {failures} failed",
        elapsed.as_secs_f64() * 1000.0,
        messages as f64 / elapsed.as_secs_f64()
    );
    anyhow::ensure!(failures == 0, "{failures} records failed");
    Ok(())
}
