//! Request bodies.
//!
//! [`JsonBody`]: the one body type of every JSON route, parsed when the handler asks, after it
//! has authenticated the caller. Parsing is strict and the same everywhere: the content type
//! must be JSON, the body exactly one JSON **object** (every body of the contract is one; an
//! array, string, number or `null` is refused, and so is an array wherever a nested object is
//! declared, see [`crate::strict`]), no trailing bytes, no string or key may hold a NUL or other
//! control character (tab, line feed and carriage return excepted: free text has lines;
//! PostgreSQL's `text` cannot hold a NUL), unknown fields are refused, and the type's own rules
//! ([`Validate`]) run — every problem a 400 naming its field.
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
use crate::strict::Strict;
use crate::validate::{Valid, Validate, validated};

/// Largest JSON body accepted, as the reference's body parser (100 kB). Routes taking uploads
/// raise it for themselves.
pub const MAX_BODY_BYTES: usize = 100 * 1024;

/// The raw bytes of a JSON body of type `T`, within the route's size limit — or why they could
/// not be read (too large: 413), kept for [`Self::parse`] so that the handler answers it.
#[derive(Debug)]
pub struct JsonBody<T> {
    bytes: Result<Bytes, ApiError>,
    content_type: Option<String>,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Validate> JsonBody<T> {
    /// Parses and validates the body: 400 naming the offending field, as for every body.
    pub fn parse(&self) -> Result<Valid<T>, ApiError> {
        let bytes = self.bytes.as_ref().map_err(Clone::clone)?;
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
        if let Some(found) = top_level_non_object(bytes) {
            return Err(ApiError::validation(vec![format!(
                "request body must be a JSON object, not {found}"
            )]));
        }
        if let Some((field, what)) = control_field(bytes) {
            return Err(ApiError::validation(vec![format!(
                "{field} must not contain {what}"
            )]));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value: T = serde_path_to_error::deserialize(Strict::new(&mut de))
            .map_err(|e| invalid(e.to_string()))?;
        de.end().map_err(|e| invalid(e.to_string()))?;
        validated(value)
    }

    /// [`Self::parse`] for a route whose body is optional: no body at all (or only whitespace)
    /// reads as `{}`, so clients that send nothing get the defaults.
    pub fn parse_or_empty(&self) -> Result<Valid<T>, ApiError> {
        let blank = matches!(&self.bytes, Ok(b) if b.iter().all(u8::is_ascii_whitespace));
        if blank {
            return JsonBody {
                bytes: Ok(Bytes::from_static(b"{}")),
                content_type: None,
                _type: PhantomData,
            }
            .parse();
        }
        self.parse()
    }
}

/// `k` with its control characters written as JSON escapes (`\u0000`), to name such a key.
fn escape_controls(k: &str) -> String {
    k.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{:04x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// What the body is when its first JSON token opens no object: `an array`, `a string`, … An
/// empty body (or one that is not JSON at all) is left to the parser's own message.
fn top_level_non_object(bytes: &[u8]) -> Option<&'static str> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    Some(match first {
        b'{' => return None,
        b'[' => "an array",
        b'"' => "a string",
        b'n' => "null",
        b't' | b'f' => "a boolean",
        b'-' | b'0'..=b'9' => "a number",
        _ => return None,
    })
}

/// A character no string of a body may hold: NUL, or another C0/C1 control character or DEL
/// (tab, line feed and carriage return are allowed: free text has lines).
fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        '\0' => Some("NUL characters"),
        '\t' | '\n' | '\r' => None,
        c if c.is_control() => Some("control characters"),
        _ => None,
    }
}

