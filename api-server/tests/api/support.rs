//! Spawning the API for a test: a fresh database, the server on a random port, a client.

use innova_api_server::server::{RunningApi, serve};
use innova_core::config::Config;

/// An allowed browser origin in every test server's CORS configuration.
pub const ALLOWED_ORIGIN: &str = "http://allowed.example";

pub struct TestApp {
    pub base_url: String,
    pub client: innova_api_client::Client,
    /// For what the contract cannot express (unknown routes, preflights, raw bodies).
    pub http: reqwest::Client,
    pub api: RunningApi,
    _data_dir: TempDir,
}

/// A directory removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("innova-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The admin URL of the test PostgreSQL server (`scripts/test` exports it).
pub fn test_pg_url() -> String {
    std::env::var("INNOVA_TEST_PG_URL")
        .expect("INNOVA_TEST_PG_URL is not set: run the tests with scripts/test")
}

/// Spawns the API against `database_url` with `extra` variables on top of the test defaults.
pub async fn spawn_with(database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = TempDir::new();
    let mut vars: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", database_url),
        ("CORS_ORIGINS", ALLOWED_ORIGIN),
        ("INNOVA_DATA_DIR", data_dir.0.to_str().unwrap()),
    ];
    vars.extend_from_slice(extra);
    let config = Config::from_vars(vars).expect("test configuration is valid");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = serve(config, listener).await.expect("the API starts");
    let base_url = format!("http://{}", api.addr);
    TestApp {
        client: innova_api_client::Client::new(&base_url),
        http: reqwest::Client::new(),
        base_url,
        api,
        _data_dir: data_dir,
    }
}

/// Spawns the API on the test PostgreSQL server.
pub async fn spawn() -> TestApp {
    spawn_with(&test_pg_url(), &[]).await
}
