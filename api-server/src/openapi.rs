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
    let value = spec.json()?;
    Ok(serde_yaml::to_string(&value)?)
}
