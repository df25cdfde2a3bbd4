//! The API's error type: every handler returns it, and every dropshot error (extractors, body
//! limits) is converted into it, so all error responses share one body:
//! `{statusCode, timestamp, path, traceId, code, message}`.
//!
//! `timestamp`, `path` (with the query string) and `traceId` belong to the request: the handler
//! wrapper (`traced!` in [`crate::server`]) fills them from the request's scope
//! ([`crate::request`]) with [`ApiError::answered_in`]. Handlers only choose status, code,
//! message and extra headers. Dropshot 0.18 writes a custom error's response from its
//! `Serialize` alone (the trait through which a type writes its own response is not exported),
//! so the extra headers travel in the same typed scope: `answered_in` leaves them there and the
//! edge puts them on the response.

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};
use schemars::JsonSchema;
use serde::Serialize;

use crate::request::{RequestScope, now_iso};

/// `message` is one string, or a list of strings for validation failures (one per field).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ErrorMessage {
    One(String),
    Many(Vec<String>),
}

/// The error body of every failed request.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ErrorBody")]
pub struct ErrorBody {
    /// The HTTP status of the response.
    pub status_code: u16,
    /// When the response was produced (ISO-8601 UTC, milliseconds).
    pub timestamp: String,
    /// The request path, with its query string.
    pub path: String,
    /// The request's trace id (the `x-trace-id` header).
    pub trace_id: String,
    /// Machine-readable error code (e.g. `Bad Request`, `Not Found`, `INTERNAL_ERROR`).
    pub code: String,
    /// Human-readable message; a list of messages for validation failures.
    pub message: ErrorMessage,
}

