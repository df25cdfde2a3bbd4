//! `innova migrate [--baseline]`.

use innova_core::db::{self, migrate::BaselineOutcome};

pub async fn run(database_url: &str, baseline: bool) -> anyhow::Result<()> {
    // Maintenance: no statement timeout (a migration or an import may run long).
    let pool = db::connect_with(database_url, &db::PoolConfig::maintenance()).await?;
    if baseline {
        match db::migrate::baseline(&pool).await? {
            BaselineOutcome::Baselined { version } => {
                println!("schema matches the reference; migration {version} recorded as applied")
            }
            BaselineOutcome::AlreadyApplied { version } => {
                println!("migration {version} is already recorded; nothing to baseline")
            }
        }
    }
    let applied = db::migrate::run(&pool).await?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for version in applied {
            println!("applied migration {version}");
        }
    }
    pool.close().await;
    Ok(())
}
