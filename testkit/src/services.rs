//! The other test services `scripts/test` starts — moto (SQS, S3, SSM) and FerretDB (MongoDB
//! wire protocol) — and helpers to give each test queues and databases of its own.
//!
//! * **`INNOVA_TEST_AWS_ENDPOINT_URL`**: the moto server (with `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` exported too).
//! * **`INNOVA_TEST_MONGODB_URI`**: the FerretDB server.
//!
//! Unset, a test panics saying what to run: a test needing a service never passes silently.

use innova_core::aws::Aws;
use innova_core::config::AwsSettings;
use innova_core::queue::{SqsEvent, SqsMessage};

/// A variable exported by `scripts/test`.
pub fn required_env(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{var} is not set: this test needs the services that scripts/test starts \
             (PostgreSQL, FerretDB, moto). Run the tests with scripts/test (e.g. `scripts/test -p innova-core`)."
        ),
    }
}

/// `prefix` plus a short random suffix (names of queues, buckets, databases).
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// The moto server's URL.
pub fn aws_endpoint() -> String {
    required_env("INNOVA_TEST_AWS_ENDPOINT_URL")
}

/// AWS settings pointing at moto.
pub fn aws_settings() -> AwsSettings {
    AwsSettings {
        region: "us-east-1".into(),
        endpoint_url: Some(
            url::Url::parse(&aws_endpoint()).expect("INNOVA_TEST_AWS_ENDPOINT_URL is a URL"),
        ),
    }
}

/// An SQS client on moto.
pub async fn sqs() -> aws_sdk_sqs::Client {
    Aws::new(aws_settings()).sqs().await
}

/// A MongoDB URI on a database of the test's own, and that database's name.
pub fn mongodb_uri_with_fresh_database() -> (String, String) {
    let mut url = url::Url::parse(&required_env("INNOVA_TEST_MONGODB_URI"))
        .expect("INNOVA_TEST_MONGODB_URI is a URL");
    let name = unique("innova_test");
    url.set_path(&format!("/{name}"));
    (url.to_string(), name)
}

/// A queue created in moto for one test.
#[derive(Debug, Clone)]
pub struct TestQueue {
    pub url: String,
    pub arn: String,
}

/// Creates a queue named `<suffix>-<random>` (plus `.fifo`); FIFO queues get content-based
/// deduplication, as deployed.
pub async fn create_queue(suffix: &str, fifo: bool) -> TestQueue {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = sqs().await;
    let name = unique(suffix).replace('_', "-");
    let mut create = sqs.create_queue();
    if fifo {
        create = create
            .queue_name(format!("{name}.fifo"))
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
    } else {
        create = create.queue_name(name);
    }
    let url = create
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue URL");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("a queue ARN");
    TestQueue { url, arn }
}

/// Receives what waits in the queue (up to 10 messages) as the `SqsEvent` Lambda's SQS
/// integration would deliver to a worker.
pub async fn receive_event(queue: &TestQueue) -> SqsEvent {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    let out = sqs()
        .await
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive from moto");
    let mut event = SqsEvent::default();
    for m in out.messages.unwrap_or_default() {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.receipt_handle = m.receipt_handle.clone();
        record.body = m.body.clone();
        record.md5_of_body = m.md5_of_body.clone();
        for (name, value) in m.attributes.unwrap_or_default() {
            record.attributes.insert(name.as_str().to_string(), value);
        }
        record.event_source = Some("aws:sqs".into());
        record.event_source_arn = Some(queue.arn.clone());
        record.aws_region = Some("us-east-1".into());
        event.records.push(record);
    }
    event
}
