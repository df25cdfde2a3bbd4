//! The figures of the admin status page (`GET /admin/status`): pipeline activity in the last
//! hour and model cost from `cost_events`. Days and months are UTC (the reference's server time
//! zone on Lambda).

use sqlx::PgExecutor;

use super::DbResult;

/// Activity of the last 60 minutes, and the guides waiting in the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PipelineCounts {
    pub attempts_last_hour: i64,
    pub submissions_last_hour: i64,
    /// Attempts CLASSIFIED (by any classifier) in the last hour.
    pub classified_last_hour: i64,
    /// Guides in EXTRACTING, GENERATING_SOLUTIONS or REVIEW.
    pub pending_guides: i64,
    /// Attempts the LLM classifier classified in the last hour.
    pub llm_classified_last_hour: i64,
    /// Guide submissions graded in the last hour.
    pub submissions_graded_last_hour: i64,
}

/// One statement.
pub async fn pipeline_counts(exec: impl PgExecutor<'_>) -> DbResult<PipelineCounts> {
    Ok(sqlx::query_as(
        "WITH since AS (SELECT CURRENT_TIMESTAMP - interval '1 hour' AS t)
         SELECT
           (SELECT count(*) FROM attempts, since WHERE created_at >= since.t) AS attempts_last_hour,
           (SELECT count(*) FROM guide_submissions, since WHERE created_at >= since.t)
               AS submissions_last_hour,
           (SELECT count(*) FROM attempts, since
             WHERE status = 'CLASSIFIED' AND classified_at >= since.t) AS classified_last_hour,
           (SELECT count(*) FROM guides
             WHERE status IN ('EXTRACTING', 'GENERATING_SOLUTIONS', 'REVIEW')) AS pending_guides,
           (SELECT count(*) FROM attempts, since
             WHERE status = 'CLASSIFIED' AND classifier_source = 'LLM' AND classified_at >= since.t)
               AS llm_classified_last_hour,
           (SELECT count(*) FROM guide_submissions, since
             WHERE status = 'GRADED' AND graded_at >= since.t) AS submissions_graded_last_hour",
    )
    .fetch_one(exec)
    .await?)
}

/// Calls and spend of one model since midnight.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CostByModel {
    pub model: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
}

/// Today's cost events grouped by model, by model name.
pub async fn cost_today_by_model(exec: impl PgExecutor<'_>) -> DbResult<Vec<CostByModel>> {
    Ok(sqlx::query_as(
        "SELECT model, count(*) AS calls,
                COALESCE(sum(input_tokens), 0)::int8 AS input_tokens,
                COALESCE(sum(output_tokens), 0)::int8 AS output_tokens,
                COALESCE(sum(cost_usd), 0) AS cost_usd
         FROM cost_events
         WHERE created_at >= date_trunc('day', CURRENT_TIMESTAMP AT TIME ZONE 'UTC')
         GROUP BY model
         ORDER BY model",
    )
    .fetch_all(exec)
    .await?)
}

/// Spend since the first of the month.
pub async fn cost_this_month(exec: impl PgExecutor<'_>) -> DbResult<f64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(sum(cost_usd), 0) FROM cost_events
         WHERE created_at >= date_trunc('month', CURRENT_TIMESTAMP AT TIME ZONE 'UTC')",
    )
    .fetch_one(exec)
    .await?)
}
