//! Generates the client from `../openapi.yaml` with progenitor.
//!
//! Progenitor cannot generate `multipart/form-data` request bodies, so those operations (only
//! `POST /attempts/ocr-extract` today) are left out of the generated client; call them with
//! `reqwest`'s multipart support. Everything else in the contract is generated as is.

use std::path::Path;

use openapiv3::{OpenAPI, ReferenceOr};

const SPEC: &str = "../openapi.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    let text = std::fs::read_to_string(SPEC).expect("openapi.yaml is readable");
    let mut spec: OpenAPI =
        serde_yaml::from_str(&text).expect("openapi.yaml is a valid OpenAPI 3.0 document");

    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ] {
            let multipart = operation.as_ref().and_then(|op| op.request_body.as_ref()).is_some_and(|body| {
                matches!(body, ReferenceOr::Item(b) if b.content.contains_key("multipart/form-data"))
            });
            if multipart {
                *operation = None;
            }
        }
    }

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("cannot generate the client from {SPEC}: {e}"));
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("client.rs");
    std::fs::write(out, tokens.to_string()).expect("OUT_DIR is writable");
}
