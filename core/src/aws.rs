//! The AWS SDK configuration shared by every AWS adapter (SQS, S3, SSM).
//!
//! Region and endpoint come from [`AwsSettings`] (`AWS_REGION`, default `us-east-1`;
//! `AWS_ENDPOINT_URL`). With an endpoint override (moto, LocalStack) the credentials are static:
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or `test`/`test` (workers-infra.md §4.1), and S3
//! uses path-style URLs (`http://host:port/<bucket>/<key>`). Otherwise the default credential
//! chain applies (the Lambda role).
//!
//! Loading is lazy and done once: constructors stay synchronous (the API builds its context
//! outside any I/O), and nothing is contacted before the first call.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::OnceCell;

use crate::config::AwsSettings;

// The AWS calls' timeouts, stated once for SQS, S3 and SSM (docs/architecture.md, "Timeouts").
// Their callers: the API inside API Gateway's 29 s (SQS publish after the commit, S3 existence
// checks), the workers inside their Lambda timeouts (60 s, 120 s).

/// Opening a connection to an AWS endpoint: 3 s (same-region endpoints answer in milliseconds).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of a call (request sent, response headers received): 5 s, so a request that
/// publishes after its commit still answers well inside API Gateway's 29 s.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// A whole call, the SDK's retries included: 10 s (a failed attempt and one retry).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The timeouts of every AWS client.
pub fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Lazily loaded SDK configuration; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Aws {
    settings: AwsSettings,
    sdk: OnceCell<SdkConfig>,
}

impl Aws {
    pub fn new(settings: AwsSettings) -> Self {
        Aws {
            settings,
            sdk: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    /// True when an endpoint override is configured (path-style S3, static credentials).
    pub fn has_endpoint_override(&self) -> bool {
        self.settings.endpoint_url.is_some()
    }

    /// The SDK configuration, loaded on first use.
    pub async fn sdk_config(&self) -> &SdkConfig {
        self.sdk
            .get_or_init(|| load_sdk_config(&self.settings))
            .await
    }

    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(self.sdk_config().await)
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(self.sdk_config().await, self.has_endpoint_override())
    }

    pub async fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(self.sdk_config().await)
    }
}

/// Builds the SDK configuration from our settings (see the module documentation).
pub async fn load_sdk_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .timeout_config(timeout_config());
    if let Some(endpoint) = &settings.endpoint_url {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let credentials = aws_sdk_s3::config::Credentials::new(
            var("AWS_ACCESS_KEY_ID", "test"),
            var("AWS_SECRET_ACCESS_KEY", "test"),
            None,
            None,
            "innova-endpoint-override",
        );
        loader = loader
            .endpoint_url(endpoint.as_str().trim_end_matches('/'))
            .credentials_provider(credentials);
    }
    loader.load().await
}

/// An S3 client: checksums only "when required" (the SDK would otherwise sign a CRC32 of an empty
/// body into presigned PUT URLs, which browsers' uploads then fail), path-style when asked.
pub fn s3_client(sdk: &SdkConfig, path_style: bool) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
