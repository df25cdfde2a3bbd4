pub async fn run(_database_url: &str) -> anyhow::Result<()> {
    anyhow::bail!("`seed` is not implemented yet")
}
