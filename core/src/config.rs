//! Configuration: environment variables (the reference system's names) → typed settings,
//! validated once at start-up. Every error names the variable at fault.
//!
//! Ports whose production settings are absent fall back to their embedded local adapters
//! (decisions §3), so a bare `innova-api` runs against the local setup of `scripts/dev`.

use std::path::{Path, PathBuf};

use figment::Figment;
use serde::Deserialize;
use url::Url;

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is required{hint}")]
    Missing { var: &'static str, hint: String },
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

impl ConfigError {
    fn invalid(var: &'static str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            var,
            reason: reason.into(),
        }
    }
}

/// Default directory for local state (embedded identity keys, local objects and telemetry, the
/// local database's URL). Relative to the working directory: `scripts/dev` runs from the
/// repository root, so this is the gitignored `.local/` there.
pub const DEFAULT_DATA_DIR: &str = ".local";

/// The file, under the data directory, where `scripts/dev` records the local database's URL.
pub const LOCAL_DATABASE_URL_FILE: &str = "database_url";

/// Typed settings of every process (API, workers, CLI).
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// `DATABASE_POOL_MAX`: the most PostgreSQL connections a process's pool opens (at least
    /// 1). `None`: the runtime's default (see `db::pool_config`).
    pub database_pool_max: Option<u32>,
    /// `None`: telemetry goes to the embedded local store.
    pub mongodb_uri: Option<String>,
    pub port: u16,
    /// Exact origins allowed by CORS (never `*`).
    pub cors_origins: Vec<String>,
    /// `None`: the embedded identity provider.
    pub supabase: Option<SupabaseSettings>,
    pub public_app_url: Option<Url>,
    pub public_api_url: Option<Url>,
    pub public_practice_url: Option<Url>,
    pub queues: QueueUrls,
    pub buckets: Buckets,
    pub presign: PresignTtls,
    pub anthropic: Option<AnthropicSettings>,
    pub gemini: Option<GeminiSettings>,
    pub resend: Option<ResendSettings>,
    pub aws: AwsSettings,
    pub log_level: String,
    pub data_dir: PathBuf,
    /// Limits on the public `/auth/*` routes.
    pub auth_rate_limits: AuthRateLimits,
    // --- OCR / archive
    /// `TELEMETRY_RETENTION_DAYS` (default 30, at least 1): attempt events older than this are
    /// archived to S3 by the hourly telemetry archive.
    pub telemetry_retention_days: u32,
    /// Who runs each AI stage (decision 21): `LLM_CLASSIFIER_OWNER`, `OCR_OWNER`.
    pub stage_owners: StageOwners,
}

/// Who runs an AI stage (decision 21): this backend's worker, or the AI engine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StageOwner {
    /// Our function consumes the stage's queue or bucket (locally: our in-process worker).
    #[default]
    Backend,
    /// The AI engine's function does; ours is not deployed (locally: not started), and the
    /// backend still publishes what the engine consumes.
    Engine,
}

impl StageOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            StageOwner::Backend => "backend",
            StageOwner::Engine => "engine",
        }
    }

    fn parse(var: &'static str, value: Option<String>) -> Result<Self, ConfigError> {
        match set(value).as_deref() {
            None | Some("backend") => Ok(StageOwner::Backend),
            Some("engine") => Ok(StageOwner::Engine),
            Some(other) => Err(ConfigError::invalid(
                var,
                format!("`{other}`: expected `backend` or `engine`"),
            )),
        }
    }
}

/// The owners of the two AI stages whose consumer is chosen at deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageOwners {
    /// LLM classification (`llm-classify-queue`).
    pub llm_classification: StageOwner,
    /// OCR of uploaded photos (the OCR uploads bucket's notification).
    pub ocr: StageOwner,
}

