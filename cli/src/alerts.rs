//! `innova alerts run`: one alert-generator cycle now, on the configured database (the same
//! cycle the hourly schedule runs; idempotent, so running it next to the schedule is safe). It
//! runs even when the hourly alerts are paused: an operator asking for it is explicit.

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};

pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url).await?;
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), pool, services);
    let report = innova_app::alert_generator::run(&app, chrono::Utc::now()).await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
