//! The OpenAPI document: generated from the API trait, checked in as `openapi.yaml`, served at
//! `/openapi.yaml` and `/openapi.json`.

use std::sync::OnceLock;

use crate::api::innova_api_mod;

/// The checked-in contract, served as is (a test keeps it equal to the generated document).
pub const YAML: &str = include_str!("../../openapi.yaml");

pub const TITLE: &str = "Innova Serverless Core API";
pub const DESCRIPTION: &str = "EdTech Platform Backend: attempts and their procedural-error \
classification, mastery (BKT), recommendations (IRT), guides, classrooms and alerts.";

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
