//! The published client, consumed the way another repository consumes it: a throwaway crate
//! outside this workspace depends on `innova-api-client` by path to a clean export of it (what
//! `cargo package` puts in the release archive: the crate alone, with its own copy of the
//! contract, no `../openapi.yaml`, no workspace to inherit from), builds offline against this
//! workspace's Cargo.lock, and calls `GET /health` on a running `innova-api`.
//!
//! Its build directory persists under the target directory (`outside-client/`), so only the
//! first run compiles the client's dependencies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The server process, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The workspace's target directory: this test runs from `<target>/<profile>/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// A cargo command that sees nothing of the running `cargo test`: no coverage instrumentation or
/// flags inherited, its own target directory (this one is locked by the running build).
fn cargo(target: &Path) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "LLVM_PROFILE_FILE",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
        "CARGO_LLVM_COV_TARGET_DIR",
        "CARGO_INCREMENTAL",
    ] {
        c.env_remove(var);
    }
    c.env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never");
    c
}

fn check(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const CONSUMER_MAIN: &str = r#"
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let base = std::env::args().nth(1).expect("the API's base URL");
    let client = innova_api_client::Client::new(&base);
    let health = client.health().send().await.expect("GET /health").into_inner();
    println!("{} {} {}", health.status_code, health.data.status, health.data.db);
}
"#;

#[tokio::test]
async fn a_crate_outside_the_workspace_calls_the_api_through_the_exported_client() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let work = target_dir().join("outside-client");

    // 1. The clean export: the client crate as `cargo package` archives it, unpacked.
    let export = work.join("export");
    let _ = std::fs::remove_dir_all(&export);
    std::fs::create_dir_all(&export).unwrap();
    check(
        "cargo package -p innova-api-client",
        cargo(&work.join("package-target"))
            .current_dir(workspace)
            .args([
                "package",
                "-q",
                "-p",
                "innova-api-client",
                "--allow-dirty",
                "--no-verify",
                "--offline",
            ])
            .output()
            .unwrap(),
    );
    let packaged = std::fs::read_dir(work.join("package-target/package"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "crate"))
        .expect("cargo package wrote a .crate archive");
    check(
        "tar",
        Command::new("tar")
            .arg("xzf")
            .arg(&packaged)
            .arg("-C")
            .arg(&export)
            .output()
            .unwrap(),
    );
    let crate_dir = std::fs::read_dir(&export)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(
        !crate_dir.join("../openapi.yaml").exists() && crate_dir.join("openapi.yaml").is_file(),
        "the export carries its own contract and nothing beside it"
    );

    // 2. The consumer: its own package (and workspace), this workspace's lock copied so that
    // `--offline` needs no new resolution.
    let consumer = work.join("consumer");
    std::fs::create_dir_all(consumer.join("src")).unwrap();
    std::fs::write(
        consumer.join("Cargo.toml"),
        format!(
            r#"[package]
name = "innova-client-consumer"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
innova-api-client = {{ path = "{}" }}
tokio = {{ version = "1", features = ["rt", "macros"] }}

[workspace]

[profile.dev]
debug = false
"#,
            crate_dir.display()
        ),
    )
    .unwrap();
    std::fs::write(consumer.join("src/main.rs"), CONSUMER_MAIN).unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), consumer.join("Cargo.lock")).unwrap();
    let build = cargo(&work.join("target"))
        .current_dir(&consumer)
        .args(["build", "-q", "--offline"])
        .output()
        .unwrap();
    check("building the consumer crate", build);

    // 3. A running server, the local composition root on a seeded database.
    let db = innova_testkit::seeded_db().await;
    let data_dir = std::env::temp_dir().join(format!("innova-client-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_innova-api"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("PORT", port.to_string())
            .env("INNOVA_DATA_DIR", &data_dir)
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("innova-api starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "innova-api listens on {base}");

    // 4. The consumer calls the API.
    let out = Command::new(work.join("target/debug/innova-client-consumer"))
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(check("the consumer", out).trim(), "200 ok ok");
    let _ = std::fs::remove_dir_all(&data_dir);
}
