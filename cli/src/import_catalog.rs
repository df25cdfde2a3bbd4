pub async fn run(_database_url: &str, _file: &std::path::Path, _activate: bool) -> anyhow::Result<()> {
    anyhow::bail!("`import_catalog` is not implemented yet")
}
