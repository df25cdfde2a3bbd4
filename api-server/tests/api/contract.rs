//! `openapi.yaml` is generated from the API trait: the checked-in file must equal it.

#[test]
fn openapi_yaml_matches_the_api_trait() {
    let generated = innova_api_server::openapi::generate().expect("the document generates");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let checked_in = std::fs::read_to_string(path).expect("openapi.yaml is readable");
    if generated != checked_in {
        let diff = similar::TextDiff::from_lines(&checked_in, &generated);
        let mut report = String::new();
        for hunk in diff
            .unified_diff()
            .context_radius(3)
            .header("openapi.yaml (checked in)", "generated from the API trait")
            .iter_hunks()
        {
            report.push_str(&hunk.to_string());
        }
        panic!(
            "openapi.yaml is out of date with the API trait. Regenerate it with\n\n    \
             cargo run -q -p innova-cli -- openapi > openapi.yaml\n\nand commit it with the API change.\n\n{report}"
        );
    }
}
