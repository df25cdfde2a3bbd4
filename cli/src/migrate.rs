pub async fn run(_database_url: &str, _baseline: bool) -> anyhow::Result<()> {
    anyhow::bail!("`migrate` is not implemented yet")
}
