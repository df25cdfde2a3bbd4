//! What every handler can reach: configuration and the shared clients, built once per process
//! (once per cold start on Lambda).

use std::sync::Arc;

use innova_core::config::Config;
use innova_core::identity::Identity;
use innova_core::mail::Mailer;
use innova_core::services::Services;
use sqlx::PgPool;

use crate::auth::CallerCache;
use crate::auth::rate_limit::AuthRateLimiter;

/// The dropshot server context.
pub struct ApiContext {
    pub config: Arc<Config>,
    pub db: PgPool,
    /// Token verification and the identity provider (Supabase or embedded).
    pub identity: Identity,
    /// Password-reset e-mails (Resend, or the log).
    pub mailer: Arc<dyn Mailer>,
    /// Rate limits of the public `/auth/*` routes.
    pub auth_limits: AuthRateLimiter,
    /// Resolved callers by token `sub` (provisioning happens once per user).
    pub callers: CallerCache,
    /// Queues, object store and OCR (production adapters or embedded ones).
    pub services: Services,
}

impl ApiContext {
    /// Builds the context from validated configuration. The database pool connects lazily, so
    /// the API starts (and `/health` can report "degraded") while the database is down.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let db = innova_core::db::connect_lazy(&config.database_url, &Default::default())?;
        let identity = Identity::from_config(&config, db.clone())?;
        let mailer = innova_core::mail::from_config(&config)?;
        let auth_limits = AuthRateLimiter::new(config.auth_rate_limits);
        let services = Services::from_config(&config);
        Ok(ApiContext {
            config: Arc::new(config),
            db,
            identity,
            mailer,
            auth_limits,
            callers: CallerCache::default(),
            services,
        })
    }
}
