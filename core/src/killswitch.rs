//! The killswitch port: operators pause a stage of the AI pipeline (or the hourly alerts) by
//! setting an SSM String parameter to `"true"` (workers-infra.md §3.10, §4.3; decision 24).
//!
//! * [`SsmKillswitches`]: `GetParameter` / `PutParameter` (String, overwrite). Reads are
//!   **fail-open** as the reference and the AI engine: a missing parameter is "running", and an
//!   unreadable one (SSM down, no permission) is [`SwitchState::Unknown`], which also counts as
//!   running. Each state is cached for [`SsmKillswitches::DEFAULT_TTL`] so a worker does not call
//!   SSM per message; a write through this adapter updates the cache at once.
//! * [`MemoryKillswitches`]: in-process, for a local process without an AWS endpoint.
//!
//! The parameter names are the ones the AI engine already reads (`/innova/guides/…` for its
//! grader and solution generator), so pausing here pauses it there; the two switches only this
//! backend reads follow decision 24's `/innova/<name>/paused`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_ssm::error::{DisplayErrorContext, SdkError};
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use aws_sdk_ssm::types::ParameterType;
use tokio::sync::OnceCell;

use crate::aws::Aws;

/// A stage that can be paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Killswitch {
    /// The AI engine's submission grader.
    Grader,
    /// The LLM classifier (this backend's `llmClassifierWorker`; the AI engine's too).
    Classifier,
    /// The AI engine's solution generator.
    SolutionGenerator,
    /// The OCR worker.
    Ocr,
    /// The hourly alert generator.
    HourlyAlerts,
    /// The AI engine's guide ingest (PDF extraction, its costliest stage).
    Ingest,
    /// Not a pause: the AI engine's grader in its cheap mode when `"true"` (a mode switch; see
    /// [`Killswitch::is_mode`]).
    GradingCheapMode,
}

impl Killswitch {
    pub const ALL: [Killswitch; 7] = [
        Killswitch::Grader,
        Killswitch::Classifier,
        Killswitch::SolutionGenerator,
        Killswitch::Ocr,
        Killswitch::HourlyAlerts,
        Killswitch::Ingest,
        Killswitch::GradingCheapMode,
    ];

    /// The SSM parameter; `"true"` means paused (for a mode: on).
    pub fn parameter(self) -> &'static str {
        match self {
            Killswitch::Grader => "/innova/guides/grading_paused",
            Killswitch::Classifier => "/innova/llm/paused",
            Killswitch::SolutionGenerator => "/innova/guides/solution_paused",
            Killswitch::Ocr => "/innova/ocr/paused",
            Killswitch::HourlyAlerts => "/innova/alerts/paused",
            Killswitch::Ingest => "/innova/guides/ingest_paused",
            Killswitch::GradingCheapMode => "/innova/guides/grading_cheap_mode",
        }
    }

    /// A mode rather than a pause: `"true"` turns the mode on, and an unreadable parameter reads
    /// as off (the stage runs as usual).
    pub fn is_mode(self) -> bool {
        self == Killswitch::GradingCheapMode
    }
}

/// A switch as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchState {
    Running,
    Paused,
    /// The store could not be read: treated as running (fail-open).
    Unknown,
}

impl SwitchState {
    /// Whether work should stop (only a definite "paused" stops it).
    pub fn is_paused(self) -> bool {
        self == SwitchState::Paused
    }
}

#[derive(Debug, thiserror::Error)]
#[error("writing {parameter} failed: {message}")]
pub struct KillswitchError {
    pub parameter: &'static str,
    pub message: String,
}

#[async_trait]
pub trait Killswitches: Send + Sync {
    async fn state(&self, switch: Killswitch) -> SwitchState;

    /// Pauses (`true`) or resumes a stage.
    async fn set_paused(&self, switch: Killswitch, paused: bool) -> Result<(), KillswitchError>;

    /// Which adapter this is, for the start-up log and the admin status.
    fn backend(&self) -> &'static str;
}

/// SSM Parameter Store, with a short cache.
pub struct SsmKillswitches {
    aws: Arc<Aws>,
    client: OnceCell<aws_sdk_ssm::Client>,
    ttl: Duration,
    cache: Mutex<HashMap<Killswitch, (Instant, SwitchState)>>,
}

