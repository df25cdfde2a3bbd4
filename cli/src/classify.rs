pub fn run(_input: impl std::io::BufRead, _output: impl std::io::Write) -> anyhow::Result<()> {
    anyhow::bail!("`classify` is not implemented yet")
}
