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
///
/// Events carry their span's fields (`span`: the API's request span with the trace id).
/// Dropshot's own logs (forwarded from slog: filtered by their module, `dropshot::…`, and
/// printed with target `slog`) are kept from `warn` up unless the spec names `dropshot`: their
/// per-request lines repeat the edge's access log.
pub fn init(level: &str) {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| parse(spec).is_some())
        .unwrap_or_else(|| level.to_owned());
    let filter = filter(&spec);
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stdout);
    let _ = tracing_subscriber::registry()
        .with(json)
        .with(filter)
        .try_init();
}

/// The filter of a spec: as written (`info` when empty or malformed), with dropshot's lines at
/// `warn` unless the spec names them.
fn filter(spec: &str) -> Targets {
    let targets = parse(spec).unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    if spec.contains("dropshot") {
        targets
    } else {
        targets.with_target("dropshot", LevelFilter::WARN)
    }
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

        let quiet = filter("debug");
        assert!(!quiet.would_enable("dropshot::server", &Level::INFO));
        assert!(quiet.would_enable("dropshot::server", &Level::WARN));
        assert!(quiet.would_enable("innova_api_server", &Level::DEBUG));
        assert!(filter("dropshot=info,info").would_enable("dropshot::server", &Level::INFO));
        assert!(filter("sqlx=loud").would_enable("hyper", &Level::INFO));
    }
}
