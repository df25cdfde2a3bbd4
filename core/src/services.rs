//! The adapters of every port, built once from [`Config`] (per process; per cold start on
//! Lambda) and shared by the API and the workers.
//!
//! | Port | Configured | Otherwise (local process) | Otherwise (AWS Lambda) |
//! |---|---|---|---|
//! | queue, per queue | SQS (`SQS_*_URL`) | [`EmbeddedQueue`] | error naming the variable |
//! | objects, per bucket | S3 (`S3_*_BUCKET`) | [`LocalStore`] | error naming the variable |
//! | OCR | Gemini (`GEMINI_API_KEY`) | none (`ocr` is `None`: 503) | none |
//! | killswitches | SSM (on Lambda, or locally with `AWS_ENDPOINT_URL`) | [`MemoryKillswitches`] | SSM |
//!
//! On Lambda (detected by `AWS_LAMBDA_FUNCTION_NAME`) nothing is embedded: a message or file
//! kept in an instance's memory or `/tmp` would be lost, so an unconfigured queue or bucket fails
//! the call that needs it (decisions.md 22: the request answers 503) instead of losing work.
//!
//! Building touches nothing: clients connect on first use.
//!
//! Telemetry is not among these ports: only the workers write it, so they build their store
//! ([`crate::telemetry::from_config`]), and the API's Lambda binary does not link the MongoDB
//! driver.
//!
//! ```ignore
//! let services = Services::from_config(&config)?;
//! // Local mode: attempt-stream messages reach the telemetry worker in-process. A no-op when the
//! // queue goes through SQS (the Lambda worker consumes it there).
//! services.register_handler(QueueName::AttemptStream, Arc::new(TelemetryHandler::new(...)));
//! ```

use std::sync::Arc;

use url::Url;

use crate::aws::Aws;
use crate::config::Config;
use crate::killswitch::{Killswitches, MemoryKillswitches, SsmKillswitches};
use crate::objects::{Bucket, LocalStore, ObjectStore, RoutedStore, S3Store};
use crate::ocr::{GeminiOcr, MathOcr};
use crate::queue::{
    EmbeddedOptions, EmbeddedQueue, Queue, QueueName, RoutedQueue, SqsHandler, SqsQueue,
};

/// Where the process runs, which decides whether embedded adapters may stand in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// A local process (`scripts/dev`, tests): embedded adapters for what is not configured.
    Local,
    /// AWS Lambda: production adapters only.
    Lambda,
}

impl Runtime {
    /// `Lambda` when `AWS_LAMBDA_FUNCTION_NAME` is set (the Lambda runtime always sets it).
    pub fn detect() -> Self {
        match std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            Ok(name) if !name.is_empty() => Runtime::Lambda,
            _ => Runtime::Local,
        }
    }
}

/// One adapter per port.
#[derive(Clone)]
pub struct Services {
    pub queue: Arc<dyn Queue>,
    pub objects: Arc<dyn ObjectStore>,
    /// `None` when no OCR provider is configured.
    pub ocr: Option<Arc<dyn MathOcr>>,
    pub killswitches: Arc<dyn Killswitches>,
    pub aws: Arc<Aws>,
    embedded: Option<EmbeddedQueue>,
    routed: Arc<RoutedQueue>,
}

impl Services {
    /// Builds the services for the runtime this process is in ([`Runtime::detect`]).
    pub fn from_config(config: &Config) -> Self {
        Self::for_runtime(config, Runtime::detect())
    }

    pub fn for_runtime(config: &Config, runtime: Runtime) -> Self {
        Self::build(
            config,
            runtime,
            EmbeddedOptions {
                region: config.aws.region.clone(),
                ..Default::default()
            },
        )
    }

    /// As [`for_runtime`](Self::for_runtime) with the embedded queue's options (tests shorten
    /// its backoff).
    pub fn build(config: &Config, runtime: Runtime, embedded_options: EmbeddedOptions) -> Self {
        let aws = Arc::new(Aws::new(config.aws.clone()));
        let local = runtime == Runtime::Local;

        let embedded = local.then(|| EmbeddedQueue::new(embedded_options));
        let routed = Arc::new(RoutedQueue::new(
            config.queues.clone(),
            SqsQueue::new(aws.clone(), config.queues.clone()),
            embedded.clone(),
        ));

        let local_store = local.then(|| LocalStore::new(&config.data_dir, public_base_url(config)));
        let objects: Arc<dyn ObjectStore> = Arc::new(RoutedStore::new(
            config.buckets.clone(),
            S3Store::new(aws.clone(), config.buckets.clone()),
            local_store,
        ));

        let ocr = config
            .gemini
            .as_ref()
            .map(|g| Arc::new(GeminiOcr::new(g)) as Arc<dyn MathOcr>);

        // SSM wherever an AWS endpoint is at hand: always on Lambda, and locally against moto.
        let killswitches: Arc<dyn Killswitches> = if !local || aws.has_endpoint_override() {
            Arc::new(SsmKillswitches::new(
                aws.clone(),
                SsmKillswitches::DEFAULT_TTL,
            ))
        } else {
            Arc::new(MemoryKillswitches::default())
        };

        let services = Services {
            queue: routed.clone(),
            objects,
            ocr,
            killswitches,
            aws,
            embedded,
            routed,
        };
        services.log_summary(config);
        services
    }

