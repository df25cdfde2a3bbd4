//! The operators' pipeline snapshot (`GET /admin/status`) and the killswitch toggle.
//!
//! The snapshot never fails because SQS or SSM is down: each probe runs with a deadline and what
//! could not be read is reported as degraded (`-1`, a fail-open killswitch) with a warning naming
//! it. The database is not optional: without it the request fails like any other.

use std::time::Duration;

use innova_core::config::StageOwners;
use innova_core::db::admin_status as repo;
use innova_core::killswitch::{Killswitch, SwitchState};
use innova_core::queue::QueueName;

pub use innova_core::db::admin_status::{CostByModel, PipelineCounts};

use crate::authz::{Permit, op};
use crate::{App, AppError, AppResult};

/// The queues the page shows, under the reference's keys.
pub const QUEUES: [(&str, QueueName); 4] = [
    ("guide-ingest", QueueName::GuideIngest),
    ("attempt-reprocess", QueueName::AttemptReprocess),
    ("llm-classify", QueueName::LlmClassify),
    ("hourly-alerts", QueueName::HourlyAlerts),
];

/// How long one queue probe may take.
const QUEUE_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// One queue's figures; `-1` where it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStatus {
    pub key: &'static str,
    pub depth: i64,
    /// Messages in its dead-letter queue (0 for a queue without one).
    pub dlq_depth: i64,
    /// Records the database shows were processed from it in the last hour; 0 where nothing
    /// records it (guide ingest runs in the AI engine; the hourly-alerts queue is unused).
    pub processed_last_hour: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub today_usd: f64,
    pub month_usd: f64,
    pub by_model: Vec<CostByModel>,
}

/// Whether each stage runs (`false` = paused), and the grader's cheap mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchStates {
    pub grader: bool,
    pub classifier: bool,
    pub solution_generator: bool,
    pub ocr: bool,
    pub hourly_alerts: bool,
    /// The AI engine's guide ingest.
    pub ingest: bool,
    /// The AI engine's grader in cheap mode (`/innova/guides/grading_cheap_mode` is `"true"`).
    pub grading_cheap_mode: bool,
}

/// What waits in the transactional outbox (decision 22): messages whose publish failed or is
/// in flight, and how old the oldest is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutboxBacklog {
    pub messages: i64,
    pub oldest_age_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminStatus {
    pub queues: Vec<QueueStatus>,
    pub pipeline: PipelineCounts,
    pub cost: Cost,
    pub killswitches: SwitchStates,
    /// Who runs LLM classification and OCR (decision 21, chosen at deploy).
    pub owners: StageOwners,
    pub outbox: OutboxBacklog,
    /// What could not be read, for the operator.
    pub warnings: Vec<String>,
}

