//! The local server, and the composition root of a local process: the API
//! (`innova-api-server`) with every worker (`innova-workers`) consuming its embedded queue
//! in-process. `PORT` (default 3000); embedded defaults for everything not configured.
//!
//! Only here are both visible: the API crate does not depend on the workers, and the Lambda
//! `bootstrap` links none of them (there each worker is its own function).

use innova_api_server::context::ApiContext;
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
    let context = ApiContext::new(config)?;
    let workers =
        innova_workers::register_embedded(&context.config, &context.services, &context.db);
    tracing::info!(queues = ?workers, "workers consuming embedded queues");
    // The hourly schedule of the alertGenerator Lambda, in-process.
    let _alerts = innova_workers::alert_generator::spawn_hourly(
        context.app.clone(),
        std::time::Duration::from_secs(3600),
    );
    // The outbox relay: what a failed publish left behind goes out within seconds.
    let _relay =
        innova_workers::outbox_relay::spawn(context.app.clone(), std::time::Duration::from_secs(2));
    let api = innova_api_server::server::serve_context(context, listener).await?;
    tracing::info!(addr = %api.addr, "innova-api listening");
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    api.shutdown().await
}