    /// Makes `handler` the in-process consumer of `queue` when that queue is embedded; returns
    /// false (and does nothing) when it goes through SQS or on Lambda, where the Lambda
    /// function of the worker consumes it.
    pub fn register_handler(&self, queue: QueueName, handler: Arc<dyn SqsHandler>) -> bool {
        match &self.embedded {
            Some(embedded) if !self.routed.uses_sqs(queue) => {
                embedded.register(queue, handler);
                true
            }
            _ => false,
        }
    }

    /// The embedded queue (local processes only), to inspect it or wait for it.
    pub fn embedded_queue(&self) -> Option<&EmbeddedQueue> {
        self.embedded.as_ref()
    }

    /// Waits until the embedded queue has delivered everything (tests, graceful shutdown).
    pub async fn wait_idle(&self) {
        if let Some(embedded) = &self.embedded {
            embedded.wait_idle().await;
        }
    }

    fn log_summary(&self, config: &Config) {
        let (sqs, embedded): (Vec<QueueName>, Vec<QueueName>) = QueueName::ALL
            .into_iter()
            .partition(|q| self.routed.uses_sqs(*q));
        let s3: Vec<_> = Bucket::ALL
            .iter()
            .filter(|b| b.name(&config.buckets).is_some())
            .collect();
        tracing::info!(
            sqs_queues = ?sqs,
            other_queues = ?embedded,
            embedded_queue = self.embedded.is_some(),
            s3_buckets = ?s3,
            ocr = if self.ocr.is_some() { "gemini" } else { "none" },
            killswitches = self.killswitches.backend(),
            "services configured"
        );
    }
}

/// `PUBLIC_API_URL`, or `http://localhost:<PORT>`: where local signed URLs point.
pub fn public_base_url(config: &Config) -> Url {
    config.public_api_url.clone().unwrap_or_else(|| {
        Url::parse(&format!("http://localhost:{}", config.port)).expect("a valid localhost URL")
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::objects::ObjectError;
    use crate::queue::QueueError;

    #[tokio::test]
    async fn lambda_never_falls_back_to_embedded_adapters() {
        let services = Services::for_runtime(&Config::for_tests(&[]), Runtime::Lambda);
        assert!(services.embedded_queue().is_none());
        let err = services
            .queue
            .send(QueueName::AdhocSolve, "{}".into(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                QueueError::NotConfigured {
                    var: "SQS_ADHOC_SOLVE_URL",
                    ..
                }
            ),
            "{err}"
        );
        let err = services
            .objects
            .presign_get(Bucket::Submissions, "a.jpg", Duration::from_secs(60))
            .await;
        assert!(matches!(
            err,
            Err(ObjectError::NotConfigured {
                var: "S3_SUBMISSIONS_BUCKET",
                ..
            })
        ));
        assert!(services.ocr.is_none());
    }

    #[tokio::test]
    async fn local_processes_embed_what_is_not_configured() {
        let services = Services::for_runtime(
            &Config::for_tests(&[
                ("S3_GUIDES_BUCKET", "g"),
                ("SQS_LLM_CLASSIFY_URL", "http://sqs/q"),
                ("GEMINI_API_KEY", "AIzaX"),
            ]),
            Runtime::Local,
        );
        assert!(services.embedded_queue().is_some());
        assert!(services.objects.local_for(Bucket::Submissions).is_some());
        assert!(services.objects.local_for(Bucket::Guides).is_none());
        assert!(services.ocr.is_some());
        struct Nop;
        #[async_trait]
        impl SqsHandler for Nop {
            async fn handle(&self, _: crate::queue::SqsEvent) -> crate::queue::SqsBatchResponse {
                Default::default()
            }
        }
        assert!(services.register_handler(QueueName::AttemptStream, Arc::new(Nop)));
        assert!(!services.register_handler(QueueName::LlmClassify, Arc::new(Nop)));
    }
}
