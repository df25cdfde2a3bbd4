//! I/O shared by the API server, the workers and the CLI.
pub mod config;
pub mod logging;
pub mod readiness;