/// An error answered to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message:?}")]
pub struct ApiError {
    status: ErrorStatusCode,
    code: String,
    message: ErrorMessage,
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`…).
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The request it answers, once known ([`Self::answered_in`]).
    request: Option<Box<Answered>>,
}

/// The request fields of an error body.
#[derive(Debug, Clone)]
struct Answered {
    timestamp: String,
    path_and_query: String,
    trace_id: String,
}

impl ApiError {
    /// An error with the status's canonical reason as its code (`Not Found`, `Conflict`…).
    pub fn new(status: ErrorStatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: status
                .canonical_reason()
                .unwrap_or("HTTP_ERROR")
                .to_string(),
            message: ErrorMessage::One(message.into()),
            headers: Vec::new(),
            request: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::BAD_REQUEST, message)
    }

    /// 400 with one message per offending field.
    pub fn validation(messages: Vec<String>) -> Self {
        ApiError {
            message: ErrorMessage::Many(messages),
            ..Self::bad_request("")
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::CONFLICT, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::PAYLOAD_TOO_LARGE, message)
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(
            ErrorStatusCode::TOO_MANY_REQUESTS,
            "Too many requests, try again later",
        )
        .with_header(http::header::RETRY_AFTER, &retry_after_secs.to_string())
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorStatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// 500 with a fixed message: the cause is logged, never sent to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError {
            code: "INTERNAL_ERROR".to_string(),
            ..Self::new(
                ErrorStatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            )
        }
    }

    /// Replaces the machine-readable code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }

    pub fn with_header(mut self, name: http::HeaderName, value: &str) -> Self {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    pub fn status(&self) -> ErrorStatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &ErrorMessage {
        &self.message
    }

    /// The error as the answer to the request of `scope`: the body gets its `timestamp`, `path`
    /// and `traceId`, and the extra headers are left in the scope for the edge.
    pub fn answered_in(mut self, scope: &RequestScope) -> Self {
        scope.add_headers(std::mem::take(&mut self.headers));
        self.request = Some(Box::new(Answered {
            timestamp: now_iso(),
            path_and_query: scope.path_and_query.clone(),
            trace_id: scope.trace_id.clone(),
        }));
        self
    }

    /// The body sent. An error that never met its request (only an extractor's, which every
    /// handler defers into its own call) still gets a timestamp.
    pub fn body(&self) -> ErrorBody {
        let request = self
            .request
            .as_deref()
            .cloned()
            .unwrap_or_else(|| Answered {
                timestamp: now_iso(),
                path_and_query: String::new(),
                trace_id: String::new(),
            });
        ErrorBody {
            status_code: self.status.as_u16(),
            timestamp: request.timestamp,
            path: request.path_and_query,
            trace_id: request.trace_id,
            code: self.code.clone(),
            message: self.message.clone(),
        }
    }
}

impl HttpResponseError for ApiError {
    fn status_code(&self) -> ErrorStatusCode {
        self.status
    }
}

/// Serialised as its [`ErrorBody`].
impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

impl JsonSchema for ApiError {
    fn schema_name() -> String {
        ErrorBody::schema_name()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        ErrorBody::json_schema(generator)
    }
}

/// Dropshot's own errors: extractor failures (malformed JSON, wrong types, unknown fields, bad
/// path or query parameters), body limits, and internal serialisation failures.
impl From<HttpError> for ApiError {
    fn from(e: HttpError) -> Self {
        let mut error = if let Some(rest) = e
            .external_message
            .strip_prefix("unable to parse JSON body: ")
        {
            ApiError::validation(vec![describe_json_error(rest)])
        } else if e
            .external_message
            .starts_with("request body exceeded maximum size")
        {
            ApiError::payload_too_large(e.external_message.clone())
        } else if e.status_code.is_server_error() {
            ApiError::internal(&e.internal_message)
        } else {
            ApiError::new(e.status_code, e.external_message.clone())
        };
        if let Some(headers) = e.headers {
            for (name, value) in headers.iter() {
                error.headers.push((name.clone(), value.clone()));
            }
        }
        error
    }
}

/// `Retry-After` of a 503 for a database that did not answer in time (its acquire and statement
/// timeouts, docs/architecture.md "Timeouts"): long enough for a pool to free a connection. Every
/// other 503 of a use case (`AppError::Unavailable`: photo storage, identity provider, OCR down)
/// carries it too.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 5;

/// Database errors: client-caused ones become 4xx naming the field (decision 5); a database
/// that does not answer in time (or cannot be reached) a 503 with `Retry-After`; the rest a 500
/// whose cause is logged, never sent.
impl From<innova_core::db::DbError> for ApiError {
    fn from(e: innova_core::db::DbError) -> Self {
        use innova_core::db::DbError;
        match e {
            DbError::NotFound { entity, id } => {
                let mut entity = entity.to_string();
                if let Some(first) = entity.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                if id.is_empty() {
                    ApiError::not_found(format!("{entity} not found"))
                } else {
                    ApiError::not_found(format!("{entity} {id} not found"))
                }
            }
            DbError::Conflict { message, .. } => ApiError::conflict(message),
            DbError::MissingReference { field } => {
                ApiError::unprocessable(format!("{field} references a row that does not exist"))
            }
            DbError::Invalid { field, message } => {
                ApiError::validation(vec![format!("{field} {message}")])
            }
            DbError::Precondition(message) => ApiError::conflict(message),
            DbError::Unavailable(cause) => {
                tracing::error!(error = %cause, "database unavailable");
                ApiError::unavailable("The database is unavailable, try again later").with_header(
                    http::header::RETRY_AFTER,
                    &DATABASE_RETRY_AFTER_SECS.to_string(),
                )
            }
            other => ApiError::internal(other),
        }
    }
}

/// The use cases' errors: the one place where they become HTTP.
impl From<innova_app::AppError> for ApiError {
    fn from(e: innova_app::AppError) -> Self {
        use innova_app::AppError;
        match e {
            AppError::Invalid(messages) => ApiError::validation(messages),
            AppError::Forbidden(message) => ApiError::forbidden(message),
            AppError::Unauthorized(message) => ApiError::unauthorized(message),
            AppError::Rejected(message) => ApiError::bad_request(message),
            AppError::NotFound(message) => ApiError::not_found(message),
            AppError::Unprocessable(message) => ApiError::unprocessable(message),
            AppError::Conflict(message) => ApiError::conflict(message),
            // A dependency down (photo storage, the identity provider, OCR…): the client may
            // try again, and is told when, as for the database.
            AppError::Unavailable(message) => ApiError::unavailable(message).with_header(
                http::header::RETRY_AFTER,
                &DATABASE_RETRY_AFTER_SECS.to_string(),
            ),
            AppError::Upstream(message) => ApiError::new(ErrorStatusCode::BAD_GATEWAY, message),
            AppError::Db(e) => e.into(),
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// Turns a `serde_path_to_error` message (`path: inner at line L column C`) into one naming the
/// field the way the reference's validator did: `property foo should not exist`,
/// `studentId is required`, `rawSteps.0.expression: invalid type: …`.
pub fn describe_json_error(raw: &str) -> String {
    // serde_json appends the position; clients want the field, not the column.
    let raw = match raw.rfind(" at line ") {
        Some(i) => &raw[..i],
        None => raw,
    };
    let (path, inner) = match raw.split_once(": ") {
        Some((p, i)) if !p.contains(' ') => (p, i),
        _ => (".", raw),
    };
    // serde_path_to_error writes array indices as `[0]`; the reference used dotted paths.
    let path = path.replace('[', ".").replace(']', "");
    let prefix = |field: &str| -> String {
        if path == "." || path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(field) = backticked(inner, "unknown field `") {
        // serde_path_to_error's path may already end with the unknown field itself.
        if path.rsplit('.').next() == Some(field) {
            return format!("property {path} should not exist");
        }
        return format!("property {} should not exist", prefix(field));
    }
    if let Some(field) = backticked(inner, "missing field `") {
        return format!("{} is required", prefix(field));
    }
    if inner.starts_with("EOF while parsing") && path == "." {
        return "request body must be a JSON object".to_string();
    }
    if path == "." {
        // Not a shape problem of a field: the bytes are not JSON at all.
        let shape = [
            "invalid type",
            "invalid value",
            "invalid length",
            "unknown variant",
        ];
        if shape.iter().any(|p| inner.starts_with(p)) {
            inner.to_string()
        } else {
            format!("request body is not valid JSON: {inner}")
        }
    } else {
        format!("{path}: {inner}")
    }
}

