//! The Lambda `api` function (custom runtime `provided.al2023`).

use innova_core::config::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // A configuration error stops the cold start with a message naming the variable; Lambda
    // reports it as an init failure instead of serving broken requests.
    let config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    innova_core::logging::init(&config.log_level);
    innova_api_server::lambda::run(config).await
}
