//! `innova`: the operator's command line.

mod alerts;
mod classify;
mod import_catalog;
mod migrate;
mod openapi;
mod relay;
mod seed;
mod seed_auth;
mod token;
// --- LLM classifier
mod reenqueue;
// --- OCR / archive
mod telemetry_archive;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "innova", version, about = "Innova backend operations")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the OpenAPI document generated from the API trait (YAML).
    Openapi,
    /// Apply pending database migrations.
    Migrate {
        /// Verify that an existing database (created by the reference system) has exactly the
        /// expected schema and mark the initial migration as applied, without running it.
        #[arg(long)]
        baseline: bool,
    },
    /// Load the demo data (idempotent).
    Seed,
    /// Create or update the demo users in Supabase Auth (GoTrue admin API), with the fixed ids
    /// the demo data expects and the role in app_metadata. Refused unless ALLOW_SEED=1; needs
    /// SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SEED_DEMO_PASSWORD (at least 8 characters).
    SeedAuth {
        /// Also set existing users' password to SEED_DEMO_PASSWORD (new users always get it).
        #[arg(long)]
        reset_passwords: bool,
    },
    /// Import an error-tag catalogue in JSON Lines format (upsert by code).
    ImportCatalog {
        /// The `.jsonl` file to import.
        file: PathBuf,
        /// Mark the imported tags ACTIVE.
        #[arg(long)]
        activate: bool,
    },
    /// Teacher alerts.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
    /// Classify attempts read as JSON Lines on stdin; one JSON result line per input line.
    Classify,
    /// Print an access token for an existing user, from the embedded identity provider (local
    /// development; refused when SUPABASE_URL is set).
    Token {
        /// The user's email (e.g. student1@innova.demo).
        #[arg(long)]
        email: String,
        /// Lifetime of the token, in seconds.
        #[arg(long, default_value_t = token::DEFAULT_TTL_SECS)]
        ttl_seconds: u64,
    },
    // --- LLM classifier
    /// Queue again for the LLM classifier the attempts left PENDING (a failed publish, a
    /// dead-lettered message); prints what it did (JSON). Idempotent. Without
    /// SQS_LLM_CLASSIFY_URL it classifies them in this process (needs ANTHROPIC_API_KEY).
    ReenqueuePending {
        /// Only attempts created more than this many minutes ago.
        #[arg(long, default_value_t = innova_app::reenqueue::DEFAULT_OLDER_THAN.as_secs() / 60)]
        older_than_minutes: u64,
        /// At most this many attempts (oldest first).
        #[arg(long, default_value_t = innova_app::reenqueue::DEFAULT_LIMIT)]
        limit: u32,
    },
    // --- OCR / archive
    /// Archive attempt events older than TELEMETRY_RETENTION_DAYS to S3 now (what the hourly
    /// schedule does; idempotent) and print the objects written (JSON).
    TelemetryArchive,
    /// Publish now the messages waiting in the transactional outbox (what the relay does every
    /// minute on AWS) and print what it did (JSON).
    RelayOutbox,
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Run one alert-generator cycle now and print what it did (JSON). Idempotent.
    Run,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => openapi::run(&mut std::io::stdout().lock()),
        Command::Migrate { baseline } => migrate::run(&database_url()?, baseline).await,
        Command::Seed => seed::run(&database_url()?).await,
        Command::SeedAuth { reset_passwords } => seed_auth::run(reset_passwords).await,
        Command::ImportCatalog { file, activate } => {
            import_catalog::run(&database_url()?, &file, activate).await
        }
        Command::Alerts {
            command: AlertsCommand::Run,
        } => alerts::run().await,
        Command::Classify => classify::run(std::io::stdin().lock(), std::io::stdout().lock()),
        Command::Token { email, ttl_seconds } => token::run(&email, ttl_seconds).await,
        // --- LLM classifier
        Command::ReenqueuePending {
            older_than_minutes,
            limit,
        } => reenqueue::run(older_than_minutes, limit).await,
        // --- OCR / archive
        Command::TelemetryArchive => telemetry_archive::run().await,
        Command::RelayOutbox => relay::run().await,
    }
}

/// The database the command works on: `DATABASE_URL`, or the local cluster `scripts/dev` made.
fn database_url() -> anyhow::Result<String> {
    Ok(innova_core::config::database_url_from_env()?)
}