fn backticked<'a>(s: &'a str, start: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(start)?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_does_not_answer_in_time_is_503_with_retry_after() {
        use innova_core::db::DbError;
        for cause in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::Io(std::io::ErrorKind::TimedOut.into()),
        ] {
            let e = ApiError::from(DbError::Unavailable(cause));
            assert_eq!(e.status(), ErrorStatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(e.code(), "Service Unavailable");
            assert_eq!(
                e.headers,
                [(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("5")
                )]
            );
            // The cause is logged, never sent.
            assert_eq!(
                e.message(),
                &ErrorMessage::One("The database is unavailable, try again later".into())
            );
        }
        // Through the use cases' error too.
        let e = ApiError::from(innova_app::AppError::Db(DbError::Unavailable(
            sqlx::Error::PoolTimedOut,
        )));
        assert_eq!(e.status(), ErrorStatusCode::SERVICE_UNAVAILABLE);
        // Another dependency down: 503 with Retry-After as well.
        let e = ApiError::from(innova_app::AppError::Unavailable(
            "Photo storage is unavailable, try again later".into(),
        ));
        assert_eq!(e.status(), ErrorStatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            e.headers,
            [(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("5")
            )]
        );
        // Other database failures stay a 500.
        let e = ApiError::from(DbError::Other(sqlx::Error::RowNotFound));
        assert_eq!(e.status(), ErrorStatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn json_errors_name_the_field() {
        let cases = [
            (
                ". : unknown field `foo`, expected one of `a`, `b` at line 1 column 7",
                "property foo should not exist",
            ),
            (
                "unknown field `foo`, expected `a` at line 1 column 7",
                "property foo should not exist",
            ),
            (
                "rawSteps[0]: unknown field `x`, expected `expression` at line 1 column 30",
                "property rawSteps.0.x should not exist",
            ),
            (
                "isAdmin: unknown field `isAdmin`, expected one of `email`, `role` at line 1 column 9",
                "property isAdmin should not exist",
            ),
            (
                "rawSteps[0].x: unknown field `x`, expected `expression` at line 1 column 30",
                "property rawSteps.0.x should not exist",
            ),
            (
                "missing field `studentId` at line 1 column 2",
                "studentId is required",
            ),
            (
                "rawSteps[1]: missing field `isFinal` at line 1 column 60",
                "rawSteps.1.isFinal is required",
            ),
            (
                "expectedAnswer: invalid type: string \"x\", expected f64 at line 1 column 20",
                "expectedAnswer: invalid type: string \"x\", expected f64",
            ),
            (
                "EOF while parsing a value at line 1 column 0",
                "request body must be a JSON object",
            ),
            (
                "expected value at line 1 column 1",
                "request body is not valid JSON: expected value",
            ),
            (
                "trailing characters at line 1 column 12",
                "request body is not valid JSON: trailing characters",
            ),
            (
                "invalid type: sequence, expected struct X at line 1 column 0",
                "invalid type: sequence, expected struct X",
            ),
        ];
        for (raw, want) in cases {
            let raw = raw.trim_start_matches(". : ");
            assert_eq!(describe_json_error(raw), want, "for {raw}");
        }
    }

    #[test]
    fn dropshot_errors_keep_their_status_and_become_our_shape() {
        let e: ApiError = HttpError::for_bad_request(
            None,
            "unable to parse JSON body: missing field `a` at line 1 column 2".into(),
        )
        .into();
        assert_eq!(e.status(), ErrorStatusCode::BAD_REQUEST);
        assert_eq!(
            e.message(),
            &ErrorMessage::Many(vec!["a is required".into()])
        );
        let e: ApiError = HttpError::for_bad_request(
            None,
            "request body exceeded maximum size of 10 bytes".into(),
        )
        .into();
        assert_eq!(e.status(), ErrorStatusCode::PAYLOAD_TOO_LARGE);
        let e: ApiError = HttpError::for_internal_error("boom".into()).into();
        assert_eq!(
            (e.status(), e.code()),
            (ErrorStatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR")
        );
        assert_eq!(
            e.message(),
            &ErrorMessage::One("Internal server error".into())
        );
    }
}
