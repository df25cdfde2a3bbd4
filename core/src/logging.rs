//! Structured JSON logs on stdout (CloudWatch on Lambda), level from `LOG_LEVEL`.

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `level` with full filter
/// syntax. Safe to call more than once (later calls do nothing).
pub fn init(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}