/// Requests per minute allowed on the public auth routes (`register`, `login`, `refresh`,
/// `forgot-password`, `confirm-forgot-password`), per client IP and per email; 0 disables
/// that limit. The IP limit is generous because a whole class signs in from one school NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRateLimits {
    pub per_ip_per_minute: u32,
    pub per_email_per_minute: u32,
}

impl Default for AuthRateLimits {
    fn default() -> Self {
        AuthRateLimits {
            per_ip_per_minute: 120,
            per_email_per_minute: 10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SupabaseSettings {
    pub url: Url,
    pub service_role_key: String,
    pub anon_key: Option<String>,
}

/// Queue URLs; `None` means the embedded in-process queue for that queue.
#[derive(Debug, Clone, Default)]
pub struct QueueUrls {
    pub attempt_stream: Option<String>,
    pub llm_classify: Option<String>,
    pub ocr: Option<String>,
    pub attempt_reprocess: Option<String>,
    pub guide_ingest: Option<String>,
    pub solution_gen: Option<String>,
    pub submission_grade: Option<String>,
    pub exercise_generate: Option<String>,
    pub adhoc_solve: Option<String>,
    pub hourly_alerts: Option<String>,
}

/// Bucket names; `None` means the embedded object store under the data directory.
#[derive(Debug, Clone, Default)]
pub struct Buckets {
    pub guides: Option<String>,
    pub submissions: Option<String>,
    pub ocr_uploads: Option<String>,
}

/// Lifetimes, in seconds, of presigned URLs.
#[derive(Debug, Clone, Copy)]
pub struct PresignTtls {
    pub guides_put: u64,
    pub guides_get: u64,
    pub submissions_get: u64,
}

#[derive(Debug, Clone)]
pub struct AnthropicSettings {
    pub api_key: String,
    pub base_url: Url,
    // --- LLM classifier
    /// `ANTHROPIC_MODEL`: the model the LLM classifier calls; one the pricing table knows, so
    /// every call's cost is accounted.
    pub model: String,
}

/// The classifier's model when `ANTHROPIC_MODEL` is not set.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-haiku-4-5-20251001";

#[derive(Debug, Clone)]
pub struct GeminiSettings {
    pub api_key: String,
    pub model: String,
    pub base_url: Url,
}

#[derive(Debug, Clone)]
pub struct ResendSettings {
    pub api_key: String,
    pub from_email: String,
    pub base_url: Url,
}

#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub region: String,
    /// Endpoint override (moto, LocalStack); path-style S3 URLs when set.
    pub endpoint_url: Option<Url>,
}

/// The raw variables, as strings; empty strings count as "not set".
#[derive(Debug, Default, Deserialize)]
struct Raw {
    database_url: Option<String>,
    database_pool_max: Option<String>,
    mongodb_uri: Option<String>,
    port: Option<String>,
    cors_origins: Option<String>,
    supabase_url: Option<String>,
    supabase_service_role_key: Option<String>,
    supabase_anon_key: Option<String>,
    public_app_url: Option<String>,
    public_api_url: Option<String>,
    public_practice_url: Option<String>,
    sqs_attempt_stream_url: Option<String>,
    sqs_llm_classify_url: Option<String>,
    sqs_ocr_queue_url: Option<String>,
    sqs_attempt_reprocess_url: Option<String>,
    sqs_guide_ingest_url: Option<String>,
    sqs_solution_gen_url: Option<String>,
    sqs_submission_grade_url: Option<String>,
    exercise_generate_queue_url: Option<String>,
    sqs_adhoc_solve_url: Option<String>,
    sqs_hourly_alerts_url: Option<String>,
    s3_guides_bucket: Option<String>,
    s3_submissions_bucket: Option<String>,
    s3_ocr_uploads_bucket: Option<String>,
    guides_presigned_put_ttl: Option<String>,
    guides_presigned_get_ttl: Option<String>,
    submissions_presigned_get_ttl: Option<String>,
    anthropic_api_key: Option<String>,
    anthropic_base_url: Option<String>,
    gemini_api_key: Option<String>,
    gemini_model: Option<String>,
    gemini_base_url: Option<String>,
    resend_api_key: Option<String>,
    resend_from_email: Option<String>,
    resend_base_url: Option<String>,
    aws_region: Option<String>,
    aws_endpoint_url: Option<String>,
    log_level: Option<String>,
    innova_data_dir: Option<String>,
    auth_rate_limit_per_ip: Option<String>,
    auth_rate_limit_per_email: Option<String>,
    // --- LLM classifier
    anthropic_model: Option<String>,
    // --- OCR / archive
    telemetry_retention_days: Option<String>,
    llm_classifier_owner: Option<String>,
    ocr_owner: Option<String>,
}

/// Every variable the configuration reads (documentation and the README table use this list).
pub const VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "DATABASE_POOL_MAX",
    "MONGODB_URI",
    "PORT",
    "CORS_ORIGINS",
    "SUPABASE_URL",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_ANON_KEY",
    "PUBLIC_APP_URL",
    "PUBLIC_API_URL",
    "PUBLIC_PRACTICE_URL",
    "SQS_ATTEMPT_STREAM_URL",
    "SQS_LLM_CLASSIFY_URL",
    "SQS_OCR_QUEUE_URL",
    "SQS_ATTEMPT_REPROCESS_URL",
    "SQS_GUIDE_INGEST_URL",
    "SQS_SOLUTION_GEN_URL",
    "SQS_SUBMISSION_GRADE_URL",
    "EXERCISE_GENERATE_QUEUE_URL",
    "SQS_ADHOC_SOLVE_URL",
    "SQS_HOURLY_ALERTS_URL",
    "S3_GUIDES_BUCKET",
    "S3_SUBMISSIONS_BUCKET",
    "S3_OCR_UPLOADS_BUCKET",
    "GUIDES_PRESIGNED_PUT_TTL",
    "GUIDES_PRESIGNED_GET_TTL",
    "SUBMISSIONS_PRESIGNED_GET_TTL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY",
    "GEMINI_MODEL",
    "GEMINI_BASE_URL",
    "RESEND_API_KEY",
    "RESEND_FROM_EMAIL",
    "RESEND_BASE_URL",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "LOG_LEVEL",
    "INNOVA_DATA_DIR",
    "AUTH_RATE_LIMIT_PER_IP",
    "AUTH_RATE_LIMIT_PER_EMAIL",
    // --- LLM classifier
    "ANTHROPIC_MODEL",
    // --- OCR / archive
    "TELEMETRY_RETENTION_DAYS",
    "LLM_CLASSIFIER_OWNER",
    "OCR_OWNER",
];

/// Origins allowed by CORS when `CORS_ORIGINS` is not set at all: the usual local front-ends.
pub const DEFAULT_CORS_ORIGINS: &[&str] = &[
    "http://localhost:3000",
    "http://localhost:5173",
    "http://localhost:8081",
];

impl Config {
    /// Reads and validates the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_raw(read_env()?)
    }

