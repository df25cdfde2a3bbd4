//! `innova token --email <email>`: an access token from the embedded identity provider for an
//! existing user, for local development (`curl -H "Authorization: Bearer $(innova token …)"`).
//!
//! Reads the same configuration as the server: from the repository root with nothing set, the
//! data directory `.local` (whose `identity/jwt-key.pem` signs the tokens) and the database
//! recorded there by `scripts/dev`. The issuer is the embedded one (`PUBLIC_API_URL`, else
//! `http://localhost:$PORT`, plus `/auth/v1`), so set `PORT` as for the server if it is not
//! 3000. Refuses when `SUPABASE_URL` is configured: then Supabase issues the tokens.

use innova_core::config::Config;
use innova_core::db::{self, accounts};
use innova_core::identity::embedded::EmbeddedProvider;
use innova_core::identity::keys::SigningKey;
use innova_core::identity::{embedded_issuer, normalize_email};

/// Default lifetime of the printed token: a working day of local development.
pub const DEFAULT_TTL_SECS: u64 = 24 * 3600;

pub async fn run(email: &str, ttl_secs: u64) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    if config.supabase.is_some() {
        anyhow::bail!(
            "SUPABASE_URL is set: tokens come from Supabase Auth, not from the embedded provider \
             (unset SUPABASE_URL to use the local setup)"
        );
    }
    let token = token_for(&config, email, ttl_secs).await?;
    println!("{token}");
    Ok(())
}

/// A token for the user with this email, signed with the data directory's key.
pub async fn token_for(config: &Config, email: &str, ttl_secs: u64) -> anyhow::Result<String> {
    let pool = db::connect(&config.database_url).await?;
    let email = normalize_email(email);
    let creds = accounts::credentials_by_email(&pool, &email)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("no user with email {email} (run `innova seed` for the demo users)")
        })?;
    if creds.deleted_at.is_some() {
        anyhow::bail!("the user {email} is deleted");
    }
    let key = SigningKey::load_or_create(&config.data_dir)?;
    let provider = EmbeddedProvider::new(pool.clone(), key, embedded_issuer(config));
    let token = provider.access_token_for(&creds, ttl_secs).await?;
    pool.close().await;
    Ok(token)
}
