//! The adapters against real services: PostgreSQL, FerretDB (MongoDB wire protocol), moto (SQS,
//! S3) and a wiremock fake of Gemini. `scripts/test` starts the services and exports their
//! addresses; a missing variable fails the test with a message saying what to run.
//!
//! Every test uses its own queue, bucket and database names (UUID suffix), so tests run in
//! parallel.

mod objects;
mod ocr;
mod queue;
mod smoke;
mod telemetry;
mod timeouts;
// --- LLM classifier
mod anthropic;

use innova_core::aws::Aws;
use innova_core::config::Config;

pub use innova_testkit::services::{
    aws_endpoint, mongodb_uri_with_fresh_database as mongo_uri_with_fresh_database, required_env,
    unique,
};

/// Configuration pointing the AWS adapters at moto, plus `extra` variables.
pub fn config(extra: &[(&str, &str)]) -> Config {
    let endpoint = aws_endpoint();
    let mut vars = vec![
        ("DATABASE_URL", "postgres://unused@127.0.0.1/unused"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).expect("test configuration")
}

/// The SDK configuration the adapters use, for the tests' own setup calls.
pub fn aws() -> std::sync::Arc<Aws> {
    std::sync::Arc::new(Aws::new(config(&[]).aws))
}

/// Creates a FIFO queue with content-based deduplication; returns its URL.
pub async fn create_fifo_queue(sqs: &aws_sdk_sqs::Client) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let name = format!("{}-attempt-stream.fifo", unique("t").replace('_', "-"));
    sqs.create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .expect("moto creates the FIFO queue")
        .queue_url
        .expect("a queue URL")
}

/// Creates a standard queue; returns its URL.
pub async fn create_standard_queue(sqs: &aws_sdk_sqs::Client) -> String {
    sqs.create_queue()
        .queue_name(unique("t-queue").replace('_', "-"))
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue URL")
}

/// Creates a bucket; returns its name.
pub async fn create_bucket(s3: &aws_sdk_s3::Client) -> String {
    let name = unique("innova-test").replace('_', "-");
    s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("moto creates the bucket");
    name
}