    /// Reads and validates the given variables instead of the process environment (tests).
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        for (k, v) in vars {
            figment = figment.merge((k.to_ascii_lowercase(), v));
        }
        Self::from_raw(extract(figment)?)
    }

    /// For unit tests: a database URL and a data directory that does not exist, then `vars`
    /// (which win).
    #[cfg(test)]
    pub(crate) fn for_tests(vars: &[(&str, &str)]) -> Self {
        let defaults = [
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("INNOVA_DATA_DIR", "/nonexistent-innova"),
        ];
        Self::from_vars(defaults.into_iter().chain(vars.iter().copied())).unwrap()
    }

    fn from_raw(raw: Raw) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(
            set(raw.innova_data_dir.clone()).unwrap_or_else(|| DEFAULT_DATA_DIR.to_string()),
        );
        let database_url = resolve_database_url(set(raw.database_url), &data_dir)?;
        let database_pool_max = optional_positive("DATABASE_POOL_MAX", raw.database_pool_max)?;

        let mongodb_uri = set(raw.mongodb_uri);
        if mongodb_uri
            .as_ref()
            .is_some_and(|uri| !uri.starts_with("mongodb"))
        {
            return Err(ConfigError::invalid(
                "MONGODB_URI",
                "must be a mongodb:// or mongodb+srv:// URL",
            ));
        }

        let port = match set(raw.port) {
            None => 3000,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| ConfigError::invalid("PORT", format!("`{p}` is not a port number")))?,
        };

        let cors_origins = match raw.cors_origins {
            None => DEFAULT_CORS_ORIGINS.iter().map(|s| s.to_string()).collect(),
            Some(list) => parse_origins(&list)?,
        };

        let supabase = match set(raw.supabase_url) {
            None => None,
            Some(url) => Some(SupabaseSettings {
                url: parse_url("SUPABASE_URL", &url)?,
                service_role_key: set(raw.supabase_service_role_key).ok_or(
                    ConfigError::Missing {
                        var: "SUPABASE_SERVICE_ROLE_KEY",
                        hint: " when SUPABASE_URL is set".into(),
                    },
                )?,
                anon_key: set(raw.supabase_anon_key),
            }),
        };

        let anthropic = set(raw.anthropic_api_key)
            .map(|api_key| -> Result<_, ConfigError> {
                Ok(AnthropicSettings {
                    api_key,
                    base_url: optional_url("ANTHROPIC_BASE_URL", raw.anthropic_base_url)?
                        .unwrap_or_else(|| Url::parse("https://api.anthropic.com").unwrap()),
                    model: anthropic_model(raw.anthropic_model)?,
                })
            })
            .transpose()?;
        let gemini = set(raw.gemini_api_key)
            .map(|api_key| -> Result<_, ConfigError> {
                Ok(GeminiSettings {
                    api_key,
                    model: set(raw.gemini_model).unwrap_or_else(|| "gemini-2.5-flash".into()),
                    base_url: optional_url("GEMINI_BASE_URL", raw.gemini_base_url)?.unwrap_or_else(
                        || Url::parse("https://generativelanguage.googleapis.com").unwrap(),
                    ),
                })
            })
            .transpose()?;
        let resend = set(raw.resend_api_key)
            .map(|api_key| -> Result<_, ConfigError> {
                Ok(ResendSettings {
                    api_key,
                    from_email: set(raw.resend_from_email).ok_or(ConfigError::Missing {
                        var: "RESEND_FROM_EMAIL",
                        hint: " when RESEND_API_KEY is set".into(),
                    })?,
                    base_url: optional_url("RESEND_BASE_URL", raw.resend_base_url)?
                        .unwrap_or_else(|| Url::parse("https://api.resend.com").unwrap()),
                })
            })
            .transpose()?;
        let public_app_url = optional_url("PUBLIC_APP_URL", raw.public_app_url)?;
        if resend.is_some() && public_app_url.is_none() {
            // Reset e-mails link to the app; without it they would carry a dead link.
            return Err(ConfigError::Missing {
                var: "PUBLIC_APP_URL",
                hint: " when RESEND_API_KEY is set (password-reset links point to it)".into(),
            });
        }
        let defaults = AuthRateLimits::default();
        let auth_rate_limits = AuthRateLimits {
            per_ip_per_minute: non_negative(
                "AUTH_RATE_LIMIT_PER_IP",
                raw.auth_rate_limit_per_ip,
                defaults.per_ip_per_minute,
            )?,
            per_email_per_minute: non_negative(
                "AUTH_RATE_LIMIT_PER_EMAIL",
                raw.auth_rate_limit_per_email,
                defaults.per_email_per_minute,
            )?,
        };

        Ok(Config {
            database_url,
            database_pool_max,
            mongodb_uri,
            port,
            cors_origins,
            supabase,
            public_app_url,
            public_api_url: optional_url("PUBLIC_API_URL", raw.public_api_url)?,
            public_practice_url: optional_url("PUBLIC_PRACTICE_URL", raw.public_practice_url)?,
            queues: QueueUrls {
                attempt_stream: optional_queue(
                    "SQS_ATTEMPT_STREAM_URL",
                    raw.sqs_attempt_stream_url,
                )?,
                llm_classify: optional_queue("SQS_LLM_CLASSIFY_URL", raw.sqs_llm_classify_url)?,
                ocr: optional_queue("SQS_OCR_QUEUE_URL", raw.sqs_ocr_queue_url)?,
                attempt_reprocess: optional_queue(
                    "SQS_ATTEMPT_REPROCESS_URL",
                    raw.sqs_attempt_reprocess_url,
                )?,
                guide_ingest: optional_queue("SQS_GUIDE_INGEST_URL", raw.sqs_guide_ingest_url)?,
                solution_gen: optional_queue("SQS_SOLUTION_GEN_URL", raw.sqs_solution_gen_url)?,
                submission_grade: optional_queue(
                    "SQS_SUBMISSION_GRADE_URL",
                    raw.sqs_submission_grade_url,
                )?,
                exercise_generate: optional_queue(
                    "EXERCISE_GENERATE_QUEUE_URL",
                    raw.exercise_generate_queue_url,
                )?,
                adhoc_solve: optional_queue("SQS_ADHOC_SOLVE_URL", raw.sqs_adhoc_solve_url)?,
                hourly_alerts: optional_queue("SQS_HOURLY_ALERTS_URL", raw.sqs_hourly_alerts_url)?,
            },
            buckets: Buckets {
                guides: set(raw.s3_guides_bucket),
                submissions: set(raw.s3_submissions_bucket),
                ocr_uploads: set(raw.s3_ocr_uploads_bucket),
            },
            presign: PresignTtls {
                guides_put: positive(
                    "GUIDES_PRESIGNED_PUT_TTL",
                    raw.guides_presigned_put_ttl,
                    600,
                )?,
                guides_get: positive(
                    "GUIDES_PRESIGNED_GET_TTL",
                    raw.guides_presigned_get_ttl,
                    300,
                )?,
                submissions_get: positive(
                    "SUBMISSIONS_PRESIGNED_GET_TTL",
                    raw.submissions_presigned_get_ttl,
                    300,
                )?,
            },
            anthropic,
            gemini,
            resend,
            aws: AwsSettings {
                region: set(raw.aws_region).unwrap_or_else(|| "us-east-1".into()),
                endpoint_url: optional_url("AWS_ENDPOINT_URL", raw.aws_endpoint_url)?,
            },
            log_level: set(raw.log_level).unwrap_or_else(|| "info".into()),
            data_dir,
            auth_rate_limits,
            // --- OCR / archive
            telemetry_retention_days: optional_positive(
                "TELEMETRY_RETENTION_DAYS",
                raw.telemetry_retention_days,
            )?
            .unwrap_or(DEFAULT_TELEMETRY_RETENTION_DAYS),
            stage_owners: StageOwners {
                llm_classification: StageOwner::parse(
                    "LLM_CLASSIFIER_OWNER",
                    raw.llm_classifier_owner,
                )?,
                ocr: StageOwner::parse("OCR_OWNER", raw.ocr_owner)?,
            },
        })
    }
}

