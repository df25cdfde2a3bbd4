//! `/admin/status`: the pipeline snapshot and the killswitch toggle.

use innova_app::admin_status as app;
use innova_core::killswitch::Killswitch;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::validate::{Problems, Validate};

// ---- GET /admin/status ------------------------------------------------------------------------

/// One queue; `-1` where it could not be read (see `warnings`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// `ApproximateNumberOfMessages` (locally: the embedded queue's waiting messages).
    pub depth: i64,
    /// Messages in its dead-letter queue (0 for a queue without one).
    pub dlq_depth: i64,
    /// Records the database shows processed from it in the last hour (LLM classifications,
    /// graded submissions); 0 where nothing records it.
    pub processed_last_hour: i64,
}

impl From<&app::QueueStatus> for QueueStatus {
    fn from(q: &app::QueueStatus) -> Self {
        QueueStatus {
            depth: q.depth,
            dlq_depth: q.dlq_depth,
            processed_last_hour: q.processed_last_hour,
        }
    }
}

/// The queues, under the reference's keys.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Queues {
    #[serde(rename = "guide-ingest")]
    pub guide_ingest: QueueStatus,
    #[serde(rename = "attempt-reprocess")]
    pub attempt_reprocess: QueueStatus,
    #[serde(rename = "llm-classify")]
    pub llm_classify: QueueStatus,
    #[serde(rename = "hourly-alerts")]
    pub hourly_alerts: QueueStatus,
}

/// Activity of the last 60 minutes.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    pub attempts_last_hour: i64,
    pub submissions_last_hour: i64,
    pub classified_last_hour: i64,
    /// Guides in EXTRACTING, GENERATING_SOLUTIONS or REVIEW.
    pub pending_guides: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelCost {
    pub model: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
}

/// Model spend from `cost_events` (UTC days and months).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub today_usd: f64,
    pub month_usd: f64,
    /// Today's calls and spend per model.
    pub by_model: Vec<ModelCost>,
}

/// Whether each stage runs (`false` = paused), under the SSM parameters the workers and the AI
/// engine read. An unreadable switch is reported enabled (fail-open, as the workers treat it)
/// with a warning.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Killswitches {
    /// `/innova/guides/grading_paused` (the AI engine's grader).
    pub grader_enabled: bool,
    /// `/innova/llm/paused`.
    pub classifier_enabled: bool,
    /// `/innova/alerts/paused`.
    pub hourly_alerts_enabled: bool,
    /// `/innova/guides/solution_paused` (the AI engine's solution generator).
    pub solution_generator_enabled: bool,
    /// `/innova/ocr/paused`.
    pub ocr_enabled: bool,
    /// `/innova/guides/ingest_paused` (the AI engine's guide ingest, its costliest stage).
    pub ingest_enabled: bool,
    /// Not a pause: `/innova/guides/grading_cheap_mode` is `"true"` (the AI engine's grader in
    /// its cheap mode). Off when unreadable.
    pub grading_cheap_mode: bool,
}

/// Who runs an AI stage (decision 21, chosen at deploy): `backend` (this backend's worker) or
/// `engine` (the AI engine's own function).
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageOwner {
    // This backend's worker.
    Backend,
    // The AI engine's own function.
    Engine,
}

