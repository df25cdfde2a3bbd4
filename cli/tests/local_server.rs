//! The local composition root end to end: `innova-api` (the API with every worker in-process)
//! on a seeded database, with nothing else configured. A student's attempt, posted over HTTP,
//! travels through the embedded attempt stream to the telemetry worker and lands in the local
//! telemetry store — the path `scripts/dev` runs.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use innova_core::config::Config;
use innova_core::services::Runtime;
use serde_json::{Value, json};

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

#[tokio::test]
async fn an_attempt_posted_to_the_local_server_reaches_the_telemetry_store() {
    let db = innova_testkit::seeded_db().await;
    let data_dir = std::env::temp_dir().join(format!("innova-local-{}", uuid::Uuid::new_v4()));
    let port = free_port().to_string();
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("PORT", port.as_str()),
        ("INNOVA_DATA_DIR", data_dir.to_str().unwrap()),
        ("LOG_LEVEL", "warn"),
    ];
    let command = |bin: &str| {
        let mut c = Command::new(bin);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars);
        c
    };
    std::fs::create_dir_all(&data_dir).unwrap();
    let log_path = data_dir.join("server.log");
    let _server = Server(
        command(env!("CARGO_BIN_EXE_innova-api"))
            .stdout(Stdio::from(std::fs::File::create(&log_path).unwrap()))
            .spawn()
            .expect("innova-api starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    // The first start generates the embedded provider's RSA key: seconds in a debug build.
    for _ in 0..600 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "innova-api answers /health");

    // The token as a developer gets it: `innova token`, same configuration.
    let out = command(env!("CARGO_BIN_EXE_innova"))
        .args(["token", "--email", "student1@innova.demo"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let resp = http
        .post(format!("{base}/attempts"))
        .bearer_auth(&token)
        .header("x-trace-id", "local-story-1")
        .json(&json!({"studentId": "seed-student-001", "topicCode": "SUB",
                      "courseId": "seed-course-001",
                      "rawSteps": [{"expression": "53 - 26", "isFinal": false}, {"expression": "33", "isFinal": true}],
                      "expectedAnswer": 27, "studentAnswer": 33, "minuend": 53, "subtrahend": 26}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    let attempt_id = body["data"]["attemptId"].as_str().unwrap().to_owned();

    // The worker consumed the embedded queue: the document is in the local store.
    let config = Config::from_vars(vars).unwrap();
    let mut doc = None;
    for _ in 0..100 {
        // A store opened now reads what the server's store wrote so far.
        let store = innova_core::telemetry::from_config(&config, Runtime::Local);
        doc = store.attempt_event(&attempt_id).await.unwrap();
        if doc.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let doc = doc.unwrap_or_else(|| {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("the telemetry worker stored no event for {attempt_id}; server log:\n{log}")
    });
    assert_eq!(doc.student_id, "seed-student-001");
    assert_eq!(doc.classroom_id.as_deref(), Some("seed-course-001"));
    assert_eq!(doc.trace_id, "local-story-1");
    assert_eq!(doc.raw_steps.len(), 2);
    let _ = std::fs::remove_dir_all(&data_dir);
}
