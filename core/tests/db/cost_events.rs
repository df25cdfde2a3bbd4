//! Cost events: a recorded call carries its tokens and the price of its model.

use innova_core::db::cost_events::{self, NewCostEvent};
use innova_domain::pricing::Usage;
use innova_testkit::seeded_db;

#[tokio::test]
async fn a_recorded_call_is_priced_by_its_model() {
    let db = seeded_db().await;
    let usage = Usage {
        input_tokens: 2_000,
        output_tokens: 300,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1_500,
    };
    let (id, cost) = cost_events::insert(
        &db.pool,
        &NewCostEvent {
            worker: "llm-classifier",
            model: "claude-haiku-4-5-20251001",
            usage,
            trace_id: "t-1",
        },
    )
    .await
    .unwrap();
    let expected = (2_000.0 * 1.0 + 300.0 * 5.0 + 1_500.0 * 0.10) / 1_000_000.0;
    assert_eq!(cost, expected);
    let (worker, input, cached, usd): (String, i32, i32, f64) = sqlx::query_as(
        "SELECT worker, input_tokens, cache_read_input_tokens, cost_usd FROM cost_events WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (worker.as_str(), input, cached, usd),
        ("llm-classifier", 2_000, 1_500, expected)
    );
}
