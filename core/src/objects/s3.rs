//! S3 adapter (workers-infra.md §4.1).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use tokio::sync::OnceCell;

use super::{Bucket, ObjectError, ObjectStore, check_ttl, validate_key};
use crate::aws::Aws;
use crate::config::Buckets;

/// Reading an object's body once its headers came (the SDK's timeouts, `crate::aws`, end with
/// the headers): 10 s, for photos of at most 20 MB, leaving the OCR worker's 60 s room for Gemini.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Objects in the configured S3 buckets.
pub struct S3Store {
    aws: Arc<Aws>,
    buckets: Buckets,
    client: OnceCell<aws_sdk_s3::Client>,
}

impl S3Store {
    pub fn new(aws: Arc<Aws>, buckets: Buckets) -> Self {
        S3Store {
            aws,
            buckets,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> &aws_sdk_s3::Client {
        self.client.get_or_init(|| self.aws.s3()).await
    }

    fn name(&self, bucket: Bucket) -> Result<&str, ObjectError> {
        bucket
            .name(&self.buckets)
            .ok_or(ObjectError::NotConfigured {
                bucket,
                var: bucket.env_var(),
            })
    }

    fn presigning(ttl: Duration) -> Result<PresigningConfig, ObjectError> {
        check_ttl(ttl)?;
        PresigningConfig::expires_in(ttl).map_err(|_| ObjectError::InvalidTtl(ttl))
    }
}

fn storage_error<E>(e: aws_sdk_s3::error::SdkError<E>) -> ObjectError
where
    E: std::error::Error + 'static,
{
    ObjectError::Storage(DisplayErrorContext(e).to_string())
}

/// An answer of S3 saying the object is not there (404, or 403 without `s3:ListBucket`), as
/// opposed to no answer (a dispatch failure, a timeout) or a failure of S3 itself (5xx).
fn is_missing<E>(e: &aws_sdk_s3::error::SdkError<E>) -> bool {
    matches!(e, aws_sdk_s3::error::SdkError::ServiceError(_))
        && e.raw_response()
            .is_some_and(|r| matches!(r.status().as_u16(), 403 | 404))
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        validate_key(key)?;
        let request = self
            .client()
            .await
            .get_object()
            .bucket(self.name(bucket)?)
            .key(key)
            .presigned(Self::presigning(ttl)?)
            .await
            .map_err(storage_error)?;
        Ok(request.uri().to_string())
    }

    async fn presign_put(
        &self,
        bucket: Bucket,
        key: &str,
        content_type: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        validate_key(key)?;
        let request = self
            .client()
            .await
            .put_object()
            .bucket(self.name(bucket)?)
            .key(key)
            .set_content_type(content_type.map(str::to_string))
            .presigned(Self::presigning(ttl)?)
            .await
            .map_err(storage_error)?;
        Ok(request.uri().to_string())
    }

    async fn exists(&self, bucket: Bucket, key: &str) -> Result<bool, ObjectError> {
        let Ok(name) = self.name(bucket) else {
            return Ok(false);
        };
        if validate_key(key).is_err() {
            return Ok(false);
        }
        match self
            .client()
            .await
            .head_object()
            .bucket(name)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => {
                // Without s3:ListBucket a missing key is a 403: both mean "no".
                tracing::debug!(%bucket, key, error = %DisplayErrorContext(e), "HeadObject: no such object");
                Ok(false)
            }
            // Unreachable, timed out, a 5xx: S3 was not asked, the answer is unknown.
            Err(e) => Err(storage_error(e)),
        }
    }

    async fn get(&self, bucket: Bucket, key: &str) -> Result<Bytes, ObjectError> {
        validate_key(key)?;
        let out = self
            .client()
            .await
            .get_object()
            .bucket(self.name(bucket)?)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_key() || s.code() == Some("NoSuchKey"))
                {
                    ObjectError::NotFound {
                        bucket,
                        key: key.to_string(),
                    }
                } else {
                    storage_error(e)
                }
            })?;
        let body = tokio::time::timeout(BODY_TIMEOUT, out.body.collect())
            .await
            .map_err(|_| {
                ObjectError::Storage(format!(
                    "reading the object timed out after {BODY_TIMEOUT:?}"
                ))
            })?
            .map_err(|e| ObjectError::Storage(e.to_string()))?;
        Ok(body.into_bytes())
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<(), ObjectError> {
        validate_key(key)?;
        self.client()
            .await
            .put_object()
            .bucket(self.name(bucket)?)
            .key(key)
            .set_content_type(content_type.map(str::to_string))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }
}
