//! LLM classification of the wrong answers the rule engine left UNCLASSIFIED (decision 20): a
//! batch of llm-classify messages → one model call per subdomain → each attempt CLASSIFIED with
//! the tag the model chose, a `cost_events` row per call, an `llm_classification_jobs` audit
//! document per call.
//!
//! Decisions where the specification is silent:
//!
//! * **Grouping**: by the message's `(domain_id, subdomain_code)`: a bare subdomain code such as
//!   `SUB` exists under several domains, each with its own tags. The allowed codes are those of
//!   [`innova_core::db::classify::catalog`] (the subdomain's ACTIVE tags, plus the domain's
//!   transversal ones) and `UNCLASSIFIED`.
//! * **Only PENDING attempts are sent**: the batch's attempts are read first; one already
//!   classified (a redelivery, a re-enqueue racing the first message) or gone is skipped
//!   before any call, so a redelivered batch costs nothing. The write is conditional as well
//!   (`WHERE status = 'PENDING'`), for deliveries racing each other.
//! * **Cost**: `cost_events` holds one row per model call (data-model.md §2.9), with the call's
//!   whole usage and the trace id of the call's first attempt. It is written in the transaction
//!   of the first attempt the call classifies; when the call classifies none (every answer
//!   refused, or all classified meanwhile) it is written on its own: the call was paid anyway.
//!   The other attempts' writes are one `UPDATE` each, a transaction of their own.
//! * **A code outside the allowed set** (or no answer for an attempt): that attempt stays
//!   PENDING and its record fails ([`AppError::Upstream`]), so SQS retries it and, after
//!   `maxReceiveCount`, dead-letters it; the re-enqueue brings it back later.
//! * **`UNCLASSIFIED` from the model** is a verdict: the attempt becomes CLASSIFIED with the
//!   `UNCLASSIFIED` tag (source LLM, the model's confidence). Leaving it PENDING would have the
//!   re-enqueue send it again every hour, forever.
//! * **No catalog** (no ACTIVE tag for the subdomain, or neither domain nor subdomain known, as
//!   for a typed attempt without a topic): there is nothing to choose from, so there is no call;
//!   the attempts are classified `UNCLASSIFIED` with confidence 0, for the same reason.
//! * **The audit document** is written after the commits; a failure to write it is logged and
//!   does not fail the records (a redelivery would skip the classified attempts and could not
//!   write it either).

use innova_domain::ids::AttemptId;
use std::collections::HashMap;
use std::time::Instant;

use innova_core::db::classify::{self as repo, AttemptState, Catalog};
use innova_core::db::cost_events::{self, NewCostEvent};
use innova_core::db::{self, DbError};
use innova_core::llm::{
    AttemptToClassify, CatalogTag, ClassifyRequest, ClassifyResponse, LlmClassifier, LlmError,
    UNCLASSIFIED,
};
use innova_core::messages::LlmClassifyMessage;
use innova_core::telemetry::{
    self, JobStatus, LlmClassification, LlmClassificationJobDoc, LlmRequestMeta, LlmResponseMeta,
    TelemetryStore,
};
use innova_domain::pricing::{self, Usage};
use innova_domain::vocab::AttemptStatus;

use crate::{App, AppError, AppResult};

/// The `worker` of its cost events.
pub const WORKER: &str = "llm-classifier";

/// What happened to one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Now CLASSIFIED with this tag.
    Classified {
        error_tag_code: String,
        confidence: f64,
    },
    /// Nothing to do (the reason says why): already classified, or no such attempt.
    Skipped(String),
}

/// The outcome of each attempt id of the batch.
pub type Outcomes = HashMap<AttemptId, AppResult<Outcome>>;

/// Where the use case reaches the model and the audit store.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    pub llm: &'a dyn LlmClassifier,
    pub jobs: &'a dyn TelemetryStore,
}

/// The attempts of one call.
struct Group<'m> {
    domain_id: Option<&'m str>,
    subdomain_code: Option<&'m str>,
    attempts: Vec<(&'m LlmClassifyMessage, &'m AttemptState)>,
}