// --- OCR / archive
/// Days attempt events stay in the telemetry store before the archive moves them to S3.
pub const DEFAULT_TELEMETRY_RETENTION_DAYS: u32 = 30;

/// Only `DATABASE_URL` (or the local database recorded by `scripts/dev`): for commands that
/// need nothing else, such as `innova migrate`.
pub fn database_url_from_env() -> Result<String, ConfigError> {
    let raw = read_env()?;
    let data_dir =
        PathBuf::from(set(raw.innova_data_dir).unwrap_or_else(|| DEFAULT_DATA_DIR.to_string()));
    resolve_database_url(set(raw.database_url), &data_dir)
}

fn read_env() -> Result<Raw, ConfigError> {
    // Each value is merged as a string, as `from_vars` does: figment's `Env` provider would
    // parse `PORT=3000` into a number, which the string fields of `Raw` then refuse.
    let mut figment = Figment::new();
    for var in VARIABLES {
        if let Ok(value) = std::env::var(var) {
            figment = figment.merge((var.to_ascii_lowercase(), value));
        }
    }
    extract(figment)
}

fn extract(figment: Figment) -> Result<Raw, ConfigError> {
    // Every field is an optional string, so extraction can only fail on a non-string value.
    figment.extract::<Raw>().map_err(|e| {
        let var = VARIABLES
            .iter()
            .find(|v| e.path.iter().any(|p| p.eq_ignore_ascii_case(v)))
            .copied()
            .unwrap_or("environment");
        ConfigError::invalid(var, e.to_string())
    })
}

