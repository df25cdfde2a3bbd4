//! `innova openapi`: print the document generated from the API trait.

pub fn run(out: &mut impl std::io::Write) -> anyhow::Result<()> {
    out.write_all(innova_api_server::openapi::generate()?.as_bytes())?;
    Ok(())
}
