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
    let mut spec = description.openapi(TITLE, semver::Version::new(1, 1, 0));
    spec.description(DESCRIPTION);
    let mut value = spec.json()?;
    add_server(&mut value);
    add_bearer_security(&mut value);
    publish_public_paths(&mut value);
    mark_optional_bodies(&mut value);
    document_body_rules(&mut value);
    describe_raw_responses(&mut value);
    describe_tags(&mut value)?;
    inline_single_variants(&mut value);
    type_nullable_schemas(&mut value);
    Ok(serde_yaml::to_string(&value)?)
}

/// The server: the origin the document is served from (OpenAPI's default for a document without
/// `servers`, stated), since every deployment, and the local server, serves its own copy.
fn add_server(doc: &mut serde_json::Value) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let server = serde_json::json!([{
        "url": "/",
        "description": "The origin serving this document: every deployment, and the local \
                        server, serves its own copy at `/openapi.yaml`.",
    }]);
    // After `info`, where readers look for it.
    let entries = std::mem::take(root);
    for (key, value) in entries {
        let after_info = key == "info";
        root.insert(key, value);
        if after_info {
            root.insert("servers".into(), server.clone());
        }
    }
    root.entry("servers").or_insert(server);
}

/// The operations answering a raw `Response<Body>` (the documents: `/docs`, `/openapi.*`, the
/// JWKS) get dropshot's catch-all `default` response only. Their handlers answer 200 with the
/// document, or an `ApiError` (the error body, 4xx or 5xx, like every operation: the edge's 400
/// for a bad query parameter applies to every route): stated as the typed operations state it.
fn describe_raw_responses(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|i| i.as_object_mut())
        .flat_map(|i| i.values_mut())
    {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(|r| r.as_object_mut())
        else {
            continue;
        };
        if responses.len() != 1 {
            continue;
        }
        let Some(mut success) = responses.remove("default") else {
            continue;
        };
        success["description"] = serde_json::Value::String("successful operation".into());
        responses.insert("200".into(), success);
        for range in ["4XX", "5XX"] {
            responses.insert(
                range.into(),
                serde_json::json!({"$ref": "#/components/responses/ErrorBody"}),
            );
        }
    }
}

/// What each tag groups (the trait's `tags = [...]`): a tag missing here fails the generation.
const TAG_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "admin",
        "Administrators: the error catalogue's statuses, the pipeline snapshot and the stages' \
         kill switches.",
    ),
    (
        "alerts",
        "Alerts on a course's students: listing, raising and resolving them.",
    ),
    (
        "app",
        "The service itself: liveness, readiness, this document and its reference page. No \
         token needed.",
    ),
    (
        "assignments",
        "Exercises assigned to students, chosen by a teacher or recommended.",
    ),
    (
        "attempts",
        "Students' attempts at exercises (typed, or read from a worksheet photo), their \
         procedural-error classification and its disputes.",
    ),
    (
        "auth",
        "Accounts and sessions: registration, sign-in, token refresh, sign-out, password reset, \
         the current user and the embedded identity provider's keys.",
    ),
    (
        "classrooms",
        "Courses: creating and archiving them, invitations and joining with a code, the \
         caller's courses.",
    ),
    (
        "guides",
        "Teachers' guides: a PDF worksheet extracted into questions, reviewed, published, and \
         its students' results and submissions.",
    ),
    (
        "items",
        "The exercise bank: exercises, their IRT parameters, and new ones from the AI engine.",
    ),
    (
        "mastery",
        "Mastery (BKT) per student and topic, per course and as a heatmap, and the next \
         exercise for a student.",
    ),
    (
        "parent",
        "Parents: the children linked to them and a summary of each.",
    ),
    (
        "practice",
        "Practice exercises: assigning them to a student and recommending the next one (IRT).",
    ),
    (
        "skills",
        "The curriculum's topics and their prerequisites, and the error taxonomy and catalogue.",
    ),
    (
        "student",
        "Guides from the student's side: the quizzes, photo submissions (per question or per \
         page) and results.",
    ),
];

