//! Fault injection (issue 26): the composed local server (`innova-api`) under a bounded mixed
//! load while one of its dependencies — PostgreSQL, moto (SQS/S3/SSM), MongoDB (FerretDB) — is
//! cut, slowed down, reset or restarted through a [`FaultProxy`](innova_testkit::proxy); and the
//! workers' handlers under the same faults. What each scenario checks is in [`harness`]; what the
//! code promises under each fault is docs/architecture.md, "Faults".
//!
//! `scripts/test` runs the fast part (3 s faults, about a minute and a half in all) within its
//! `cargo test --workspace`; `scripts/faults` runs the full suite (`INNOVA_FAULTS=full`: 10 s
//! faults, the ignored scenarios too, a real PostgreSQL restart) and prints one table per fault.
//!
//! One scenario at a time, whatever `--test-threads` says: each takes [`SERIAL`] first, since
//! two scenarios at once would share the CPU and the services (a fault of one would slow the
//! other down) and their timings would mean nothing.

mod harness;
mod workers;

use harness::{Dep, Fault, Scenario};

/// Held by each scenario for its whole run (a tokio mutex: each test has its own runtime).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_then_back() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Postgres, Fault::Down).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_latency() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Postgres, Fault::Latency).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_reset_mid_transaction() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Postgres, Fault::Reset).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full suite only: scripts/faults (it stops and starts the PostgreSQL server)"]
async fn postgres_restarted_under_load() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Postgres, Fault::Restart).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_endpoint_down_then_back() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Moto, Fault::Down).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full suite only: scripts/faults"]
async fn queue_endpoint_latency() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Moto, Fault::Latency).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full suite only: scripts/faults"]
async fn queue_endpoint_connections_reset() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Moto, Fault::Reset).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_down_then_back() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Mongo, Fault::Down).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full suite only: scripts/faults"]
async fn mongodb_latency() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Mongo, Fault::Latency).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full suite only: scripts/faults"]
async fn mongodb_connections_reset() {
    let _serial = SERIAL.lock().await;
    Scenario::new(Dep::Mongo, Fault::Reset).run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_worker_reports_failed_records_and_succeeds_on_redelivery() {
    let _serial = SERIAL.lock().await;
    workers::telemetry_with_mongodb_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_worker_reports_failed_records_and_succeeds_on_redelivery() {
    let _serial = SERIAL.lock().await;
    workers::reprocess_with_postgres_faults().await;
}
