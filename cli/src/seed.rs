//! `innova seed`: the demo data (idempotent).

use innova_core::db;

pub async fn run(database_url: &str) -> anyhow::Result<()> {
    // Maintenance: no statement timeout (a migration or an import may run long).
    let pool = db::connect_with(database_url, &db::PoolConfig::maintenance()).await?;
    db::seed::run(&pool).await?;
    let counts = db::seed::row_counts(&pool).await?;
    let seeded: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(table, n)| format!("{table} {n}"))
        .collect();
    println!("demo data loaded: {}", seeded.join(", "));
    pool.close().await;
    Ok(())
}