pub async fn status(app: &App, _: &Permit<op::AdminStatus>) -> AppResult<AdminStatus> {
    let (pipeline, cost, queues, switches, backlog) = tokio::join!(
        repo::pipeline_counts(&app.db),
        cost(app),
        futures::future::join_all(QUEUES.iter().map(|&(key, q)| queue_status(app, key, q))),
        futures::future::join_all(
            Killswitch::ALL
                .iter()
                .map(|&k| async move { (k, app.services.killswitches.state(k).await) })
        ),
        innova_core::db::outbox::backlog(&app.db),
    );
    let (messages, oldest_age_seconds) = backlog?;
    let pipeline = pipeline?;
    let mut warnings = Vec::new();
    let mut queues_out = Vec::with_capacity(queues.len());
    for (mut q, problems) in queues {
        warnings.extend(problems);
        q.processed_last_hour = match q.key {
            "llm-classify" => pipeline.llm_classified_last_hour,
            "attempt-reprocess" => pipeline.submissions_graded_last_hour,
            _ => 0,
        };
        queues_out.push(q);
    }
    let mut enabled = |k: Killswitch| {
        let state = switches
            .iter()
            .find(|(s, _)| *s == k)
            .map_or(SwitchState::Unknown, |(_, state)| *state);
        if state == SwitchState::Unknown {
            warnings.push(format!(
                "killswitch {} unreadable: reported {} (fail-open)",
                k.parameter(),
                if k.is_mode() { "off" } else { "enabled" }
            ));
        }
        // A pause switch is enabled while not paused; a mode is on only when set ("true").
        state.is_paused() == k.is_mode()
    };
    let killswitches = SwitchStates {
        grader: enabled(Killswitch::Grader),
        classifier: enabled(Killswitch::Classifier),
        solution_generator: enabled(Killswitch::SolutionGenerator),
        ocr: enabled(Killswitch::Ocr),
        hourly_alerts: enabled(Killswitch::HourlyAlerts),
        ingest: enabled(Killswitch::Ingest),
        grading_cheap_mode: enabled(Killswitch::GradingCheapMode),
    };
    // --- LLM classifier: locally without a key nothing consumes llm-classify (decisions §3).
    warnings.extend(crate::classify::local_consumer_missing(app));
    // --- OCR / archive
    if app.config.gemini.is_none() {
        warnings.push(
            "ocrWorker not running: GEMINI_API_KEY is not set, photos in the OCR uploads bucket are not transcribed"
                .into(),
        );
    }
    Ok(AdminStatus {
        queues: queues_out,
        pipeline,
        cost: cost?,
        killswitches,
        owners: app.config.stage_owners,
        outbox: OutboxBacklog {
            messages,
            oldest_age_seconds,
        },
        warnings,
    })
}

async fn cost(app: &App) -> AppResult<Cost> {
    let (by_model, month_usd) = tokio::join!(
        repo::cost_today_by_model(&app.db),
        repo::cost_this_month(&app.db)
    );
    let by_model = by_model?;
    Ok(Cost {
        today_usd: by_model.iter().map(|m| m.cost_usd).sum(),
        month_usd: month_usd?,
        by_model,
    })
}

/// A queue's depths, each `-1` with a warning when unreadable.
async fn queue_status(
    app: &App,
    key: &'static str,
    queue: QueueName,
) -> (QueueStatus, Vec<String>) {
    let q = &app.services.queue;
    let (depth, dlq) = tokio::join!(
        tokio::time::timeout(QUEUE_PROBE_TIMEOUT, q.approximate_depth(queue)),
        tokio::time::timeout(QUEUE_PROBE_TIMEOUT, q.dead_letter_depth(queue)),
    );
    let mut warnings = Vec::new();
    let mut read = |what: &str, r: Result<Result<u64, _>, _>| match r {
        Ok(Ok(n)) => i64::try_from(n).unwrap_or(i64::MAX),
        Ok(Err(e)) => {
            warnings.push(format!("{key}: {what} unavailable: {e}"));
            -1
        }
        Err(_) => {
            warnings.push(format!("{key}: {what} timed out"));
            -1
        }
    };
    let depth = read("depth", depth);
    let dlq_depth = read("dead-letter depth", dlq.map(|r| r.map(|n| n.unwrap_or(0))));
    (
        QueueStatus {
            key,
            depth,
            dlq_depth,
            processed_last_hour: 0,
        },
        warnings,
    )
}

/// Turns a stage on (`enabled`) or off by writing its SSM parameter (`"false"` / `"true"`); for
/// a mode ([`Killswitch::is_mode`]) `enabled` turns the mode on (`"true"`). A store that cannot
/// be written is [`AppError::Unavailable`]: the operator can retry.
pub async fn set_enabled(
    app: &App,
    _: &Permit<op::AdminKillswitchSet>,
    switch: Killswitch,
    enabled: bool,
) -> AppResult<()> {
    let flag = if switch.is_mode() { enabled } else { !enabled };
    app.services
        .killswitches
        .set_paused(switch, flag)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))
}
