//! Structured JSON logs on stdout (CloudWatch on Lambda), level from `LOG_LEVEL`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber. `RUST_LOG`, when set and valid, overrides `level`; both take
/// a level or a `target=level` list (`info`, `innova_core=debug,sqlx=warn,info`). Safe to call
/// more than once (later calls do nothing).
///
/// A target list rather than `EnvFilter`'s span and field filters: those need a regex engine,
/// about 250 KB of the Lambda binary, for a syntax our logs do not use.
pub fn init(level: &str) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|spec| parse(&spec))
        .or_else(|| parse(level))
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stdout);
    let _ = tracing_subscriber::registry()
        .with(json)
        .with(filter)
        .try_init();
}

/// The filter `spec` describes; `None` when it is empty or malformed.
fn parse(spec: &str) -> Option<Targets> {
    let spec = spec.trim();
    if spec.is_empty() {
        return None;
    }
    spec.parse().ok()
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn levels_and_target_lists_parse() {
        let info = parse("info").unwrap();
        assert!(info.would_enable("sqlx::query", &Level::INFO));
        assert!(!info.would_enable("sqlx::query", &Level::DEBUG));

        let list = parse("innova_core=debug,sqlx=warn,info").unwrap();
        assert!(list.would_enable("innova_core::db", &Level::DEBUG));
        assert!(!list.would_enable("sqlx::query", &Level::INFO));
        assert!(list.would_enable("hyper", &Level::INFO));

        assert!(parse("").is_none());
        assert!(parse("sqlx=loud").is_none());
    }
}
