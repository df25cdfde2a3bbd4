//! `cost_events`: one row per paid model call a worker makes (workers-infra.md §5), read by
//! `GET /admin/status`. The price comes from `innova_domain::pricing`.

use innova_domain::pricing::{self, Usage};
use sqlx::PgExecutor;

use super::DbResult;

/// A call to record.
#[derive(Debug, Clone)]
pub struct NewCostEvent<'a> {
    /// The worker that paid for it, e.g. `llm-classifier`, `ocr-worker`.
    pub worker: &'a str,
    /// The model id the provider answered with.
    pub model: &'a str,
    pub usage: Usage,
    pub trace_id: &'a str,
}

/// Inserts the event with its cost in USD; returns the new row's id and the cost.
pub async fn insert(exec: impl PgExecutor<'_>, e: &NewCostEvent<'_>) -> DbResult<(String, f64)> {
    let id = super::new_id();
    let cost = pricing::cost_usd(e.model, e.usage);
    let tokens = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO cost_events (id, worker, model, input_tokens, output_tokens,
                                  cache_creation_input_tokens, cache_read_input_tokens,
                                  cost_usd, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(e.worker)
    .bind(e.model)
    .bind(tokens(e.usage.input_tokens))
    .bind(tokens(e.usage.output_tokens))
    .bind(tokens(e.usage.cache_creation_input_tokens))
    .bind(tokens(e.usage.cache_read_input_tokens))
    .bind(cost)
    .bind(e.trace_id)
    .execute(exec)
    .await?;
    Ok((id, cost))
}