/// Classifies the attempts of `messages` (one per attempt id; repeats are ignored). An `Err`
/// means nothing could be decided (the database is unreachable): every record is retried.
pub async fn classify_batch(
    app: &App,
    ports: Ports<'_>,
    messages: &[LlmClassifyMessage],
) -> AppResult<Outcomes> {
    let mut unique: Vec<&LlmClassifyMessage> = Vec::with_capacity(messages.len());
    for m in messages {
        if !unique.iter().any(|u| u.id == m.id) {
            unique.push(m);
        }
    }
    let ids: Vec<AttemptId> = unique.iter().map(|m| m.id.clone()).collect();
    let states = repo::attempt_states(&app.db, &ids).await?;
    let states: HashMap<&str, &AttemptState> = states.iter().map(|s| (s.id.as_str(), s)).collect();

    let mut outcomes = Outcomes::new();
    let mut groups: Vec<Group> = Vec::new();
    for m in unique {
        let Some(state) = states.get(m.id.as_str()) else {
            tracing::warn!(attempt_id = %m.id, "llm-classify message for an attempt that does not exist: skipped");
            outcomes.insert(m.id.clone(), Ok(Outcome::Skipped("no such attempt".into())));
            continue;
        };
        if state.status != AttemptStatus::Pending {
            tracing::info!(attempt_id = %m.id, status = %state.status, "attempt already classified: skipped");
            outcomes.insert(
                m.id.clone(),
                Ok(Outcome::Skipped(format!("already {}", state.status))),
            );
            continue;
        }
        let key = (m.domain_id.as_deref(), m.subdomain_code.as_deref());
        match groups
            .iter_mut()
            .find(|g| (g.domain_id, g.subdomain_code) == key)
        {
            Some(g) => g.attempts.push((m, state)),
            None => groups.push(Group {
                domain_id: key.0,
                subdomain_code: key.1,
                attempts: vec![(m, state)],
            }),
        }
    }

    let mut catalogs = Vec::with_capacity(groups.len());
    for g in &groups {
        catalogs.push(repo::catalog(&app.db, g.domain_id, g.subdomain_code).await?);
    }

    // Groups without a catalog are settled without a call; the others call the model at once
    // (a few groups per batch: their calls overlap, their writes run one after the other).
    let mut calls = Vec::new();
    for (g, catalog) in groups.iter().zip(&catalogs) {
        if catalog.tags.is_empty() {
            tracing::warn!(
                domain_id = ?g.domain_id, subdomain_code = ?g.subdomain_code, attempts = g.attempts.len(),
                "no ACTIVE error tag to choose from: attempts classified UNCLASSIFIED without a model call"
            );
            for (m, _) in &g.attempts {
                let result =
                    write_unclassified_without_call(app, &m.id, catalog.unclassified_id.as_deref())
                        .await;
                outcomes.insert(m.id.clone(), result);
            }
        } else {
            calls.push((g, catalog, request(g, catalog)));
        }
    }
    let answers = futures::future::join_all(calls.iter().map(|(_, _, req)| async move {
        let started = Instant::now();
        let created_at = telemetry::now();
        let answer = ports.llm.classify(req).await;
        (answer, started.elapsed(), created_at)
    }))
    .await;

    let mut jobs = Vec::with_capacity(answers.len());
    for ((g, catalog, req), (answer, elapsed, created_at)) in calls.iter().zip(answers) {
        let mut job = Job {
            attempt_ids: g.attempts.iter().map(|(m, _)| m.id.clone()).collect(),
            trace_id: g.attempts[0].1.trace_id.clone(),
            model: ports.llm.model().to_string(),
            duration_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
            ..Job::default()
        };
        match answer {
            Ok(response) => {
                apply(app, g, catalog, req, &response, &mut job, &mut outcomes).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempts = g.attempts.len(), subdomain_code = ?g.subdomain_code,
                    "llm classification call failed: its records will be retried");
                job.failed(&e);
                for (m, _) in &g.attempts {
                    outcomes.insert(m.id.clone(), Err(call_error(&e)));
                }
            }
        }
        jobs.push((job, created_at));
    }
    for (job, created_at) in jobs {
        let mut doc = job.into_doc();
        doc.created_at = created_at;
        if let Err(e) = ports.jobs.insert_llm_classification_job(&doc).await {
            tracing::error!(error = %e, attempt_ids = ?doc.attempt_ids,
                "llm_classification_jobs document not written (the classification is stored)");
        }
    }
    Ok(outcomes)
}

