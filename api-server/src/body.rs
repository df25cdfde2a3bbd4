//! Request bodies.
//!
//! [`JsonBody`]: the one body type of every JSON route, parsed when the handler asks, after it
//! has authenticated the caller. Parsing is strict and the same everywhere: the content type
//! must be JSON, the body exactly one JSON value (no trailing bytes), no string may contain a
//! NUL character (PostgreSQL's `text` cannot hold one), unknown fields are refused, and the
//! type's own rules ([`Validate`]) run — every problem a 400 naming its field.
//!
//! [`ImageUpload`]: the `multipart/form-data` body of the photo routes, documented in the
//! contract as a form with an `image` file field.
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
use crate::validate::{Validate, validated};

/// The raw bytes of a JSON body of type `T`, within the route's size limit.
#[derive(Debug)]
pub struct JsonBody<T> {
    bytes: Bytes,
    content_type: Option<String>,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Validate> JsonBody<T> {
    /// Parses and validates the body: 400 naming the offending field, as for every body.
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
        if let Some(field) = nul_field(&self.bytes) {
            return Err(ApiError::validation(vec![format!(
                "{field} must not contain NUL characters"
            )]));
        }
        let mut de = serde_json::Deserializer::from_slice(&self.bytes);
        let value: T =
            serde_path_to_error::deserialize(&mut de).map_err(|e| invalid(e.to_string()))?;
        de.end().map_err(|e| invalid(e.to_string()))?;
        validated(value)
    }

    /// [`Self::parse`] for a route whose body is optional: no body at all (or only whitespace)
    /// reads as `{}`, so clients that send nothing get the defaults.
    pub fn parse_or_empty(&self) -> Result<T, ApiError> {
        if self.bytes.iter().all(u8::is_ascii_whitespace) {
            return JsonBody {
                bytes: Bytes::from_static(b"{}"),
                content_type: None,
                _type: PhantomData,
            }
            .parse();
        }
        self.parse()
    }
}

/// The field (dotted path, `.` for the body itself) of the first string or key holding a NUL
/// character, if any. JSON can only carry one escaped, so bodies without `\u0000` are not
/// walked.
fn nul_field(bytes: &[u8]) -> Option<String> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !bytes.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
        return None;
    }
    // Unparsable bodies are reported by the real parse, with their own message.
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fn walk(value: &serde_json::Value, path: &str) -> Option<String> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
                ".".into()
            } else {
                path.into()
            }),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &join(&i.to_string()))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.contains('\0') {
                    Some(join(&k.replace('\0', "\\u0000")))
                } else {
                    walk(v, &join(k))
                }
            }),
            _ => None,
        }
    }
    walk(&value, "")
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

/// The photo of a `multipart/form-data` body, read as a stream by the handler
/// ([`dropshot::MultipartBody`]), described in the contract as the form `F` (an `image` file
/// field) instead of dropshot's bare binary string.
pub struct ImageUpload<F> {
    pub body: dropshot::MultipartBody,
    _form: PhantomData<fn() -> F>,
}

#[async_trait]
impl<F> ExclusiveExtractor for ImageUpload<F>
where
    F: JsonSchema + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        Ok(ImageUpload {
            body: dropshot::MultipartBody::from_request(rqctx, request).await?,
            _form: PhantomData,
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <TypedBody<SchemaOnly<F>> as ExclusiveExtractor>::metadata(content_type)
    }
}

/// `F`'s schema, for documentation only: `TypedBody` needs a deserialisable type to describe,
/// and the form is never deserialised (its photo is streamed).
struct SchemaOnly<F>(PhantomData<F>);

impl<F: JsonSchema> JsonSchema for SchemaOnly<F> {
    fn schema_name() -> String {
        F::schema_name()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        F::json_schema(generator)
    }
}

impl<'de, F> serde::Deserialize<'de> for SchemaOnly<F> {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "a schema-only type is never deserialised",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_found_where_they_are() {
        assert_eq!(nul_field(br#"{"a": "ok"}"#), None);
        assert_eq!(nul_field(br#"{"a": "x\u0000y"}"#).as_deref(), Some("a"));
        assert_eq!(
            nul_field(br#"{"rawSteps": [{"expression": "1"}, {"expression": "\u0000"}]}"#)
                .as_deref(),
            Some("rawSteps.1.expression")
        );
        assert_eq!(nul_field(br#""\u0000""#).as_deref(), Some("."));
        assert_eq!(nul_field(br#"{"k\u0000": 1}"#).as_deref(), Some("k\\u0000"));
        // An escaped backslash followed by "u0000" is no NUL.
        assert_eq!(nul_field(br#"{"a": "\\u0000"}"#), None);
    }
}
