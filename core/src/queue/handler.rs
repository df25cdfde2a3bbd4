//! The consumer side: a worker handles one SQS batch and reports the records that failed
//! (Lambda's `ReportBatchItemFailures`). The Lambda binaries and the embedded queue call the same
//! implementation.

use async_trait::async_trait;

pub use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

/// A worker consuming SQS batches.
///
/// Contract: every record that was not fully processed has its `message_id` in
/// `batch_item_failures` (it is redelivered, then dead-lettered after the queue's
/// `maxReceiveCount`); a record is never dropped silently. An id that is not in the batch makes
/// Lambda (and the embedded queue) treat the whole batch as failed.
#[async_trait]
pub trait SqsHandler: Send + Sync {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse;
}