/// The call for a group: its attempts and its catalog.
fn request(g: &Group, catalog: &Catalog) -> ClassifyRequest {
    ClassifyRequest {
        subdomain_code: g.subdomain_code.map(str::to_owned),
        catalog: catalog
            .tags
            .iter()
            .map(|t| CatalogTag {
                code: t.code.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                diagnostic_hint: t.diagnostic_hint.clone(),
            })
            .collect(),
        attempts: g
            .attempts
            .iter()
            .map(|(m, _)| AttemptToClassify {
                attempt_id: m.id.to_string(),
                topic: m.topic.clone(),
                problem_statement: m.problem_statement.clone(),
                canonical_solution: m.canonical_solution.clone(),
                steps: m.raw_steps.clone(),
                final_answer: m.final_answer.clone(),
            })
            .collect(),
    }
}

/// Stores the answer of one call: each attempt's tag (or its refusal) and the call's cost.
async fn apply(
    app: &App,
    g: &Group<'_>,
    catalog: &Catalog,
    req: &ClassifyRequest,
    response: &ClassifyResponse,
    job: &mut Job,
    outcomes: &mut Outcomes,
) {
    let mut allowed: HashMap<&str, Option<&str>> = catalog
        .tags
        .iter()
        .map(|t| (t.code.as_str(), Some(t.id.as_str())))
        .collect();
    allowed.insert(UNCLASSIFIED, catalog.unclassified_id.as_deref());
    let mut answered = HashMap::new();
    for c in &response.classifications {
        answered.entry(c.attempt_id.as_str()).or_insert(c);
    }
    let cost = NewCostEvent {
        worker: WORKER,
        model: &response.model,
        usage: response.usage,
        trace_id: &job.trace_id,
    };
    let mut cost_recorded = false;
    let mut refused = Vec::new();
    for (m, _) in &g.attempts {
        let Some(c) = answered.get(m.id.as_str()) else {
            refused.push(format!("{}: no classification", m.id));
            outcomes.insert(
                m.id.clone(),
                Err(AppError::Upstream(format!(
                    "the model gave no classification for attempt {}: it stays PENDING",
                    m.id
                ))),
            );
            continue;
        };
        let Some(tag_id) = allowed.get(c.error_tag_code.as_str()) else {
            refused.push(format!("{}: {}", m.id, c.error_tag_code));
            tracing::warn!(attempt_id = %m.id, code = %c.error_tag_code, allowed = ?req.allowed_codes(),
                "the model chose a code outside the allowed set: refused");
            outcomes.insert(
                m.id.clone(),
                Err(AppError::Upstream(format!(
                    "the model answered error tag `{}` for attempt {}, which is not an ACTIVE tag \
                     of subdomain {}: the attempt stays PENDING",
                    c.error_tag_code,
                    m.id,
                    g.subdomain_code.unwrap_or("(none)")
                ))),
            );
            continue;
        };
        let written = if cost_recorded {
            repo::mark_classified(&app.db, &m.id, *tag_id, c.confidence)
                .await
                .map_err(AppError::from)
        } else {
            classify_with_cost(app, &m.id, *tag_id, c.confidence, &cost).await
        };
        let outcome = match written {
            Ok(true) => {
                cost_recorded = true;
                Ok(Outcome::Classified {
                    error_tag_code: c.error_tag_code.clone(),
                    confidence: c.confidence,
                })
            }
            Ok(false) => Ok(Outcome::Skipped("classified meanwhile".into())),
            Err(e) => Err(e),
        };
        outcomes.insert(m.id.clone(), outcome);
    }
    if !cost_recorded && let Err(e) = cost_events::insert(&app.db, &cost).await {
        tracing::error!(error = %e, trace_id = %job.trace_id, "cost event of a paid call not recorded");
    }
    job.completed(response, refused);
}