/// Describes every tag of the document from [`TAG_DESCRIPTIONS`].
fn describe_tags(doc: &mut serde_json::Value) -> anyhow::Result<()> {
    let Some(tags) = doc.get_mut("tags").and_then(|t| t.as_array_mut()) else {
        return Ok(());
    };
    for tag in tags {
        let name = tag["name"].as_str().unwrap_or_default().to_owned();
        let description = TAG_DESCRIPTIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                anyhow::anyhow!("the tag `{name}` has no description in openapi::TAG_DESCRIPTIONS")
            })?;
        tag["description"] = serde_json::Value::String(description.into());
    }
    Ok(())
}

/// Every schema of the document (components, parameters, bodies, responses, nested), each once.
fn visit_schemas(value: &mut serde_json::Value, visit: &mut dyn FnMut(&mut serde_json::Value)) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    // Maps of schemas.
                    "schemas" | "properties" => {
                        if let Some(children) = child.as_object_mut() {
                            for schema in children.values_mut() {
                                visit(schema);
                                visit_schemas(schema, visit);
                            }
                        }
                    }
                    // One schema.
                    "schema" | "items" | "not" | "additionalProperties" => {
                        if child.is_object() {
                            visit(child);
                        }
                        visit_schemas(child, visit);
                    }
                    // Lists of schemas.
                    "allOf" | "oneOf" | "anyOf" => {
                        if let Some(children) = child.as_array_mut() {
                            for schema in children {
                                visit(schema);
                                visit_schemas(schema, visit);
                            }
                        }
                    }
                    // Response objects, `default` among them.
                    "responses" => {
                        if let Some(responses) = child.as_object_mut() {
                            for response in responses.values_mut() {
                                visit_schemas(response, visit);
                            }
                        }
                    }
                    // Literal values, never schemas.
                    "example" | "examples" | "default" | "enum" => {}
                    _ => visit_schemas(child, visit),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                visit_schemas(item, visit);
            }
        }
        _ => {}
    }
}

/// A `oneOf` of one inline schema (schemars' form of an enum with one documented variant) is
/// that schema: its keywords move up (the variant's description after the schema's own), as no
/// other keyword of the schema conflicts with them. Same values, without a one-way choice.
fn inline_single_variants(doc: &mut serde_json::Value) {
    visit_schemas(doc, &mut |schema| {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        let variant = match map.get("oneOf").and_then(|o| o.as_array()) {
            Some(variants) if variants.len() == 1 => match variants[0].as_object() {
                Some(v) if !v.contains_key("$ref") => v.clone(),
                _ => return,
            },
            _ => return,
        };
        let conflicts = variant
            .keys()
            .any(|k| k != "description" && map.contains_key(k));
        if conflicts {
            return;
        }
        map.remove("oneOf");
        for (key, value) in variant {
            if key == "description"
                && let Some(own) = map.get("description").and_then(|d| d.as_str())
            {
                let joined = format!("{own}\n\n{}", value.as_str().unwrap_or_default());
                map.insert(key, serde_json::Value::String(joined));
            } else {
                map.insert(key, value);
            }
        }
    });
}

/// The JSON type a schema's values have, when there is one: its `type`, or that of what it
/// refers to or composes (all alike).
fn schema_type(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    if let Some(t) = schema.get("type").and_then(|t| t.as_str()) {
        return Some(t.to_owned());
    }
    if let Some(target) = schema.get("$ref").and_then(|r| r.as_str()) {
        let pointer = target.strip_prefix('#')?;
        return schema_type(doc, doc.pointer(pointer)?, depth + 1);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(|p| p.as_array()) {
            let mut types = parts.iter().map(|p| schema_type(doc, p, depth + 1));
            let first = types.next()??;
            return types.all(|t| t.as_ref() == Some(&first)).then_some(first);
        }
    }
    None
}

