//! `innova import-catalog <file.jsonl> [--activate]`: prints the report; rejected lines are
//! listed with their line numbers (the good lines are still imported).

use std::time::Instant;

use innova_core::db;

pub async fn run(database_url: &str, file: &std::path::Path, activate: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    // Maintenance: no statement timeout (a migration or an import may run long).
    let pool = db::connect_with(database_url, &db::PoolConfig::maintenance()).await?;
    let report = db::catalog::import_file(&pool, file, activate).await?;
    println!("{}: {report}", file.display());
    println!("done in {:.2} s", started.elapsed().as_secs_f64());
    pool.close().await;
    Ok(())
}
