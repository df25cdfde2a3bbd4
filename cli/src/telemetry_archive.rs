//! `innova telemetry-archive`: one telemetry-archive run now (the same run the hourly schedule
//! does; idempotent), printing the objects written and the events marked (JSON).

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db;
use innova_core::services::{Runtime, Services};

pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let pool = db::connect_lazy(
        &config.database_url,
        &db::pool_config(&config, Runtime::Local),
    )?;
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), pool, services);
    let report = innova_workers::telemetry_archive::run(&app).await?;
    println!(
        "{}",
        serde_json::json!({"objects": report.objects, "archived": report.archived})
    );
    Ok(())
}
