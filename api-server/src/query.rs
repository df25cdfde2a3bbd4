//! Query strings.
//!
//! [`QueryParams`]: the query parameters of a protected route, parsed when the handler asks,
//! after it has authenticated the caller — as [`crate::body::JsonBody`] does for bodies, so an
//! unauthenticated request with bad parameters gets its 401, not a 400 about the parameters.
//! Parsing is strict: unknown parameters are refused (the type denies unknown fields), every
//! problem is a 400 naming the parameter, and the type's own rules ([`Validate`]) run. NUL
//! characters never get here: the edge refuses them (400 naming the parameter). The parameters
//! appear in the OpenAPI document exactly as a [`dropshot::Query<T>`] would show them.

use std::marker::PhantomData;

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExtractorMetadata, HttpError, Query, RequestContext, ServerContext,
    SharedExtractor,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, describe_json_error};
use crate::validate::{Valid, Validate, validated};

/// The raw query string of a request whose parameters are `T`.
#[derive(Debug)]
pub struct QueryParams<T> {
    raw: String,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Validate> QueryParams<T> {
    /// Parses and validates the parameters: 400 naming the offending one.
    pub fn parse(&self) -> Result<Valid<T>, ApiError> {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(self.raw.as_bytes()));
        let value: T = serde_path_to_error::deserialize(de)
            .map_err(|e| ApiError::validation(vec![describe_query_error(&e)]))?;
        validated(value)
    }
}

/// `<param>: <problem>` in the words of the body errors (`property x should not exist`,
/// `x is required`).
fn describe_query_error(e: &serde_path_to_error::Error<serde::de::value::Error>) -> String {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    if path == "." || path.is_empty() {
        describe_json_error(&inner)
    } else {
        describe_json_error(&format!("{path}: {inner}"))
    }
}

#[async_trait]
impl<T> SharedExtractor for QueryParams<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        Ok(QueryParams {
            raw: rqctx.request.uri().query().unwrap_or_default().to_owned(),
            _type: PhantomData,
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <Query<T> as SharedExtractor>::metadata(content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::alerts::AlertsQuery;

    fn parse(raw: &str) -> Result<Valid<AlertsQuery>, ApiError> {
        QueryParams::<AlertsQuery> {
            raw: raw.into(),
            _type: PhantomData,
        }
        .parse()
    }

    #[test]
    fn parameters_are_parsed_strictly_and_problems_name_them() {
        assert_eq!(parse("courseId=c%201").unwrap().course().unwrap(), "c 1");
        assert_eq!(parse("classroomId=k").unwrap().course().unwrap(), "k");
        use crate::error::ErrorMessage::Many;
        for (raw, expected) in [
            ("courseId=c&status=open", "property status should not exist"),
            ("", "courseId is required (or its alias classroomId)"),
            ("courseId=", "courseId should not be empty"),
            (
                "courseId=a&classroomId=b",
                "classroomId must equal courseId when both are given",
            ),
        ] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.message(), &Many(vec![expected.into()]), "{raw}");
        }
    }
}