/// The field (dotted path, `.` for the body itself) of the first string or key holding a
/// forbidden character, and what it holds. Raw control bytes are not JSON (the parser refuses
/// them) and C1 controls are only ever escaped by clients, so bodies without a `\u00` escape
/// and without the UTF-8 form of a C1 control (`0xC2 0x80..=0x9F`) are not walked.
fn control_field(bytes: &[u8]) -> Option<(String, &'static str)> {
    let escaped = bytes
        .windows(4)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2] == b'0' && w[3] == b'0');
    let c1 = bytes
        .windows(2)
        .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]));
    if !escaped && !c1 {
        return None;
    }
    // Unparsable bodies are reported by the real parse, with their own message.
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let holds = |s: &str| s.chars().find_map(forbidden_char);
    fn walk(
        value: &serde_json::Value,
        path: &str,
        holds: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Option<(String, &'static str)> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) => holds(s).map(|what| {
                let field = if path.is_empty() { "." } else { path };
                (field.to_string(), what)
            }),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &join(&i.to_string()), holds)),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| match holds(k) {
                Some(what) => Some((join(&escape_controls(k)), what)),
                None => walk(v, &join(k), holds),
            }),
            _ => None,
        }
    }
    walk(&value, "", &holds)
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
        let bytes = UntypedBody::from_request(rqctx, request)
            .await
            .map(|body| Bytes::copy_from_slice(body.as_bytes()))
            .map_err(ApiError::from);
        Ok(JsonBody {
            bytes,
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
/// field) instead of dropshot's bare binary string. A body that is not multipart is refused
/// by [`Self::into_multipart`], in the handler.
pub struct ImageUpload<F> {
    body: Result<dropshot::MultipartBody, ApiError>,
    _form: PhantomData<fn() -> F>,
}

impl<F> ImageUpload<F> {
    /// The multipart stream, or the reason the body is not one (400).
    pub fn into_multipart(self) -> Result<dropshot::MultipartBody, ApiError> {
        self.body
    }
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
            body: dropshot::MultipartBody::from_request(rqctx, request)
                .await
                .map_err(ApiError::from),
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

    fn field(bytes: &[u8]) -> Option<String> {
        control_field(bytes).map(|(field, what)| format!("{field}: {what}"))
    }

    #[test]
    fn control_characters_are_found_where_they_are() {
        assert_eq!(field(br#"{"a": "ok"}"#), None);
        assert_eq!(
            field(br#"{"a": "x\u0000y"}"#).as_deref(),
            Some("a: NUL characters")
        );
        assert_eq!(
            field(br#"{"rawSteps": [{"expression": "1"}, {"expression": "\u0000"}]}"#).as_deref(),
            Some("rawSteps.1.expression: NUL characters")
        );
        assert_eq!(field(br#""\u0000""#).as_deref(), Some(".: NUL characters"));
        assert_eq!(
            field(br#"{"k\u0000": 1}"#).as_deref(),
            Some("k\\u0000: NUL characters")
        );
        assert_eq!(
            field(br#"{"key": "A\u0007B"}"#).as_deref(),
            Some("key: control characters")
        );
        assert_eq!(
            field(br#"{"key": "A\u007fB"}"#).as_deref(),
            Some("key: control characters")
        );
        assert_eq!(
            field("{\"key\": \"A\u{85}B\"}".as_bytes()).as_deref(),
            Some("key: control characters")
        );
        // Lines and tabs are text; an escaped backslash followed by "u0000" is no NUL.
        assert_eq!(field(br#"{"a": "1\u000a2\t3\r\n", "b": "\u00e9"}"#), None);
        assert_eq!(field(br#"{"a": "\\u0000"}"#), None);
    }

    #[test]
    fn only_an_object_opens_a_body() {
        assert_eq!(top_level_non_object(b" {\"a\": 1}"), None);
        assert_eq!(top_level_non_object(b"\n [1]"), Some("an array"));
        assert_eq!(top_level_non_object(b"[]"), Some("an array"));
        assert_eq!(top_level_non_object(b"\"x\""), Some("a string"));
        assert_eq!(top_level_non_object(b"null"), Some("null"));
        assert_eq!(top_level_non_object(b"true"), Some("a boolean"));
        assert_eq!(top_level_non_object(b"-1"), Some("a number"));
        assert_eq!(
            top_level_non_object(b""),
            None,
            "the parser says what is missing"
        );
    }
}