fn resolve_database_url(explicit: Option<String>, data_dir: &Path) -> Result<String, ConfigError> {
    let url = match explicit {
        Some(url) => url,
        None => {
            let file = data_dir.join(LOCAL_DATABASE_URL_FILE);
            match std::fs::read_to_string(&file) {
                Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
                _ => {
                    return Err(ConfigError::Missing {
                        var: "DATABASE_URL",
                        hint: format!(
                            " (no local database recorded at {}; run scripts/dev)",
                            file.display()
                        ),
                    });
                }
            }
        }
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ConfigError::invalid(
            "DATABASE_URL",
            "must be a postgres:// URL",
        ));
    }
    Ok(url)
}

/// Empty strings mean "not set".
fn set(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn parse_url(var: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(value).map_err(|e| ConfigError::invalid(var, format!("`{value}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::invalid(
            var,
            format!("`{value}` is not an http(s) URL"),
        ));
    }
    Ok(url)
}

fn optional_url(var: &'static str, value: Option<String>) -> Result<Option<Url>, ConfigError> {
    set(value).map(|v| parse_url(var, &v)).transpose()
}

fn optional_queue(var: &'static str, value: Option<String>) -> Result<Option<String>, ConfigError> {
    Ok(optional_url(var, value)?.map(|u| u.to_string().trim_end_matches('/').to_string()))
}

fn positive(var: &'static str, value: Option<String>, default: u64) -> Result<u64, ConfigError> {
    match set(value) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::invalid(
                var,
                format!("`{v}` is not a positive integer"),
            )),
        },
    }
}