impl SsmKillswitches {
    /// How long a read state is reused.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
    /// A read that takes longer is given up (the state is then `Unknown`): a status page or a
    /// worker must not hang on SSM.
    pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

    pub fn new(aws: Arc<Aws>, ttl: Duration) -> Self {
        SsmKillswitches {
            aws,
            client: OnceCell::new(),
            ttl,
            cache: Mutex::default(),
        }
    }

    async fn client(&self) -> &aws_sdk_ssm::Client {
        self.client.get_or_init(|| self.aws.ssm()).await
    }

    fn cached(&self, switch: Killswitch) -> Option<SwitchState> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&switch)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, state)| *state)
    }

    fn remember(&self, switch: Killswitch, state: SwitchState) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(switch, (Instant::now(), state));
    }

    async fn read(&self, switch: Killswitch) -> SwitchState {
        let parameter = switch.parameter();
        let call = self.client().await.get_parameter().name(parameter).send();
        match tokio::time::timeout(Self::READ_TIMEOUT, call).await {
            Ok(Ok(out)) => {
                let value = out.parameter.and_then(|p| p.value).unwrap_or_default();
                if value.eq_ignore_ascii_case("true") {
                    SwitchState::Paused
                } else {
                    SwitchState::Running
                }
            }
            Ok(Err(SdkError::ServiceError(e)))
                if matches!(e.err(), GetParameterError::ParameterNotFound(_)) =>
            {
                SwitchState::Running
            }
            Ok(Err(e)) => {
                tracing::warn!(parameter, error = %DisplayErrorContext(e), "killswitch unreadable: treated as running (fail-open)");
                SwitchState::Unknown
            }
            Err(_) => {
                tracing::warn!(
                    parameter,
                    "killswitch read timed out: treated as running (fail-open)"
                );
                SwitchState::Unknown
            }
        }
    }
}

#[async_trait]
impl Killswitches for SsmKillswitches {
    async fn state(&self, switch: Killswitch) -> SwitchState {
        if let Some(state) = self.cached(switch) {
            return state;
        }
        let state = self.read(switch).await;
        self.remember(switch, state);
        state
    }

    async fn set_paused(&self, switch: Killswitch, paused: bool) -> Result<(), KillswitchError> {
        let parameter = switch.parameter();
        self.client()
            .await
            .put_parameter()
            .name(parameter)
            .value(if paused { "true" } else { "false" })
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| KillswitchError {
                parameter,
                message: DisplayErrorContext(e).to_string(),
            })?;
        let state = if paused {
            SwitchState::Paused
        } else {
            SwitchState::Running
        };
        self.remember(switch, state);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "ssm"
    }
}

/// In-process switches (all running at start).
#[derive(Default)]
pub struct MemoryKillswitches {
    paused: Mutex<HashMap<Killswitch, bool>>,
}

#[async_trait]
impl Killswitches for MemoryKillswitches {
    async fn state(&self, switch: Killswitch) -> SwitchState {
        let paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        if paused.get(&switch).copied().unwrap_or(false) {
            SwitchState::Paused
        } else {
            SwitchState::Running
        }
    }

    async fn set_paused(&self, switch: Killswitch, paused: bool) -> Result<(), KillswitchError> {
        self.paused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(switch, paused);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_under_innova_and_distinct() {
        let mut names: Vec<_> = Killswitch::ALL.iter().map(|k| k.parameter()).collect();
        assert!(names.iter().all(|n| n.starts_with("/innova/")));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Killswitch::ALL.len());
    }

    #[tokio::test]
    async fn memory_switches_start_running_and_toggle() {
        let switches = MemoryKillswitches::default();
        assert_eq!(switches.state(Killswitch::Ocr).await, SwitchState::Running);
        switches.set_paused(Killswitch::Ocr, true).await.unwrap();
        assert!(switches.state(Killswitch::Ocr).await.is_paused());
        assert!(!switches.state(Killswitch::Grader).await.is_paused());
        switches.set_paused(Killswitch::Ocr, false).await.unwrap();
        assert!(!switches.state(Killswitch::Ocr).await.is_paused());
        assert!(!SwitchState::Unknown.is_paused(), "fail-open");
    }
}
