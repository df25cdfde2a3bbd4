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
        self.depth_at(queue, url).await
    }

    /// Follows the queue's `RedrivePolicy` to its dead-letter queue (same account and region)
    /// and reads that queue's depth.
    async fn dead_letter_depth(&self, queue: QueueName) -> Result<Option<u64>, QueueError> {
        let url = self.url(queue)?;
        let attributes = self
            .attributes(queue, url, QueueAttributeName::RedrivePolicy)
            .await?;
        let Some(policy) = attributes.get(&QueueAttributeName::RedrivePolicy) else {
            return Ok(None);
        };
        let inspect = |message: String| QueueError::Inspect { queue, message };
        let target: serde_json::Value = serde_json::from_str(policy)
            .map_err(|e| inspect(format!("unreadable RedrivePolicy: {e}")))?;
        let arn = target["deadLetterTargetArn"]
            .as_str()
            .ok_or_else(|| inspect("RedrivePolicy without deadLetterTargetArn".into()))?;
        // arn:aws:sqs:<region>:<account>:<name>
        let parts: Vec<&str> = arn.split(':').collect();
        let [_, _, _, _, account, name] = parts[..] else {
            return Err(inspect(format!("unexpected dead-letter ARN {arn}")));
        };
        let dlq_url = self
            .client()
            .await
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(|e| inspect(DisplayErrorContext(e).to_string()))?
            .queue_url
            .ok_or_else(|| inspect(format!("no URL for {name}")))?;
        Ok(Some(self.depth_at(queue, &dlq_url).await?))
    }
}

impl SqsQueue {
    async fn attributes(
        &self,
        queue: QueueName,
        url: &str,
        name: QueueAttributeName,
    ) -> Result<std::collections::HashMap<QueueAttributeName, String>, QueueError> {
        let out = self
            .client()
            .await
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(name)
            .send()
            .await
            .map_err(|e| QueueError::Inspect {
                queue,
                message: DisplayErrorContext(e).to_string(),
            })?;
        Ok(out.attributes.unwrap_or_default())
    }

    async fn depth_at(&self, queue: QueueName, url: &str) -> Result<u64, QueueError> {
        let attributes = self
            .attributes(queue, url, QueueAttributeName::ApproximateNumberOfMessages)
            .await?;
        Ok(attributes
            .get(&QueueAttributeName::ApproximateNumberOfMessages)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}
