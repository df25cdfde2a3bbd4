//! I/O shared by the API server, the workers and the CLI.
pub mod aws;
pub mod config;
pub mod db;
pub mod identity;
pub mod killswitch;
pub mod logging;
pub mod mail;
pub mod messages;
pub mod objects;
pub mod ocr;
pub mod queue;
pub mod readiness;
pub mod services;
pub mod telemetry;
// --- LLM classifier
pub mod llm;
