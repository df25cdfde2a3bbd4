//! The local object store's signed URLs (unpublished routes, local mode only).

use schemars::JsonSchema;
use serde::Deserialize;

/// Largest upload accepted (guide PDFs, photos).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LocalObjectPath {
    pub bucket: String,
    /// The key's segments (a wildcard path parameter), percent-decoded.
    pub key: Vec<String>,
}

impl LocalObjectPath {
    /// The object key.
    pub fn key(&self) -> String {
        self.key.join("/")
    }
}

/// Optional so that a URL without them is a 403, as S3 answers, rather than a 400.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectQuery {
    pub expires: Option<i64>,
    pub signature: Option<String>,
    pub content_type: Option<String>,
}

impl crate::validate::Validate for LocalObjectQuery {
    fn validate(&self, _: &mut crate::validate::Problems) {}
}
