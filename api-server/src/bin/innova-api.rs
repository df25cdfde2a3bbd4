//! The local HTTP server: `PORT` (default 3000), embedded defaults for everything not configured.

use innova_core::config::Config;

#[tokio::main]
async fn main() {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("innova-api: configuration error: {e}");
            std::process::exit(2);
        }
    };
    innova_core::logging::init(&config.log_level);
    if let Err(e) = run(config).await {
        tracing::error!(error = format!("{e:#}"), "innova-api stopped");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (PORT): {e}"))?;
    let api = innova_api_server::server::serve(config, listener).await?;
    tracing::info!(addr = %api.addr, "innova-api listening");
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    api.shutdown().await
}
