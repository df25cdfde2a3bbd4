//! Generates the client from the contract with progenitor.
//!
//! The contract is the repository's `openapi.yaml` when this crate sits in the repository (the
//! workspace, or a git dependency's checkout), else the copy beside this file, so that the crate
//! also builds alone (a `cargo package` archive, a vendored copy). `tests/contract.rs` keeps the
//! copy identical to the repository's file.
//!
//! Progenitor cannot generate `multipart/form-data` request bodies, so those operations (only
//! `POST /attempts/ocr-extract` today) are left out of the generated client; call them with
//! `reqwest`'s multipart support. Single 4xx statuses documented beside the `4XX` range (the 413
//! of the body limit) are folded into the range, whose error body they share. Everything else in
//! the contract is generated as is.

use std::path::Path;

use openapiv3::{OpenAPI, ReferenceOr};

fn main() {
    // In the repository, `../api-client` is this very directory.
    let this = std::fs::canonicalize(".").ok();
    let in_repository = this.is_some()
        && std::fs::canonicalize("../api-client").ok() == this
        && Path::new("../openapi.yaml").is_file();
    let source = if in_repository {
        "../openapi.yaml"
    } else {
        "openapi.yaml"
    };
    println!("cargo:rerun-if-changed={source}");
    let text =
        std::fs::read_to_string(source).unwrap_or_else(|e| panic!("cannot read {source}: {e}"));
    let mut spec: OpenAPI = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{source} is not a valid OpenAPI 3.0 document: {e}"));

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
            // A status the `4XX` range already answers with the same error body (the contract's
            // 413 of the body limit): progenitor would match the range first and never reach it.
            if let Some(op) = operation.as_mut()
                && op
                    .responses
                    .responses
                    .keys()
                    .any(|c| *c == openapiv3::StatusCode::Range(4))
            {
                op.responses.responses.retain(|code, _| {
                    !matches!(code, openapiv3::StatusCode::Code(c) if (400..500).contains(c))
                });
            }
        }
    }

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("cannot generate the client from {source}: {e}"));
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("client.rs");
    std::fs::write(out, tokens.to_string()).expect("OUT_DIR is writable");
}
