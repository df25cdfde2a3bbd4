//! Is the database answering? Used by `GET /health`.

use std::time::Duration;

use sqlx::PgPool;

/// True when `SELECT 1` completes within `timeout`.
pub async fn database_answers(pool: &PgPool, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(
            timeout,
            sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool)
        )
        .await,
        Ok(Ok(1))
    )
}
