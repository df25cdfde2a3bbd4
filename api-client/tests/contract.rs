//! The released crate carries the contract it was generated from: its copy of `openapi.yaml` is
//! the repository's file, and its version is the contract's `info.version`.

const REPOSITORY_CONTRACT: &str = include_str!("../../openapi.yaml");
const CRATE_CONTRACT: &str = include_str!("../openapi.yaml");

#[test]
fn the_crate_copy_of_the_contract_is_the_repository_file() {
    assert!(
        CRATE_CONTRACT == REPOSITORY_CONTRACT,
        "api-client/openapi.yaml differs from openapi.yaml; a packaged or vendored client would be \
         generated from a stale contract. Refresh it: cp openapi.yaml api-client/openapi.yaml"
    );
}

#[test]
fn the_crate_version_is_the_contract_version() {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(REPOSITORY_CONTRACT).expect("openapi.yaml is YAML");
    let contract = doc["info"]["version"]
        .as_str()
        .expect("openapi.yaml has info.version");
    assert_eq!(
        env!("CARGO_PKG_VERSION"),
        contract,
        "api-client/Cargo.toml's version must be info.version of openapi.yaml (a release tag \
         api-client-v<version> names the contract)"
    );
}