impl From<innova_core::config::StageOwner> for StageOwner {
    fn from(o: innova_core::config::StageOwner) -> Self {
        match o {
            innova_core::config::StageOwner::Backend => StageOwner::Backend,
            innova_core::config::StageOwner::Engine => StageOwner::Engine,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageOwners {
    /// Who consumes `llm-classify-queue`.
    pub llm_classification: StageOwner,
    /// Who transcribes the photos of the OCR uploads bucket.
    pub ocr: StageOwner,
}

/// The transactional outbox: messages stored with their rows and not yet published (a failed
/// publish waits for the relay, at most a minute on AWS).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxBacklog {
    pub messages: i64,
    /// Seconds since the oldest was stored; `null` when empty.
    pub oldest_age_seconds: Option<f64>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminStatus {
    pub queues: Queues,
    pub pipeline: Pipeline,
    pub cost: Cost,
    pub killswitches: Killswitches,
    pub owners: StageOwners,
    pub outbox: OutboxBacklog,
    /// What could not be read (a queue, a killswitch); empty when everything answered.
    pub warnings: Vec<String>,
}

impl From<app::AdminStatus> for AdminStatus {
    fn from(s: app::AdminStatus) -> Self {
        let queue = |key: &str| {
            s.queues
                .iter()
                .find(|q| q.key == key)
                .map(QueueStatus::from)
                .unwrap_or(QueueStatus {
                    depth: -1,
                    dlq_depth: -1,
                    processed_last_hour: 0,
                })
        };
        AdminStatus {
            queues: Queues {
                guide_ingest: queue("guide-ingest"),
                attempt_reprocess: queue("attempt-reprocess"),
                llm_classify: queue("llm-classify"),
                hourly_alerts: queue("hourly-alerts"),
            },
            pipeline: Pipeline {
                attempts_last_hour: s.pipeline.attempts_last_hour,
                submissions_last_hour: s.pipeline.submissions_last_hour,
                classified_last_hour: s.pipeline.classified_last_hour,
                pending_guides: s.pipeline.pending_guides,
            },
            cost: Cost {
                today_usd: s.cost.today_usd,
                month_usd: s.cost.month_usd,
                by_model: s
                    .cost
                    .by_model
                    .into_iter()
                    .map(|m| ModelCost {
                        model: m.model,
                        calls: m.calls,
                        input_tokens: m.input_tokens,
                        output_tokens: m.output_tokens,
                        cost_usd: m.cost_usd,
                    })
                    .collect(),
            },
            killswitches: Killswitches {
                grader_enabled: s.killswitches.grader,
                classifier_enabled: s.killswitches.classifier,
                hourly_alerts_enabled: s.killswitches.hourly_alerts,
                solution_generator_enabled: s.killswitches.solution_generator,
                ocr_enabled: s.killswitches.ocr,
                ingest_enabled: s.killswitches.ingest,
                grading_cheap_mode: s.killswitches.grading_cheap_mode,
            },
            owners: StageOwners {
                llm_classification: s.owners.llm_classification.into(),
                ocr: s.owners.ocr.into(),
            },
            outbox: OutboxBacklog {
                messages: s.outbox.messages,
                oldest_age_seconds: s.outbox.oldest_age_seconds,
            },
            warnings: s.warnings,
        }
    }
}

// ---- PATCH /admin/status/killswitches/{key} ---------------------------------------------------

/// The switches, by their keys in `killswitches`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KillswitchKey {
    GraderEnabled,
    ClassifierEnabled,
    SolutionGeneratorEnabled,
    OcrEnabled,
    HourlyAlertsEnabled,
    IngestEnabled,
    // The AI engine's grader cheap mode: `enabled` turns the mode on.
    GradingCheapMode,
}

impl KillswitchKey {
    const ALL: [(KillswitchKey, &'static str, Killswitch); 7] = [
        (
            KillswitchKey::GraderEnabled,
            "graderEnabled",
            Killswitch::Grader,
        ),
        (
            KillswitchKey::ClassifierEnabled,
            "classifierEnabled",
            Killswitch::Classifier,
        ),
        (
            KillswitchKey::SolutionGeneratorEnabled,
            "solutionGeneratorEnabled",
            Killswitch::SolutionGenerator,
        ),
        (KillswitchKey::OcrEnabled, "ocrEnabled", Killswitch::Ocr),
        (
            KillswitchKey::HourlyAlertsEnabled,
            "hourlyAlertsEnabled",
            Killswitch::HourlyAlerts,
        ),
        (
            KillswitchKey::IngestEnabled,
            "ingestEnabled",
            Killswitch::Ingest,
        ),
        (
            KillswitchKey::GradingCheapMode,
            "gradingCheapMode",
            Killswitch::GradingCheapMode,
        ),
    ];

    /// The key as written in the path, or the reference's 400 listing the valid keys.
    pub fn parse(key: &str) -> Result<KillswitchKey, ApiError> {
        Self::ALL
            .iter()
            .find(|(_, name, _)| *name == key)
            .map(|(k, _, _)| *k)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|(_, name, _)| *name).collect();
                ApiError::bad_request(format!(
                    "Unknown killswitch key \"{key}\". Valid: {}",
                    valid.join(", ")
                ))
            })
    }

    pub fn switch(self) -> Killswitch {
        Self::ALL
            .iter()
            .find(|(k, _, _)| *k == self)
            .map(|(_, _, s)| *s)
            .expect("every key is in ALL")
    }
}

/// Read as text so that an unknown key gets the reference's message; documented as the enum.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct KillswitchPath {
    #[schemars(with = "KillswitchKey")]
    pub key: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetKillswitch {
    /// `true` runs the stage, `false` pauses it (for `gradingCheapMode`: `true` turns the mode
    /// on).
    pub enabled: bool,
}

impl Validate for SetKillswitch {
    fn validate(&self, _: &mut Problems) {}
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KillswitchView {
    pub key: KillswitchKey,
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_and_unknown_ones_list_the_valid_keys() {
        for (key, name, switch) in KillswitchKey::ALL {
            assert_eq!(KillswitchKey::parse(name).unwrap(), key);
            assert_eq!(serde_json::to_value(key).unwrap(), name);
            assert_eq!(key.switch(), switch);
        }
        let err = KillswitchKey::parse("graderenabled").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("400 "), "{text}");
        assert!(
            text.contains("Unknown killswitch key \\\"graderenabled\\\". Valid: graderEnabled, classifierEnabled, solutionGeneratorEnabled"),
            "{text}"
        );
    }
}