/// OpenAPI 3.0 gives `nullable` a meaning only beside a `type`. schemars writes an optional
/// reference (`Option<T>` of a named type) as `nullable` beside `allOf: [$ref]`: the referenced
/// schema's type is stated beside it (the values are the same, null included). An optional
/// JSON value (`Option<serde_json::Value>`) is `nullable` alone, which any value, null
/// included, already matches: `nullable` goes.
fn type_nullable_schemas(doc: &mut serde_json::Value) {
    let source = doc.clone();
    visit_schemas(doc, &mut |schema| {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.get("nullable") != Some(&serde_json::Value::Bool(true)) || map.contains_key("type") {
            return;
        }
        let composed = ["allOf", "oneOf", "anyOf", "$ref", "not"]
            .iter()
            .any(|k| map.contains_key(*k));
        if !composed {
            // No keyword but annotations: any value matches, null among them.
            let annotations = ["nullable", "description", "title", "default", "example"];
            if map.keys().all(|k| annotations.contains(&k.as_str())) {
                map.remove("nullable");
            }
            return;
        }
        let value = serde_json::Value::Object(map.clone());
        if let Some(t) = schema_type(&source, &value, 0) {
            map.insert("type".into(), serde_json::Value::String(t));
        }
    });
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

/// Declares the bearer scheme (Supabase or embedded-provider JWTs), marks every operation whose
/// access policy needs a token with it, and the public ones with no requirement.
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
            // The public operations say so (`[]`: no requirement), as a linter expects of a
            // document where some operations need a token.
            operation["security"] = if needs_token {
                serde_json::json!([{"bearerAuth": []}])
            } else {
                serde_json::json!([])
            };
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

    /// The public operations (the access policy's `Anyone`) say they need no token, the others
    /// name the bearer scheme.
    #[test]
    fn security_follows_the_access_policy() {
        let doc: serde_json::Value = serde_yaml::from_str(YAML).unwrap();
        let mut public = Vec::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap();
                let needs_token =
                    innova_domain::access::policy(id).is_none_or(|p| p.callers.needs_token());
                if needs_token {
                    assert_eq!(
                        operation["security"],
                        serde_json::json!([{"bearerAuth": []}])
                    );
                } else {
                    assert_eq!(operation["security"], serde_json::json!([]), "{id}");
                    public.push(id);
                }
            }
        }
        assert!(public.contains(&"auth_login") && public.contains(&"health"));
    }

    /// `nullable` stands beside a `type` (or goes where any value matches), and a one-variant
    /// `oneOf` becomes its variant; schemas that are already right are left alone.
    #[test]
    fn nullable_schemas_get_a_type() {
        let mut doc = serde_json::json!({
            "components": {"schemas": {
                "Reason": {"description": "Why.", "oneOf": [
                    {"description": "Used up.", "type": "string", "enum": ["limit_reached"]},
                ]},
                "Course": {"type": "object", "properties": {
                    "id": {"type": "string"},
                    "reason": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Reason"}]},
                    "extra": {"nullable": true, "description": "Anything.", "default": null},
                    "note": {"nullable": true, "type": "string"},
                    "items": {"type": "array", "items": {
                        "nullable": true, "allOf": [{"$ref": "#/components/schemas/Course"}],
                    }},
                }},
                "Two": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            }},
        });
        inline_single_variants(&mut doc);
        type_nullable_schemas(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Reason"],
            serde_json::json!({
                "description": "Why.\n\nUsed up.", "type": "string", "enum": ["limit_reached"],
            })
        );
        let properties = &schemas["Course"]["properties"];
        assert_eq!(properties["reason"]["type"], "string");
        assert_eq!(properties["reason"]["nullable"], true);
        assert_eq!(
            properties["extra"],
            serde_json::json!({"description": "Anything.", "default": null})
        );
        assert_eq!(
            properties["note"],
            serde_json::json!({"nullable": true, "type": "string"})
        );
        assert_eq!(properties["items"]["items"]["type"], "object");
        assert_eq!(schemas["Two"]["oneOf"].as_array().unwrap().len(), 2);
    }
}