/// A positive integer, or `None` when unset.
fn optional_positive(var: &'static str, value: Option<String>) -> Result<Option<u32>, ConfigError> {
    set(value)
        .map(|v| match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::invalid(
                var,
                format!("`{v}` is not a positive integer"),
            )),
        })
        .transpose()
}

fn non_negative(
    var: &'static str,
    value: Option<String>,
    default: u32,
) -> Result<u32, ConfigError> {
    match set(value) {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| ConfigError::invalid(var, format!("`{v}` is not a non-negative integer"))),
    }
}

// --- LLM classifier
/// `ANTHROPIC_MODEL`, or the default: a Claude model id the pricing table prices (a model it
/// does not know would be recorded at 0 USD in `cost_events`).
fn anthropic_model(value: Option<String>) -> Result<String, ConfigError> {
    let model = set(value).unwrap_or_else(|| DEFAULT_ANTHROPIC_MODEL.to_string());
    let well_formed = model.starts_with("claude-")
        && model
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !well_formed {
        return Err(ConfigError::invalid(
            "ANTHROPIC_MODEL",
            format!("`{model}` is not a Claude model id (claude-…)"),
        ));
    }
    if innova_domain::pricing::price(&model).is_none() {
        return Err(ConfigError::invalid(
            "ANTHROPIC_MODEL",
            format!(
                "`{model}` has no price in innova_domain::pricing: its cost could not be accounted"
            ),
        ));
    }
    Ok(model)
}

