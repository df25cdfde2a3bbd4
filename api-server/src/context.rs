//! What every handler can reach: the use cases' [`App`] (configuration, database, ports) and
//! what only the HTTP side needs, built once per process (once per cold start on Lambda).

use std::ops::Deref;
use std::sync::Arc;

use innova_app::App;
use innova_app::auth::{Accounts, Callers};
use innova_core::config::Config;
use innova_core::identity::Identity;
use innova_core::services::{Runtime, Services};

use crate::auth::rate_limit::AuthRateLimiter;
use crate::request::{HasScopes, Scopes};

/// The dropshot server context. Dereferences to the [`App`] it carries (`ctx.db`,
/// `ctx.config`, `ctx.services`).
pub struct ApiContext {
    pub app: App,
    /// The identity provider, the mailer and the resolved callers.
    pub accounts: Accounts,
    /// Rate limits of the public `/auth/*` routes.
    pub auth_limits: AuthRateLimiter,
    /// The requests in flight, as the edge opened them ([`crate::request`]).
    pub scopes: Scopes,
}

impl ApiContext {
    /// Builds the context from validated configuration, for the runtime this process is in. The
    /// database pool connects lazily, so the API starts (and `/health` can report "degraded")
    /// while the database is down; its size follows the runtime (one connection per Lambda
    /// instance, through the pooler).
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let runtime = Runtime::detect();
        let pool = innova_core::db::pool_config(&config, runtime);
        let db = innova_core::db::connect_lazy(&config.database_url, &pool)?;
        let identity = Identity::from_config(&config, db.clone())?;
        let mailer = innova_core::mail::from_config(&config)?;
        let auth_limits = AuthRateLimiter::new(config.auth_rate_limits);
        let services = Services::for_runtime(&config, runtime);
        Ok(ApiContext {
            app: App::new(Arc::new(config), db, services),
            accounts: Accounts {
                identity,
                mailer,
                callers: Callers::default(),
            },
            auth_limits,
            scopes: Scopes::default(),
        })
    }
}

impl Deref for ApiContext {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl HasScopes for ApiContext {
    fn scopes(&self) -> &Scopes {
        &self.scopes
    }
}
