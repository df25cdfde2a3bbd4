//! The object-store port: the three buckets of workers-infra.md §1.7 and presigned URLs.
//!
//! * [`S3Store`] (aws-sdk-s3): SigV4 query-presigned URLs, path-style when an endpoint override
//!   is set, PUT URLs that sign the content type when one is given, no checksum parameters.
//! * [`LocalStore`]: files under `<INNOVA_DATA_DIR>/objects/<bucket>/<key>`, and URLs signed with
//!   an HMAC that point at the API itself (`/local-objects/<bucket>/<key>`), which serves them.
//!
//! [`RoutedStore`] picks **per bucket**: S3 when the bucket's name variable is set
//! (`S3_SUBMISSIONS_BUCKET`, …), otherwise the local store; on AWS Lambda there is no local store
//! and an unnamed bucket is [`ObjectError::NotConfigured`].
//!
//! Keys are checked by [`validate_key`] in both adapters: relative, `/`-separated, no empty,
//! `.` or `..` segment, no backslash or control character, at most 1024 bytes.

mod local;
mod s3;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::config::Buckets;

pub use local::LocalStore;
// --- OCR / archive
pub use local::StoredHook;
pub use s3::{BODY_TIMEOUT as S3_BODY_TIMEOUT, S3Store};

/// The buckets of this stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Guide PDFs (`guides/uploads/<uuid>.pdf`).
    Guides,
    /// Submission photos and page scans (`submissions/…`, `guide-scans/…`).
    Submissions,
    /// Photos for the OCR worker.
    OcrUploads,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Guides, Bucket::Submissions, Bucket::OcrUploads];

    /// The bucket's name in local URLs and directories.
    pub fn slug(self) -> &'static str {
        match self {
            Bucket::Guides => "guides",
            Bucket::Submissions => "submissions",
            Bucket::OcrUploads => "ocr-uploads",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.slug() == slug)
    }

    /// The environment variable naming the S3 bucket.
    pub fn env_var(self) -> &'static str {
        match self {
            Bucket::Guides => "S3_GUIDES_BUCKET",
            Bucket::Submissions => "S3_SUBMISSIONS_BUCKET",
            Bucket::OcrUploads => "S3_OCR_UPLOADS_BUCKET",
        }
    }

    /// The configured S3 bucket name, if any.
    pub fn name(self, buckets: &Buckets) -> Option<&str> {
        match self {
            Bucket::Guides => buckets.guides.as_deref(),
            Bucket::Submissions => buckets.submissions.as_deref(),
            Bucket::OcrUploads => buckets.ocr_uploads.as_deref(),
        }
    }
}

