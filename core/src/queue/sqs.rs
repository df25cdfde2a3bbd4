//! SQS adapter (workers-infra.md §4.2): the body as given, no message attributes, no delay; FIFO
//! messages carry `MessageGroupId` and no deduplication id (content-based deduplication).

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use tokio::sync::OnceCell;

use super::{Queue, QueueError, QueueName};
use crate::aws::Aws;
use crate::config::QueueUrls;

/// Publishes to the queues whose URLs are configured.
pub struct SqsQueue {
    aws: Arc<Aws>,
    urls: QueueUrls,
    client: OnceCell<aws_sdk_sqs::Client>,
}

impl SqsQueue {
    pub fn new(aws: Arc<Aws>, urls: QueueUrls) -> Self {
        SqsQueue {
            aws,
            urls,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> &aws_sdk_sqs::Client {
        self.client.get_or_init(|| self.aws.sqs()).await
    }

    fn url(&self, queue: QueueName) -> Result<&str, QueueError> {
        queue.url(&self.urls).ok_or(QueueError::NotConfigured {
            queue,
            var: queue.env_var(),
        })
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(
        &self,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        let url = self.url(queue)?;
        let group_id = if queue.is_fifo() {
            Some(group_id.ok_or(QueueError::MissingGroupId(queue))?)
        } else {
            None
        };
        self.client()
            .await
            .send_message()
            .queue_url(url)
            .message_body(body)
            .set_message_group_id(group_id)
            .send()
            .await
            .map_err(|e| QueueError::Send {
                queue,
                message: DisplayErrorContext(e).to_string(),
            })?;
        Ok(())
    }

    async fn approximate_depth(&self, queue: QueueName) -> Result<u64, QueueError> {
        let url = self.url(queue)?;
        let out = self
            .client()
            .await
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| QueueError::Send {
                queue,
                message: DisplayErrorContext(e).to_string(),
            })?;
        Ok(out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}
