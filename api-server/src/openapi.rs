//! The OpenAPI document: generated from the API trait, checked in as `openapi.yaml`, served at
//! `/openapi.yaml` and `/openapi.json`.

use std::sync::OnceLock;

use crate::api::innova_api_mod;

/// The checked-in contract, served as is (a test keeps it equal to the generated document).
pub const YAML: &str = include_str!("../../openapi.yaml");

pub const TITLE: &str = "Innova Serverless Core API";
pub const DESCRIPTION: &str = "EdTech Platform Backend: attempts and their procedural-error \
classification, mastery (BKT), recommendations (IRT), guides, classrooms and alerts.

Rules every operation follows:

- **Trace id.** A request's `x-trace-id` header is reused when it is 1–128 characters of \
`A-Z a-z 0-9 - _ . :`; otherwise (absent, longer, other characters) the server issues a new UUID. \
The id in use is echoed in the `x-trace-id` response header and the body's `traceId`.
- **Bodies.** A JSON body is one JSON object (an array, string, number or `null` is a 400, and so \
is an array where a nested object is declared), with no unknown property and no trailing bytes; \
no string or property name may hold a NUL or another control character (tab, line feed and \
carriage return excepted): 400 naming the field. A body larger than its operation's limit \
(100 KB unless the operation says otherwise) is a 413.
- **Queries and paths.** A query parameter holding a NUL (`%00`) or percent-encoded bytes that \
are not UTF-8 is a 400 naming it; a path holding a NUL is a 404.";

/// The served document as JSON, converted from [`YAML`] on first use.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let value: serde_json::Value =
            serde_yaml::from_str(YAML).expect("openapi.yaml is valid YAML");
        serde_json::to_string(&value).expect("a JSON value serializes")
    })
}

/// Generates the document from the API trait (what `innova openapi` prints).
pub fn generate() -> anyhow::Result<String> {
    let description = innova_api_mod::stub_api_description()
        .map_err(|e| anyhow::anyhow!("invalid API description: {e}"))?;
    let mut spec = description.openapi(TITLE, semver::Version::new(1, 0, 0));
    spec.description(DESCRIPTION);
    let mut value = spec.json()?;
    add_bearer_security(&mut value);
    publish_public_paths(&mut value);
    mark_optional_bodies(&mut value);
    document_body_rules(&mut value);
    Ok(serde_yaml::to_string(&value)?)
}

/// Publishes the reference's paths: the routes declared under the marker segment lose it (see
/// `crate::routes`).
fn publish_public_paths(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let declared = std::mem::take(paths);
    for (path, item) in declared {
        paths.insert(crate::routes::to_public(&path), item);
    }
}

/// Operations whose JSON body may be left out (`JsonBody::parse_or_empty`): the reference's
/// clients send none.
const OPTIONAL_BODIES: &[&str] = &["classrooms_invite"];

/// Marks the request bodies of [`OPTIONAL_BODIES`] as not required.
fn mark_optional_bodies(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|i| i.as_object_mut())
        .flat_map(|i| i.values_mut())
    {
        let optional = operation
            .get("operationId")
            .and_then(|id| id.as_str())
            .is_some_and(|id| OPTIONAL_BODIES.contains(&id));
        if optional && let Some(body) = operation.get_mut("requestBody") {
            body["required"] = serde_json::Value::Bool(false);
        }
    }
}

/// Operations whose body limit is not [`crate::body::MAX_BODY_BYTES`] (their trait method's
/// `request_body_max_bytes`; a test keeps this list complete).
const LARGER_BODIES: &[(&str, usize)] = &[(
    "attempts_ocr_extract",
    crate::api::types::attempts::MAX_UPLOAD_BYTES,
)];

/// The body limit of an operation.
pub fn body_limit(operation_id: &str) -> usize {
    LARGER_BODIES
        .iter()
        .find(|(op, _)| *op == operation_id)
        .map_or(crate::body::MAX_BODY_BYTES, |(_, limit)| *limit)
}

/// States on every operation with a body what the server enforces on all of them: the 413 of
/// its size limit, and (JSON bodies) the object and character rules.
fn document_body_rules(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|i| i.as_object_mut())
        .flat_map(|i| i.values_mut())
    {
        let Some(body) = operation.get("requestBody") else {
            continue;
        };
        let json = body["content"].get("application/json").is_some();
        let id = operation["operationId"].as_str().unwrap_or_default();
        let limit = body_limit(id);
        operation["responses"]["413"] = serde_json::json!({
            "description": format!("The body is larger than {limit} bytes."),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        });
        if json {
            let rule = format!(
                "The body is one JSON object of at most {limit} bytes (413 beyond); no string or \
                 property name in it may hold a NUL or another control character (tab, line feed \
                 and carriage return excepted): 400 naming the field."
            );
            let description = match operation.get("description").and_then(|d| d.as_str()) {
                Some(d) if !d.is_empty() => format!("{d}\n\n{rule}"),
                _ => rule,
            };
            operation["description"] = serde_json::Value::String(description);
        }
    }
}

/// Declares the bearer scheme (Supabase or embedded-provider JWTs) and marks every operation
/// whose access policy needs a token with it.
fn add_bearer_security(doc: &mut serde_json::Value) {
    doc["components"]["securitySchemes"]["bearerAuth"] = serde_json::json!({
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /auth/login (or Supabase Auth).",
    });
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let needs_token = operation
                .get("operationId")
                .and_then(|id| id.as_str())
                .and_then(innova_domain::access::policy)
                .is_none_or(|p| p.callers.needs_token());
            if needs_token {
                operation["security"] = serde_json::json!([{"bearerAuth": []}]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every trait method that raises its body limit is in [`LARGER_BODIES`] (the trait's source
    /// is the only place the attribute lives), so the contract's 413 states its real limit.
    #[test]
    fn larger_bodies_lists_every_raised_limit() {
        let source = include_str!("api/mod.rs");
        let mut raised = Vec::new();
        for (i, _) in source.match_indices("request_body_max_bytes") {
            let rest = &source[i..];
            let name = rest
                .split("async fn ")
                .nth(1)
                .and_then(|r| r.split('(').next())
                .map(str::trim)
                .unwrap();
            raised.push(name.to_owned());
        }
        let doc: serde_yaml::Value = serde_yaml::from_str(YAML).unwrap();
        let published = |op: &str| {
            doc["paths"].as_mapping().unwrap().values().any(|item| {
                item.as_mapping()
                    .unwrap()
                    .values()
                    .any(|o| o["operationId"].as_str() == Some(op))
            })
        };
        for op in raised.iter().filter(|op| published(op)) {
            assert!(
                LARGER_BODIES.iter().any(|(o, _)| o == op),
                "{op} raises its body limit: list it in LARGER_BODIES"
            );
        }
        assert_eq!(body_limit("attempts_create"), crate::body::MAX_BODY_BYTES);
    }
}