impl std::fmt::Display for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("invalid object key `{key}`: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("object {bucket}/{key} not found")]
    NotFound { bucket: Bucket, key: String },
    /// No bucket name where a local store is not available (AWS Lambda).
    #[error("bucket {bucket} is not configured ({var} is not set)")]
    NotConfigured { bucket: Bucket, var: &'static str },
    /// A presigned URL's lifetime must be 1 s to 7 days (SigV4's limit).
    #[error("invalid presigned URL lifetime: {0:?}")]
    InvalidTtl(Duration),
    /// A local signed URL that is expired or whose signature does not match.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("local object store: {0}")]
    Io(#[from] std::io::Error),
    /// The S3 call failed (network, permissions…).
    #[error("object storage error: {0}")]
    Storage(String),
}

/// Stores objects and hands out short-lived URLs to them.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A URL that downloads the object for `ttl`.
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        ttl: Duration,
    ) -> Result<String, ObjectError>;

    /// A URL that uploads the object for `ttl`. With a content type, the upload must send
    /// exactly that `Content-Type`.
    async fn presign_put(
        &self,
        bucket: Bucket,
        key: &str,
        content_type: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ObjectError>;

    /// Whether the object exists: `Ok(false)` when the store says it is not there (an invalid
    /// key, an unconfigured bucket, S3's 404 — or 403, its answer for a missing key without
    /// `s3:ListBucket`). A store that cannot be asked (unreachable, timed out, a 5xx) is an
    /// error, not a "no": a client must not be told its upload is missing because the store is
    /// down.
    async fn exists(&self, bucket: Bucket, key: &str) -> Result<bool, ObjectError>;

    /// The whole object in memory.
    async fn get(&self, bucket: Bucket, key: &str) -> Result<Bytes, ObjectError>;

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<(), ObjectError>;

    /// The local store serving `bucket`, if that bucket is local (the API's `/local-objects`
    /// routes answer 404 otherwise).
    fn local_for(&self, _bucket: Bucket) -> Option<&LocalStore> {
        None
    }
}

/// Checks that `key` is a safe relative object key (see the module documentation).
pub fn validate_key(key: &str) -> Result<(), ObjectError> {
    let invalid = |reason| {
        Err(ObjectError::InvalidKey {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return invalid("empty");
    }
    if key.len() > 1024 {
        return invalid("longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return invalid("absolute");
    }
    if key.chars().any(|c| c == '\\' || c.is_control()) {
        return invalid("contains a backslash or a control character");
    }
    if key
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return invalid("contains an empty, `.` or `..` segment");
    }
    Ok(())
}

/// SigV4 presigned URLs live 1 s to 7 days; the local store follows the same rule.
fn check_ttl(ttl: Duration) -> Result<(), ObjectError> {
    if ttl < Duration::from_secs(1) || ttl > Duration::from_secs(7 * 24 * 3600) {
        return Err(ObjectError::InvalidTtl(ttl));
    }
    Ok(())
}

/// Per-bucket selection between S3 and the local store.
pub struct RoutedStore {
    buckets: Buckets,
    s3: S3Store,
    local: Option<LocalStore>,
}

impl RoutedStore {
    pub fn new(buckets: Buckets, s3: S3Store, local: Option<LocalStore>) -> Self {
        RoutedStore { buckets, s3, local }
    }

    fn route(&self, bucket: Bucket) -> Result<&dyn ObjectStore, ObjectError> {
        if bucket.name(&self.buckets).is_some() {
            return Ok(&self.s3);
        }
        match &self.local {
            Some(local) => Ok(local),
            None => Err(ObjectError::NotConfigured {
                bucket,
                var: bucket.env_var(),
            }),
        }
    }
}

#[async_trait]
impl ObjectStore for RoutedStore {
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        self.route(bucket)?.presign_get(bucket, key, ttl).await
    }

    async fn presign_put(
        &self,
        bucket: Bucket,
        key: &str,
        content_type: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        self.route(bucket)?
            .presign_put(bucket, key, content_type, ttl)
            .await
    }

    async fn exists(&self, bucket: Bucket, key: &str) -> Result<bool, ObjectError> {
        match self.route(bucket) {
            Ok(store) => store.exists(bucket, key).await,
            Err(_) => Ok(false),
        }
    }

    async fn get(&self, bucket: Bucket, key: &str) -> Result<Bytes, ObjectError> {
        self.route(bucket)?.get(bucket, key).await
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        bytes: Bytes,
        content_type: Option<&str>,
    ) -> Result<(), ObjectError> {
        self.route(bucket)?
            .put(bucket, key, bytes, content_type)
            .await
    }

    fn local_for(&self, bucket: Bucket) -> Option<&LocalStore> {
        if bucket.name(&self.buckets).is_some() {
            None
        } else {
            self.local.as_ref()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_safe_relative_paths() {
        for ok in [
            "submissions/s1/a.jpg",
            "guides/uploads/x.pdf",
            "a",
            "guide-scans/g/s/u.jpg",
            "é/ü.jpg",
        ] {
            assert!(validate_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/./b",
            "a/",
            "a\\b",
            "a\0b",
            "..",
            ".",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        assert!(validate_key(&"k".repeat(1025)).is_err());
    }

    #[test]
    fn buckets_have_slugs_and_variables() {
        for b in Bucket::ALL {
            assert_eq!(Bucket::from_slug(b.slug()), Some(b));
            assert!(crate::config::VARIABLES.contains(&b.env_var()));
        }
        assert_eq!(Bucket::from_slug("other"), None);
        assert!(check_ttl(Duration::from_secs(3600)).is_ok());
        assert!(check_ttl(Duration::ZERO).is_err());
        assert!(check_ttl(Duration::from_secs(8 * 24 * 3600)).is_err());
    }
}