fn parse_origins(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if entry == "*" {
            return Err(ConfigError::invalid(
                "CORS_ORIGINS",
                "`*` is not allowed; list the exact origins",
            ));
        }
        let url = parse_url("CORS_ORIGINS", entry)?;
        let origin = url.origin().ascii_serialization();
        if origin != entry.trim_end_matches('/') {
            return Err(ConfigError::invalid(
                "CORS_ORIGINS",
                format!("`{entry}` is not an origin (scheme://host[:port], no path)"),
            ));
        }
        origins.push(origin);
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://u@localhost/db");

    #[test]
    fn embedded_defaults_apply_when_only_the_database_is_set() {
        let c = Config::from_vars([DB]).unwrap();
        assert_eq!(c.port, 3000);
        assert!(c.supabase.is_none() && c.mongodb_uri.is_none() && c.gemini.is_none());
        assert_eq!(c.presign.guides_put, 600);
        assert_eq!(c.cors_origins.len(), DEFAULT_CORS_ORIGINS.len());
        assert_eq!(c.aws.region, "us-east-1");
        assert_eq!(c.database_pool_max, None);
    }

    #[test]
    fn the_pool_size_is_a_positive_integer() {
        let c = Config::from_vars([DB, ("DATABASE_POOL_MAX", " 4 ")]).unwrap();
        assert_eq!(c.database_pool_max, Some(4));
        let c = Config::from_vars([DB, ("DATABASE_POOL_MAX", "")]).unwrap();
        assert_eq!(c.database_pool_max, None, "empty means unset");
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[DB, ("PORT", "eighty")], "PORT"),
            (
                &[DB, ("GUIDES_PRESIGNED_PUT_TTL", "0")],
                "GUIDES_PRESIGNED_PUT_TTL",
            ),
            (&[DB, ("MONGODB_URI", "http://x")], "MONGODB_URI"),
            (&[DB, ("DATABASE_POOL_MAX", "0")], "DATABASE_POOL_MAX"),
            (&[DB, ("DATABASE_POOL_MAX", "ten")], "DATABASE_POOL_MAX"),
            (&[DB, ("DATABASE_POOL_MAX", "-1")], "DATABASE_POOL_MAX"),
            (
                &[DB, ("DATABASE_POOL_MAX", "4294967296")],
                "DATABASE_POOL_MAX",
            ),
            (
                &[DB, ("SUPABASE_URL", "https://x.supabase.co")],
                "SUPABASE_SERVICE_ROLE_KEY",
            ),
            (&[DB, ("CORS_ORIGINS", "*")], "CORS_ORIGINS"),
            (
                &[DB, ("CORS_ORIGINS", "https://a.com/path")],
                "CORS_ORIGINS",
            ),
            (
                &[DB, ("SQS_LLM_CLASSIFY_URL", "not a url")],
                "SQS_LLM_CLASSIFY_URL",
            ),
            (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (
                &[("INNOVA_DATA_DIR", "/nonexistent-innova")],
                "DATABASE_URL",
            ),
        ];
        for (vars, var) in cases {
            let err = Config::from_vars(vars.iter().copied())
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(var),
                "expected an error naming {var}, got: {err}"
            );
        }
    }

    #[test]
    fn empty_strings_mean_unset_and_origins_are_exact() {
        let c = Config::from_vars([
            DB,
            ("PUBLIC_APP_URL", ""),
            (
                "CORS_ORIGINS",
                " https://app.example.com , http://localhost:5173,",
            ),
        ])
        .unwrap();
        assert!(c.public_app_url.is_none());
        assert_eq!(
            c.cors_origins,
            ["https://app.example.com", "http://localhost:5173"]
        );
        let none = Config::from_vars([DB, ("CORS_ORIGINS", "")]).unwrap();
        assert!(none.cors_origins.is_empty());
    }

    #[test]
    fn auth_rate_limits_default_parse_and_reject_garbage() {
        assert_eq!(
            Config::from_vars([DB]).unwrap().auth_rate_limits,
            AuthRateLimits::default()
        );
        let c = Config::from_vars([
            DB,
            ("AUTH_RATE_LIMIT_PER_IP", "0"),
            ("AUTH_RATE_LIMIT_PER_EMAIL", "3"),
        ])
        .unwrap();
        assert_eq!(
            c.auth_rate_limits,
            AuthRateLimits {
                per_ip_per_minute: 0,
                per_email_per_minute: 3
            }
        );
        for var in ["AUTH_RATE_LIMIT_PER_IP", "AUTH_RATE_LIMIT_PER_EMAIL"] {
            let err = Config::from_vars([DB, (var, "-1")])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(var), "{err}");
        }
    }

    #[test]
    fn resend_needs_the_app_url_for_its_links() {
        let resend = [
            DB,
            ("RESEND_API_KEY", "re_x"),
            ("RESEND_FROM_EMAIL", "no-reply@x.co"),
        ];
        let err = Config::from_vars(resend).unwrap_err().to_string();
        assert!(err.starts_with("PUBLIC_APP_URL"), "{err}");
        let mut with_url = resend.to_vec();
        with_url.push(("PUBLIC_APP_URL", "https://app.x.co"));
        assert!(Config::from_vars(with_url).unwrap().resend.is_some());
    }

    // --- LLM classifier
    #[test]
    fn the_classifier_model_defaults_to_haiku_and_must_be_priced() {
        let key = ("ANTHROPIC_API_KEY", "sk-ant-test");
        let c = Config::from_vars([DB, key]).unwrap();
        assert_eq!(c.anthropic.unwrap().model, DEFAULT_ANTHROPIC_MODEL);
        let c = Config::from_vars([DB, key, ("ANTHROPIC_MODEL", "claude-sonnet-4-6")]).unwrap();
        assert_eq!(c.anthropic.unwrap().model, "claude-sonnet-4-6");
        for bad in ["gpt-4o", "claude-unpriced-9", "claude haiku"] {
            let err = Config::from_vars([DB, key, ("ANTHROPIC_MODEL", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("ANTHROPIC_MODEL"), "{bad}: {err}");
        }
        // Without a key the classifier is off and the model is not read.
        assert!(
            Config::from_vars([DB, ("ANTHROPIC_MODEL", "gpt-4o")])
                .unwrap()
                .anthropic
                .is_none()
        );
    }

    #[test]
    fn local_database_url_is_read_from_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("innova-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(LOCAL_DATABASE_URL_FILE), "postgres://local/db\n").unwrap();
        let c = Config::from_vars([("INNOVA_DATA_DIR", dir.to_str().unwrap())]).unwrap();
        assert_eq!(c.database_url, "postgres://local/db");
        std::fs::remove_dir_all(dir).unwrap();
    }

    // --- OCR / archive
    #[test]
    fn telemetry_retention_defaults_to_30_days_and_must_be_positive() {
        assert_eq!(
            Config::from_vars([DB]).unwrap().telemetry_retention_days,
            30
        );
        let c = Config::from_vars([DB, ("TELEMETRY_RETENTION_DAYS", "7")]).unwrap();
        assert_eq!(c.telemetry_retention_days, 7);
        for bad in ["0", "-1", "a week"] {
            let err = Config::from_vars([DB, ("TELEMETRY_RETENTION_DAYS", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("TELEMETRY_RETENTION_DAYS"), "{err}");
        }
    }
}
