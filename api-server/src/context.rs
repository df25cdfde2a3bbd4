//! What every handler can reach: configuration and the shared clients, built once per process
//! (once per cold start on Lambda).

use std::sync::Arc;

use innova_core::config::Config;
use sqlx::PgPool;

/// The dropshot server context.
pub struct ApiContext {
    pub config: Arc<Config>,
    pub db: PgPool,
}

impl ApiContext {
    /// Builds the context from validated configuration. The database pool connects lazily, so
    /// the API starts (and `/health` can report "degraded") while the database is down.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let db = innova_core::readiness::lazy_pool(&config.database_url)?;
        Ok(ApiContext { config: Arc::new(config), db })
    }
}