/// The first classification of a call: the attempt and the call's cost event in one
/// transaction. False (and no cost written) when the attempt was no longer PENDING.
async fn classify_with_cost(
    app: &App,
    attempt_id: &AttemptId,
    tag_id: Option<&str>,
    confidence: f64,
    cost: &NewCostEvent<'_>,
) -> AppResult<bool> {
    let mut tx = db::begin(&app.db).await?;
    if !repo::mark_classified(&mut *tx, attempt_id, tag_id, confidence).await? {
        return Ok(false);
    }
    cost_events::insert(&mut *tx, cost).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

async fn write_unclassified_without_call(
    app: &App,
    attempt_id: &AttemptId,
    unclassified_id: Option<&str>,
) -> AppResult<Outcome> {
    Ok(
        if repo::mark_classified(&app.db, attempt_id, unclassified_id, 0.0).await? {
            Outcome::Classified {
                error_tag_code: UNCLASSIFIED.into(),
                confidence: 0.0,
            }
        } else {
            Outcome::Skipped("classified meanwhile".into())
        },
    )
}

/// A failed call, for each of its attempts: retrying later may help unless the provider
/// refused the request itself.
fn call_error(e: &LlmError) -> AppError {
    match e {
        LlmError::Unavailable { .. } => AppError::Unavailable(e.to_string()),
        LlmError::Rejected { .. } | LlmError::Malformed { .. } => AppError::Upstream(e.to_string()),
    }
}

/// The audit record of one call, filled as it goes.
#[derive(Default)]
struct Job {
    attempt_ids: Vec<AttemptId>,
    trace_id: String,
    model: String,
    status: Option<JobStatus>,
    usage: Usage,
    tool_choice: Option<serde_json::Value>,
    classifications: Vec<LlmClassification>,
    response_id: Option<String>,
    cost_usd: f64,
    duration_ms: i64,
    retries: u32,
    error_message: Option<String>,
}

impl Job {
    fn completed(&mut self, response: &ClassifyResponse, refused: Vec<String>) {
        self.status = Some(JobStatus::Completed);
        self.model = response.model.clone();
        self.usage = response.usage;
        self.tool_choice = Some(response.tool_choice.clone());
        self.response_id = response.response_id.clone();
        self.cost_usd = pricing::cost_usd(&response.model, response.usage);
        self.retries = response.retries;
        self.classifications = response
            .classifications
            .iter()
            .map(|c| LlmClassification {
                attempt_id: c.attempt_id.clone(),
                error_type: c.error_tag_code.clone(),
                evidence: (!c.evidence.is_empty()).then(|| c.evidence.clone()),
                confidence: Some(c.confidence),
            })
            .collect();
        if !refused.is_empty() {
            self.error_message = Some(format!(
                "refused (attempts left PENDING): {}",
                refused.join("; ")
            ));
        }
    }

    fn failed(&mut self, e: &LlmError) {
        self.status = Some(JobStatus::Failed);
        self.retries = e.retries();
        self.error_message = Some(e.to_string());
    }

    fn into_doc(self) -> LlmClassificationJobDoc {
        let now = telemetry::now();
        let status = self.status.unwrap_or(JobStatus::Failed);
        let tokens = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        LlmClassificationJobDoc {
            attempt_ids: self.attempt_ids.into_iter().map(String::from).collect(),
            trace_id: self.trace_id,
            model: self.model,
            status,
            request_meta: LlmRequestMeta {
                cached_tokens: Some(tokens(self.usage.cache_read_input_tokens)),
                input_tokens: tokens(self.usage.input_tokens),
                output_tokens: tokens(self.usage.output_tokens),
                tool_choice: self.tool_choice,
                cache_hit: self.usage.cache_read_input_tokens > 0,
            },
            response_meta: LlmResponseMeta {
                classifications: self.classifications,
                raw_response_id: self.response_id,
            },
            cost_estimated_usd: self.cost_usd,
            duration_ms: self.duration_ms,
            retries: i32::try_from(self.retries).unwrap_or(i32::MAX),
            error_message: self.error_message,
            completed_at: (status == JobStatus::Completed).then_some(now),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Why the llm-classify messages of this process have no consumer, if they have none: the
/// queue is embedded here and no Anthropic key is configured (decisions §3). For the start-up
/// log and `GET /admin/status`.
pub fn local_consumer_missing(app: &App) -> Option<String> {
    let embedded =
        app.services.embedded_queue().is_some() && app.config.queues.llm_classify.is_none();
    (embedded && app.config.anthropic.is_none()).then(|| {
        "llm-classify: no local consumer (ANTHROPIC_API_KEY is not set): messages stay queued \
         and UNCLASSIFIED attempts stay PENDING"
            .to_string()
    })
}
