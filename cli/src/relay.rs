//! `innova relay-outbox`: publishes now what waits in the transactional outbox (the relay the
//! `alertGenerator` function runs every minute on Lambda, and `innova-api` every few seconds)
//! and prints what it did (JSON). Rows still in their request's grace (a few seconds) wait.
//!
//! With `SQS_*_URL` the messages go to SQS; without, the queues are embedded in this process and
//! its workers handle them before the command ends.

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};

pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url).await?;
    let services = Services::for_runtime(&config, Runtime::Local);
    innova_workers::register_embedded(&config, &services, &pool);
    let app = App::new(Arc::new(config), pool, services.clone());
    let report = innova_workers::outbox_relay::run_scheduled(&app).await?;
    services.wait_idle().await;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
