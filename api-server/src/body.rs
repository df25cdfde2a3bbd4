//! [`JsonBody`]: a JSON request body that is parsed when the handler asks, after it has
//! authenticated the caller.
//!
//! Dropshot's `TypedBody` parses before the handler runs, so an unauthenticated request with a
//! malformed body would get a 400 describing the schema instead of its 401. The reference
//! checked credentials first ("auth errors win over body errors"), and so do we: protected
//! routes take a `JsonBody<T>` and call [`JsonBody::parse`] after `auth::authorize`. The body
//! still appears in the OpenAPI document exactly as a `TypedBody<T>` would.

use std::marker::PhantomData;

use async_trait::async_trait;
use bytes::Bytes;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, TypedBody, UntypedBody,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, describe_json_error};

/// The raw bytes of a JSON body of type `T`, within the route's size limit.
#[derive(Debug)]
pub struct JsonBody<T> {
    bytes: Bytes,
    content_type: Option<String>,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// Parses the body: 400 naming the offending field, as for every body.
    pub fn parse(&self) -> Result<T, ApiError> {
        if let Some(ct) = &self.content_type {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if mime != "application/json" && !mime.ends_with("+json") {
                return Err(ApiError::validation(vec![format!(
                    "unsupported content type {mime}: send application/json"
                )]));
            }
        }
        let invalid = |message: String| ApiError::validation(vec![describe_json_error(&message)]);
        let mut de = serde_json::Deserializer::from_slice(&self.bytes);
        let value =
            serde_path_to_error::deserialize(&mut de).map_err(|e| invalid(e.to_string()))?;
        de.end().map_err(|e| invalid(e.to_string()))?;
        Ok(value)
    }
}

#[async_trait]
impl<T> ExclusiveExtractor for JsonBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = UntypedBody::from_request(rqctx, request).await?;
        Ok(JsonBody {
            bytes: Bytes::copy_from_slice(body.as_bytes()),
            content_type,
            _type: PhantomData,
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <TypedBody<T> as ExclusiveExtractor>::metadata(content_type)
    }
}
