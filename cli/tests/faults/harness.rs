//! The fault-injection harness: the composed local server (`innova-api`: the API, the workers
//! in-process, the outbox relay every 2 s) started with each dependency behind a
//! [`FaultProxy`] — PostgreSQL (`DATABASE_URL`), moto (`AWS_ENDPOINT_URL` and the queue URLs:
//! SQS, S3, SSM), FerretDB (`MONGODB_URI`, the telemetry worker's store) — driven by concurrent
//! clients sending a mix of requests while one fault is injected, then checked:
//!
//! * every error body has the contract's shape, and none leaks a cause (a 500 says only
//!   "Internal server error");
//! * every request answered with success is fully in the database, and no request left anything
//!   half-written (an attempt without its steps, its retry key or its mastery step; a message for
//!   a row that is not there);
//! * no queued work is lost: each committed row that asks for work has its message in its
//!   (moto) queue — at least once, as the outbox documents — and the outbox is empty;
//! * the server recovers without a restart: seconds from the dependency's return to the first
//!   success, then sequential requests that all succeed (the pool is not poisoned).
//!
//! `INNOVA_FAULTS=full` (`scripts/faults`) selects the full durations; otherwise the fast ones
//! `scripts/test` runs. Each scenario prints its table (and appends it to
//! `$INNOVA_FAULTS_REPORT` when set).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, DEMO_USERS, STUDENT_IDS, TEACHER_ID};
use innova_core::telemetry::{MongoTelemetry, TelemetryStore};
use innova_testkit::TestDb;
use innova_testkit::guides::{GuideFixture, QuestionFixture};
use innova_testkit::proxy::FaultProxy;
use innova_testkit::services::{self, TestQueue};
use serde_json::{Value, json};

/// True for the full suite (`INNOVA_FAULTS=full`, set by `scripts/faults`).
pub fn full() -> bool {
    std::env::var("INNOVA_FAULTS").is_ok_and(|v| v == "full")
}

/// How long each phase lasts.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Load before the fault.
    pub warmup: Duration,
    /// The fault itself.
    pub fault: Duration,
    /// Load after the dependency is back.
    pub after: Duration,
    /// How long queued messages and telemetry may take to arrive after the load.
    pub settle: Duration,
    /// Concurrent clients.
    pub clients: usize,
}

impl Timing {
    pub fn get() -> Timing {
        if full() {
            Timing {
                warmup: Duration::from_secs(3),
                fault: Duration::from_secs(10),
                after: Duration::from_secs(5),
                settle: Duration::from_secs(90),
                clients: 8,
            }
        } else {
            Timing {
                warmup: Duration::from_secs(1),
                fault: Duration::from_secs(3),
                after: Duration::from_secs(2),
                settle: Duration::from_secs(40),
                clients: 8,
            }
        }
    }
}

/// The longest the server may take, once a dependency is back, to answer a request with success.
pub const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// Sequential requests after the load that must all succeed.
pub const SEQUENTIAL: usize = 20;
/// The added latency of the latency faults.
pub const LATENCY: Duration = Duration::from_millis(500);

/// A dependency of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dep {
    Postgres,
    /// moto: SQS, S3, SSM.
    Moto,
    /// FerretDB: the telemetry worker's MongoDB.
    Mongo,
}

impl Dep {
    fn name(self) -> &'static str {
        match self {
            Dep::Postgres => "PostgreSQL",
            Dep::Moto => "moto (SQS/S3/SSM)",
            Dep::Mongo => "MongoDB (FerretDB)",
        }
    }
}

/// What happens to the dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Unreachable: live connections closed, new ones refused; then back.
    Down,
    /// [`LATENCY`] added to every round trip; then removed.
    Latency,
    /// Every live connection reset (RST) every 250 ms: transactions cut mid-way.
    Reset,
    /// PostgreSQL restarted: its postmaster stopped and started again through the hooks
    /// `scripts/faults` sets (`INNOVA_FAULTS_PG_STOP`/`INNOVA_FAULTS_PG_START`); the scenario is
    /// ignored outside the full suite. Without the hooks (run by hand with `--include-ignored`)
    /// every backend of the database is terminated (`pg_terminate_backend`) every 500 ms
    /// instead, which its table says.
    Restart,
}

/// The server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One embedded-provider key per test process (RSA generation is slow in debug builds).
fn key_pem() -> &'static str {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| innova_core::identity::keys::generate_rsa_pem().expect("an RSA key"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub const GUIDE: &str = "faults-guide";
const QUESTIONS: [&str; 2] = ["faults-q1", "faults-q2"];
/// Topics with a rule strategy (attempts CLASSIFIED) and without one (attempts PENDING, their
/// LLM message through the outbox).
const TOPICS: [&str; 7] = [
    "SUB",
    "ADD",
    "MUL",
    "DIV",
    "COUNT",
    "PLACE_VALUE",
    "COMPARE",
];

/// What the clients need: the server's URL, a client, a token per student.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub tokens: Arc<Vec<String>>,
}

/// The server, its database, its proxied dependencies and its queues.
pub struct World {
    pub db: TestDb,
    pub pg: FaultProxy,
    pub moto: FaultProxy,
    pub mongo: FaultProxy,
    pub api: Api,
    pub llm_queue: TestQueue,
    pub adhoc_queue: TestQueue,
    pub grade_queue: TestQueue,
    /// FerretDB, directly (not through the proxy), on the server's telemetry database.
    pub mongo_uri: String,
    pub data_dir: PathBuf,
    log_path: PathBuf,
    _server: Server,
}

impl World {
    pub async fn start() -> World {
        let db = innova_testkit::seeded_db().await;
        let mut guide = GuideFixture::new(GUIDE, COURSE_ID, TEACHER_ID)
            .status("PUBLISHED")
            .max_resubmissions(1_000_000);
        for (i, id) in QUESTIONS.iter().enumerate() {
            guide = guide.question(
                QuestionFixture::approved(id, i as i32 + 1, "52 - 17")
                    .topic("SUB")
                    .answer("35"),
            );
        }
        guide.insert(&db.pool).await;
        let codes: i64 =
            sqlx::query_scalar("SELECT count(DISTINCT code) FROM topics WHERE code = ANY($1)")
                .bind(TOPICS.map(String::from).to_vec())
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(codes, TOPICS.len() as i64, "every topic of the load exists");

        let aws = services::aws_endpoint();
        let (mongo_uri, _) = services::mongodb_uri_with_fresh_database();
        let pg = FaultProxy::for_url(&db.url).await.unwrap();
        let moto = FaultProxy::for_url(&aws).await.unwrap();
        let mongo = FaultProxy::for_url(&mongo_uri).await.unwrap();
        let llm_queue = services::create_queue("faults-llm", false).await;
        let adhoc_queue = services::create_queue("faults-adhoc", false).await;
        let grade_queue = services::create_queue("faults-grade", false).await;
        let bucket = services::unique("faults-submissions").replace('_', "-");
        innova_core::aws::Aws::new(services::aws_settings())
            .s3()
            .await
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("moto creates the bucket");

        let data_dir = std::env::temp_dir().join(format!("innova-faults-{}", uuid::Uuid::new_v4()));
        let key_file = data_dir.join(innova_core::identity::keys::KEY_FILE);
        std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
        std::fs::write(&key_file, key_pem()).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let vars: Vec<(&str, String)> = vec![
            ("DATABASE_URL", pg.url_for(&db.url)),
            ("PORT", port.to_string()),
            ("PUBLIC_API_URL", base.clone()),
            ("INNOVA_DATA_DIR", data_dir.to_str().unwrap().to_owned()),
            ("LOG_LEVEL", "warn".into()),
            ("AWS_ENDPOINT_URL", moto.url_for(&aws)),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("SQS_LLM_CLASSIFY_URL", moto.url_for(&llm_queue.url)),
            ("SQS_ADHOC_SOLVE_URL", moto.url_for(&adhoc_queue.url)),
            ("SQS_SUBMISSION_GRADE_URL", moto.url_for(&grade_queue.url)),
            ("S3_SUBMISSIONS_BUCKET", bucket),
            ("MONGODB_URI", mongo.url_for(&mongo_uri)),
        ];
        let log_path = data_dir.join("server.log");
        let server = Server(
            Command::new(env!("CARGO_BIN_EXE_innova-api"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::from(std::fs::File::create(&log_path).unwrap()))
                .stderr(Stdio::from(
                    std::fs::File::create(data_dir.join("server.err")).unwrap(),
                ))
                .spawn()
                .expect("innova-api starts"),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut up = false;
        for _ in 0..600 {
            if let Ok(r) = http.get(format!("{base}/health")).send().await
                && r.status().is_success()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let config = Config::from_vars(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .expect("a valid configuration");
        let mut world = World {
            pg,
            moto,
            mongo,
            api: Api {
                base,
                http,
                tokens: Arc::default(),
            },
            llm_queue,
            adhoc_queue,
            grade_queue,
            mongo_uri,
            data_dir,
            log_path,
            _server: server,
            db,
        };
        assert!(up, "innova-api is healthy; its log:\n{}", world.log());
        let key = innova_core::identity::keys::SigningKey::load_or_create(&config.data_dir)
            .expect("the key written above");
        let provider = innova_core::identity::embedded::EmbeddedProvider::new(
            world.db.pool.clone(),
            key,
            innova_core::identity::embedded_issuer(&config),
        );
        let mut tokens = Vec::new();
        for student in STUDENT_IDS {
            let email = DEMO_USERS
                .iter()
                .find(|u| u.profile_id == Some(student))
                .map(|u| u.email)
                .expect("a demo student");
            let creds = innova_core::db::accounts::credentials_by_email(&world.db.pool, email)
                .await
                .unwrap()
                .expect("seeded credentials");
            tokens.push(provider.access_token_for(&creds, 3600).await.unwrap());
        }
        world.api.tokens = Arc::new(tokens);
        world
    }

    /// The server's log so far (its last 60 lines).
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default()
            + &std::fs::read_to_string(self.data_dir.join("server.err")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    fn proxy(&self, dep: Dep) -> &FaultProxy {
        match dep {
            Dep::Postgres => &self.pg,
            Dep::Moto => &self.moto,
            Dep::Mongo => &self.mongo,
        }
    }

    /// Injects `fault` into `dep` for `duration`; returns when the dependency is back.
    async fn inject(&self, dep: Dep, fault: Fault, duration: Duration) -> String {
        let proxy = self.proxy(dep);
        let until = Instant::now() + duration;
        let secs = duration.as_secs_f64();
        match fault {
            Fault::Down => {
                proxy.down();
                tokio::time::sleep_until(until.into()).await;
                proxy.pass();
                format!("down for {secs:.0} s")
            }
            Fault::Latency => {
                proxy.latency(LATENCY);
                tokio::time::sleep_until(until.into()).await;
                proxy.pass();
                format!("+{} ms per round trip for {secs:.0} s", LATENCY.as_millis())
            }
            Fault::Reset => {
                let mut reset = 0;
                while Instant::now() < until {
                    reset += proxy.reset_all();
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                format!("{reset} connections reset (RST) over {secs:.0} s")
            }
            Fault::Restart => match (
                std::env::var("INNOVA_FAULTS_PG_STOP"),
                std::env::var("INNOVA_FAULTS_PG_START"),
            ) {
                (Ok(stop), Ok(start)) if full() => {
                    sh(&stop);
                    tokio::time::sleep_until(until.into()).await;
                    sh(&start);
                    format!("postmaster stopped (fast) for {secs:.0} s, then started")
                }
                _ => {
                    let mut terminated = 0;
                    while Instant::now() < until {
                        terminated += sqlx::query_scalar::<_, i64>(
                            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                             WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
                        )
                        .fetch_one(&self.db.pool)
                        .await
                        .unwrap_or(0);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    format!("{terminated} backends terminated over {secs:.0} s")
                }
            },
        }
    }
}

/// Runs a shell command line, which must succeed.
fn sh(command: &str) {
    let status = Command::new("sh")
        .args(["-c", command])
        .status()
        .expect("sh runs");
    assert!(status.success(), "`{command}` failed: {status}");
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The operations of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `POST /attempts`.
    Attempt,
    /// `POST /attempts/solve-adhoc`.
    Adhoc,
    /// `POST /student/guides/{id}/questions/{qid}/submissions`.
    SubmissionStart,
    /// `POST /student/submissions/{id}/complete`.
    SubmissionComplete,
    /// `GET /mastery/{studentId}`.
    Mastery,
    /// `GET /student/guides`.
    Guides,
}

/// What one request got.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub op: Op,
    pub trace: String,
    pub start: Instant,
    pub end: Instant,
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    pub body: String,
    /// The client's error when no response came (a timeout, a dropped connection).
    pub transport: Option<String>,
    /// The submission a `complete` named.
    pub submission: Option<String>,
    /// What was sent (method, path, body, student), to send it again with the same trace id.
    request: (reqwest::Method, String, Option<Value>, usize),
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `data.<field>` of a success envelope.
    fn data(&self, field: &str) -> Option<String> {
        self.json()["data"][field].as_str().map(str::to_owned)
    }
}

impl Api {
    async fn send(
        &self,
        op: Op,
        student: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Outcome {
        let trace = uuid::Uuid::new_v4().to_string();
        self.send_traced(op, student, method, path, body, trace)
            .await
    }

    /// `outcome`'s request again, with its trace id (a client's retry).
    async fn resend(&self, outcome: &Outcome) -> Outcome {
        let (method, path, body, student) = outcome.request.clone();
        self.send_traced(
            outcome.op,
            student,
            method,
            &path,
            body,
            outcome.trace.clone(),
        )
        .await
    }

    async fn send_traced(
        &self,
        op: Op,
        student: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        trace: String,
    ) -> Outcome {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[student])
            .header("x-trace-id", &trace);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let sent = (method, path.to_owned(), body, student);
        let start = Instant::now();
        let (status, retry_after, body, transport) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                match response.text().await {
                    Ok(text) => (Some(status), retry_after, text, None),
                    Err(e) => (
                        Some(status),
                        retry_after,
                        String::new(),
                        Some(e.to_string()),
                    ),
                }
            }
            Err(e) => (None, None, String::new(), Some(format!("{e:?}"))),
        };
        Outcome {
            op,
            trace,
            start,
            end: Instant::now(),
            status,
            retry_after,
            body,
            transport,
            submission: None,
            request: sent,
        }
    }

    async fn attempt(&self, student: usize, topic: &str) -> Outcome {
        self.send(
            Op::Attempt,
            student,
            reqwest::Method::POST,
            "/attempts",
            Some(json!({
                "studentId": STUDENT_IDS[student], "topicCode": topic, "courseId": COURSE_ID,
                "rawSteps": [{"expression": "53 - 26", "isFinal": false},
                             {"expression": "33", "isFinal": true}],
                "expectedAnswer": 27, "studentAnswer": 33, "minuend": 53, "subtrahend": 26})),
        )
        .await
    }

    async fn mastery(&self, student: usize) -> Outcome {
        let path = format!("/mastery/{}", STUDENT_IDS[student]);
        self.send(Op::Mastery, student, reqwest::Method::GET, &path, None)
            .await
    }

    /// Starts a submission, uploads its photo (to S3, through the moto proxy) and completes it.
    /// Returns the API's answers (the upload is not one) and whether the upload failed.
    async fn submission(&self, student: usize, question: &str) -> (Vec<Outcome>, bool) {
        let path = format!("/student/guides/{GUIDE}/questions/{question}/submissions");
        let start = self
            .send(
                Op::SubmissionStart,
                student,
                reqwest::Method::POST,
                &path,
                Some(json!({"photoCount": 1})),
            )
            .await;
        let json = start.json();
        let (Some(id), Some(url)) = (
            json["data"]["submissionId"].as_str().map(str::to_owned),
            json["data"]["presignedPutUrls"][0]
                .as_str()
                .map(str::to_owned),
        ) else {
            return (vec![start], false);
        };
        let uploaded = self
            .http
            .put(url)
            .header("content-type", "image/jpeg")
            .body(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0])
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if !uploaded {
            return (vec![start], true);
        }
        let mut complete = self
            .send(
                Op::SubmissionComplete,
                student,
                reqwest::Method::POST,
                &format!("/student/submissions/{id}/complete"),
                None,
            )
            .await;
        complete.submission = Some(id);
        (vec![start, complete], false)
    }

    /// One client: random operations until `stop`.
    async fn client(self, seed: u64, stop: Arc<AtomicBool>, out: Arc<Mutex<Load>>) {
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        while !stop.load(Ordering::Relaxed) {
            let student = rng.below(STUDENT_IDS.len());
            let mut failed_upload = false;
            let outcomes = match rng.below(20) {
                0..=9 => vec![self.attempt(student, TOPICS[rng.below(TOPICS.len())]).await],
                10..=11 => vec![
                    self.send(
                        Op::Adhoc,
                        student,
                        reqwest::Method::POST,
                        "/attempts/solve-adhoc",
                        Some(
                            json!({"studentId": STUDENT_IDS[student], "problemLatex": "2x+3=7",
                                    "studentFinalAnswer": "x=2", "gradeLevel": 8}),
                        ),
                    )
                    .await,
                ],
                12..=13 => {
                    let (outcomes, failed) = self
                        .submission(student, QUESTIONS[rng.below(QUESTIONS.len())])
                        .await;
                    failed_upload = failed;
                    outcomes
                }
                14..=17 => vec![self.mastery(student).await],
                _ => vec![
                    self.send(
                        Op::Guides,
                        student,
                        reqwest::Method::GET,
                        "/student/guides",
                        None,
                    )
                    .await,
                ],
            };
            let mut load = out.lock().unwrap();
            load.outcomes.extend(outcomes);
            load.failed_uploads += usize::from(failed_upload);
        }
    }
}

/// What the clients got.
#[derive(Debug, Default)]
pub struct Load {
    pub outcomes: Vec<Outcome>,
    /// Photo uploads (to S3, not the API) that failed.
    pub failed_uploads: usize,
}

/// xorshift64: reproducible choices without a dependency.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Pieces of text an error body must never carry: causes, driver and library names.
const LEAKS: [&str; 14] = [
    "sqlx",
    "database error",
    "pool timed out",
    "error returned from database",
    "connection refused",
    "connection reset",
    "broken pipe",
    "os error",
    "io error",
    "protocol error",
    "dispatch failure",
    "mongodb",
    "postgres",
    "panicked",
];

/// One scenario's result: the table's row and what went wrong.
#[derive(Debug, Default)]
pub struct Report {
    pub title: String,
    pub fault: String,
    pub sent: usize,
    pub succeeded: usize,
    pub refused_503: usize,
    pub other: usize,
    pub half_written: usize,
    pub lost: usize,
    pub recovery: Option<f64>,
    /// Sequential requests after recovery that succeeded (none for the worker scenarios).
    pub sequential_ok: Option<usize>,
    pub details: Vec<String>,
    pub violations: Vec<String>,
}

impl Report {
    pub fn table(&self) -> String {
        let recovery = self
            .recovery
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.2}"));
        let mut out = format!(
            "\n== {} — {}\n{:>9} {:>10} {:>13} {:>13} {:>13} {:>5} {:>14} {:>11}\n{:>9} {:>10} {:>13} {:>13} {:>13} {:>5} {:>14} {:>11}\n",
            self.title,
            self.fault,
            "requests",
            "succeeded",
            "refused (503)",
            "other errors",
            "half-written",
            "lost",
            "recovered (s)",
            "sequential",
            self.sent,
            self.succeeded,
            self.refused_503,
            self.other,
            self.half_written,
            self.lost,
            recovery,
            self.sequential_ok
                .map_or_else(|| "—".to_owned(), |n| format!("{n}/{SEQUENTIAL}")),
        );
        for d in &self.details {
            out += &format!("   {d}\n");
        }
        for v in &self.violations {
            out += &format!("   VIOLATION: {v}\n");
        }
        out
    }

    /// Prints the table (and appends it to `$INNOVA_FAULTS_REPORT`), then fails on violations.
    pub fn finish(self) {
        let table = self.table();
        print!("{table}");
        if let Ok(path) = std::env::var("INNOVA_FAULTS_REPORT") {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = f.write_all(table.as_bytes());
            }
        }
        assert!(self.violations.is_empty(), "{table}");
    }
}

/// A fault under load, end to end.
pub struct Scenario {
    pub dep: Dep,
    pub fault: Fault,
}

impl Scenario {
    pub fn new(dep: Dep, fault: Fault) -> Self {
        Scenario { dep, fault }
    }

    pub async fn run(self) {
        let began = Instant::now();
        let timing = Timing::get();
        let world = World::start().await;
        let baseline = mastery_counts(&world.db.pool).await;

        let stop = Arc::new(AtomicBool::new(false));
        let load = Arc::new(Mutex::new(Load::default()));
        let clients: Vec<_> = (0..timing.clients)
            .map(|i| {
                tokio::spawn(
                    world
                        .api
                        .clone()
                        .client(i as u64 + 1, stop.clone(), load.clone()),
                )
            })
            .collect();
        tokio::time::sleep(timing.warmup).await;
        let fault_start = Instant::now();
        let fault = world.inject(self.dep, self.fault, timing.fault).await;
        let restored = Instant::now();
        tokio::time::sleep(timing.after).await;
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.await.expect("a client task");
        }
        let load = std::mem::take(&mut *load.lock().unwrap());

        let mut report = Report {
            title: format!("{}: {}", self.dep.name(), fault_title(self.fault)),
            fault: format!(
                "{fault}, under {} concurrent clients for {:.0} s",
                timing.clients,
                (timing.warmup + timing.fault + timing.after).as_secs_f64()
            ),
            ..Report::default()
        };
        report.sent = load.outcomes.len();
        report.succeeded = load.outcomes.iter().filter(|o| o.ok()).count();
        report.refused_503 = load
            .outcomes
            .iter()
            .filter(|o| o.status == Some(503))
            .count();
        report.other = report.sent - report.succeeded - report.refused_503;

        // Seconds from the dependency's return to the first success of a request sent after it;
        // else the first of the sequential requests below.
        report.recovery = load
            .outcomes
            .iter()
            .filter(|o| o.ok() && o.start >= restored)
            .map(|o| (o.end - restored).as_secs_f64())
            .reduce(f64::min);

        // The pool is not poisoned: requests one after the other all succeed.
        let mut sequential = Vec::new();
        for i in 0..SEQUENTIAL {
            let student = i % STUDENT_IDS.len();
            sequential.push(if i % 2 == 0 {
                world.api.attempt(student, "SUB").await
            } else {
                world.api.mastery(student).await
            });
        }
        report.sequential_ok = Some(sequential.iter().filter(|o| o.ok()).count());
        if report.recovery.is_none() {
            report.recovery = sequential
                .iter()
                .find(|o| o.ok())
                .map(|o| (o.end - restored).as_secs_f64());
        }

        describe(&mut report, &load, fault_start, restored);
        check_errors(&mut report, &load.outcomes);
        let mut all = load.outcomes.clone();
        all.extend(sequential.iter().cloned());
        check_rows(&mut report, &world, &all, &baseline).await;
        check_queued(&mut report, &world, &all, timing.settle).await;
        if self.dep == Dep::Mongo {
            check_telemetry(&mut report, &world, &all, timing.settle).await;
        }
        self.check_promises(&mut report, &load);
        report.details.push(format!(
            "scenario wall time: {:.1} s (server start, load, checks)",
            began.elapsed().as_secs_f64()
        ));
        if !report.violations.is_empty() {
            report
                .details
                .push(format!("server log (tail):\n{}", world.log()));
        }
        report.finish();
    }

    /// What the code promises under this fault (docs/architecture.md, "Faults").
    fn check_promises(&self, report: &mut Report, load: &Load) {
        if report.sequential_ok != Some(SEQUENTIAL) {
            report.violations.push(format!(
                "only {:?}/{SEQUENTIAL} sequential requests succeeded after recovery",
                report.sequential_ok
            ));
        }
        match report.recovery {
            Some(s) if s <= RECOVERY_BOUND.as_secs_f64() => {}
            other => report.violations.push(format!(
                "no success within {} s of the dependency's return ({other:?})",
                RECOVERY_BOUND.as_secs()
            )),
        }
        let statuses = status_counts(&load.outcomes);
        let unexpected: Vec<String> = statuses
            .iter()
            .filter(|(status, _)| match self.dep {
                // The database behind every request: failures are 503 (Retry-After) only.
                Dep::Postgres => *status != "503",
                // Queues: durably queued work answers success; photo checks answer 503.
                Dep::Moto => *status != "503",
                // Only the telemetry worker uses MongoDB: the API does not notice.
                Dep::Mongo => true,
            })
            .map(|(status, n)| format!("{status}×{n}"))
            .collect();
        if !unexpected.is_empty() {
            report.violations.push(format!(
                "failures other than the promised ones: {}",
                unexpected.join(", ")
            ));
        }
        let without_retry_after = load
            .outcomes
            .iter()
            .filter(|o| o.status == Some(503) && o.retry_after.is_none())
            .count();
        if without_retry_after > 0 {
            report
                .violations
                .push(format!("{without_retry_after} 503s without Retry-After"));
        }
        if self.dep == Dep::Moto && load.failed_uploads == 0 && self.fault == Fault::Down {
            report
                .details
                .push("no photo upload failed: the S3 outage was not exercised".into());
        }
    }
}

fn fault_title(fault: Fault) -> &'static str {
    match fault {
        Fault::Down => "down, then back",
        Fault::Latency => "500 ms latency",
        Fault::Reset => "connections reset mid-transaction",
        Fault::Restart => "restarted under load",
    }
}

/// `status×count` of every failed request (`transport` for no response).
fn status_counts(outcomes: &[Outcome]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.ok()) {
        let key = match o.status {
            Some(s) => s.to_string(),
            None => "transport".to_owned(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// The details lines: per operation, failures by status, latency during the fault.
fn describe(report: &mut Report, load: &Load, fault_start: Instant, restored: Instant) {
    let mut per_op: BTreeMap<Op, (usize, usize)> = BTreeMap::new();
    for o in &load.outcomes {
        let e = per_op.entry(o.op).or_default();
        e.0 += 1;
        e.1 += usize::from(o.ok());
    }
    let ops: Vec<String> = per_op
        .iter()
        .map(|(op, (n, ok))| format!("{op:?} {ok}/{n}"))
        .collect();
    report
        .details
        .push(format!("succeeded per operation: {}", ops.join(", ")));
    let failures = status_counts(&load.outcomes);
    if !failures.is_empty() {
        let list: Vec<String> = failures.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        report
            .details
            .push(format!("failures by status: {}", list.join(", ")));
    }
    let during: Vec<&Outcome> = load
        .outcomes
        .iter()
        .filter(|o| o.start >= fault_start && o.start < restored)
        .collect();
    if !during.is_empty() {
        let ok = during.iter().filter(|o| o.ok()).count();
        let mut ms: Vec<u128> = during
            .iter()
            .map(|o| (o.end - o.start).as_millis())
            .collect();
        ms.sort_unstable();
        report.details.push(format!(
            "during the fault: {} requests, {ok} succeeded, answer time p50 {} ms, max {} ms",
            during.len(),
            ms[ms.len() / 2],
            ms[ms.len() - 1]
        ));
    }
    let with_retry = load
        .outcomes
        .iter()
        .filter(|o| o.status == Some(503) && o.retry_after.is_some())
        .count();
    if report.refused_503 > 0 {
        report.details.push(format!(
            "503 with Retry-After: {with_retry}/{}",
            report.refused_503
        ));
    }
    let mut transport: Vec<&str> = load
        .outcomes
        .iter()
        .filter_map(|o| o.transport.as_deref())
        .collect();
    if !transport.is_empty() {
        let n = transport.len();
        transport.sort_unstable();
        transport.dedup();
        transport.truncate(3);
        report.details.push(format!(
            "requests without a (whole) answer: {n}, e.g. {}",
            transport.join(" | ")
        ));
    }
    if load.failed_uploads > 0 {
        report.details.push(format!(
            "photo uploads to S3 that failed (not API requests; their submissions not completed): {}",
            load.failed_uploads
        ));
    }
}

/// Every error body has the contract's shape and leaks nothing.
fn check_errors(report: &mut Report, outcomes: &[Outcome]) {
    let mut malformed = 0;
    let mut leaked = Vec::new();
    for o in outcomes
        .iter()
        .filter(|o| o.status.is_some_and(|s| s >= 400))
    {
        let status = o.status.unwrap();
        let body = o.json();
        let shaped = body.as_object().is_some_and(|m| {
            let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
            keys.sort_unstable();
            keys == [
                "code",
                "message",
                "path",
                "statusCode",
                "timestamp",
                "traceId",
            ]
        }) && body["statusCode"] == json!(status)
            && body["traceId"] == json!(o.trace);
        if !shaped {
            malformed += 1;
            if malformed <= 3 {
                leaked.push(format!("malformed error body ({status}): {}", o.body));
            }
            continue;
        }
        if status == 500
            && (body["message"] != json!("Internal server error")
                || body["code"] != json!("INTERNAL_ERROR"))
        {
            leaked.push(format!("a 500 that says more: {}", o.body));
        }
        let message = body["message"].to_string().to_lowercase();
        if let Some(leak) = LEAKS.iter().find(|l| message.contains(*l)) {
            leaked.push(format!("error body names `{leak}`: {}", o.body));
        }
    }
    leaked.truncate(5);
    report.violations.extend(leaked);
}

/// `student_id → Σ attempts_count` over the student's mastery rows.
async fn mastery_counts(pool: &sqlx::PgPool) -> HashMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT student_id, COALESCE(sum(attempts_count), 0)::bigint FROM student_topic_mastery
         GROUP BY student_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

fn traces(outcomes: &[Outcome], op: Op) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o.op == op)
        .map(|o| o.trace.clone())
        .collect()
}

/// Nothing half-written: every success is stored, every stored attempt is whole (its steps,
/// its retry key, its mastery step).
async fn check_rows(
    report: &mut Report,
    world: &World,
    outcomes: &[Outcome],
    baseline: &HashMap<String, i64>,
) {
    let pool = &world.db.pool;
    let mut half = Vec::new();

    // Attempts: row ⇔ retry key ⇔ two steps.
    let attempt_traces = traces(outcomes, Op::Attempt);
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT a.trace_id, a.id, a.student_id,
                (SELECT count(*) FROM attempt_steps s WHERE s.attempt_id = a.id)
         FROM attempts a WHERE a.trace_id = ANY($1)",
    )
    .bind(&attempt_traces)
    .fetch_all(pool)
    .await
    .unwrap();
    let keys: HashSet<String> =
        sqlx::query_scalar("SELECT trace_id FROM innova.attempt_requests WHERE trace_id = ANY($1)")
            .bind(&attempt_traces)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let stored: HashMap<&str, &(String, String, String, i64)> =
        rows.iter().map(|r| (r.0.as_str(), r)).collect();
    for (trace, _, _, steps) in &rows {
        if *steps != 2 {
            half.push(format!("attempt of trace {trace} has {steps} steps"));
        }
        if !keys.contains(trace) {
            half.push(format!("attempt of trace {trace} has no retry key"));
        }
    }
    for key in &keys {
        if !stored.contains_key(key.as_str()) {
            half.push(format!("retry key of trace {key} without its attempt"));
        }
    }
    let mut failed_but_committed = Vec::new();
    for o in outcomes.iter().filter(|o| o.op == Op::Attempt) {
        match (o.ok(), stored.get(o.trace.as_str())) {
            (true, None) => half.push(format!("attempt answered {:?} but not stored", o.status)),
            (true, Some(row)) if o.data("attemptId").as_deref() != Some(row.1.as_str()) => half
                .push(format!(
                    "attempt of trace {} answered another id than stored",
                    o.trace
                )),
            (false, Some(row)) => failed_but_committed.push((o, row.1.clone())),
            _ => {}
        }
    }
    // A failed request whose attempt was committed anyway (the answer to a COMMIT that went
    // through was lost): the client's retry, same trace id, gets that attempt.
    let mut retried_ok = 0;
    for (o, id) in &failed_but_committed {
        let retry = world.api.resend(o).await;
        if retry.ok() && retry.data("attemptId").as_deref() == Some(id.as_str()) {
            retried_ok += 1;
        } else {
            report.violations.push(format!(
                "attempt {id} committed under a failed answer; its retry got {:?}: {}",
                retry.status, retry.body
            ));
        }
    }
    let failed_but_committed = failed_but_committed.len();
    // Mastery: each stored attempt stepped its student's mastery once.
    let after = mastery_counts(pool).await;
    let mut per_student: HashMap<&str, i64> = HashMap::new();
    for (_, _, student, _) in &rows {
        *per_student.entry(student.as_str()).or_default() += 1;
    }
    for student in STUDENT_IDS {
        let delta =
            after.get(student).copied().unwrap_or(0) - baseline.get(student).copied().unwrap_or(0);
        let expected = per_student.get(student).copied().unwrap_or(0);
        if delta != expected {
            half.push(format!(
                "{student}: mastery stepped {delta} times for {expected} stored attempts"
            ));
        }
    }

    // Ad-hoc problems and submissions: an answered success is stored.
    let adhoc: HashSet<String> =
        sqlx::query_scalar("SELECT trace_id FROM attempts WHERE trace_id = ANY($1)")
            .bind(traces(outcomes, Op::Adhoc))
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let started: HashSet<String> =
        sqlx::query_scalar("SELECT trace_id FROM guide_submissions WHERE trace_id = ANY($1)")
            .bind(traces(outcomes, Op::SubmissionStart))
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    for o in outcomes.iter().filter(|o| o.ok()) {
        let missing = match o.op {
            Op::Adhoc => !adhoc.contains(&o.trace),
            Op::SubmissionStart => !started.contains(&o.trace),
            _ => false,
        };
        if missing {
            half.push(format!("{:?} answered success but is not stored", o.op));
        }
    }
    let completed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.op == Op::SubmissionComplete && o.ok())
        .filter_map(|o| o.submission.clone())
        .collect();
    let completed_unversioned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM guide_submissions WHERE id = ANY($1) AND solution_version IS NULL",
    )
    .bind(&completed)
    .fetch_one(pool)
    .await
    .unwrap();
    if completed_unversioned > 0 {
        half.push(format!(
            "{completed_unversioned} completed submissions without their answer-key version"
        ));
    }

    report.details.push(format!(
        "stored: {} attempts, {} ad-hoc problems, {} submissions started; failed requests whose \
         attempt was committed anyway (the answer to its COMMIT lost): {failed_but_committed}, \
         their retry (same trace id) answered that attempt: {retried_ok}",
        rows.len(),
        adhoc.len(),
        started.len()
    ));
    report.half_written += half.len();
    for h in half.iter().take(5) {
        report.violations.push(format!("half-written: {h}"));
    }
}

/// No queued work lost: every committed row that asks for work has its message in its queue,
/// and the outbox empties.
async fn check_queued(report: &mut Report, world: &World, outcomes: &[Outcome], settle: Duration) {
    let pool = &world.db.pool;
    let llm: HashSet<String> = sqlx::query_scalar(
        "SELECT id FROM attempts WHERE trace_id = ANY($1) AND status::text = 'PENDING'",
    )
    .bind(traces(outcomes, Op::Attempt))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let adhoc: HashSet<String> =
        sqlx::query_scalar("SELECT id FROM attempts WHERE trace_id = ANY($1)")
            .bind(traces(outcomes, Op::Adhoc))
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let graded: HashSet<String> = sqlx::query_scalar(
        "SELECT id FROM guide_submissions WHERE guide_id = $1 AND solution_version IS NOT NULL",
    )
    .bind(GUIDE)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let queues = [
        (&world.llm_queue, "id", llm),
        (&world.adhoc_queue, "attempt_id", adhoc),
        (&world.grade_queue, "guide_submission_id", graded),
    ];
    let expected: usize = queues.iter().map(|q| q.2.len()).sum();
    let sqs = services::sqs().await;
    let mut seen: Vec<HashMap<String, usize>> = vec![HashMap::new(); queues.len()];
    let deadline = Instant::now() + settle;
    let mut outbox: i64;
    loop {
        let mut received = 0;
        for (i, (queue, key, _)) in queues.iter().enumerate() {
            let out = sqs
                .receive_message()
                .queue_url(&queue.url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive from moto");
            for m in out.messages.unwrap_or_default() {
                received += 1;
                let body: Value =
                    serde_json::from_str(m.body.as_deref().unwrap_or_default()).unwrap_or_default();
                let id = body[*key].as_str().unwrap_or_default().to_owned();
                *seen[i].entry(id).or_default() += 1;
                if let Some(handle) = m.receipt_handle {
                    let _ = sqs
                        .delete_message()
                        .queue_url(&queue.url)
                        .receipt_handle(handle)
                        .send()
                        .await;
                }
            }
        }
        outbox = sqlx::query_scalar("SELECT count(*) FROM innova.outbox")
            .fetch_one(pool)
            .await
            .unwrap();
        let all_seen = queues
            .iter()
            .zip(&seen)
            .all(|(q, s)| q.2.iter().all(|id| s.contains_key(id)));
        if (all_seen && outbox == 0) || Instant::now() > deadline {
            break;
        }
        if received == 0 {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let mut lost = 0;
    let mut duplicates = 0;
    let mut phantom = 0;
    for ((_, _, wanted), got) in queues.iter().zip(&seen) {
        lost += wanted.iter().filter(|id| !got.contains_key(*id)).count();
        duplicates += got.values().map(|n| n - 1).sum::<usize>();
        phantom += got.keys().filter(|id| !wanted.contains(*id)).count();
    }
    report.lost += lost;
    report.details.push(format!(
        "queued work: {expected} messages owed (llm-classify {}, adhoc-solve {}, submission-grade {}), \
         {} delivered, {duplicates} duplicates (at least once), {outbox} left in the outbox",
        queues[0].2.len(),
        queues[1].2.len(),
        queues[2].2.len(),
        expected - lost,
    ));
    if lost > 0 {
        report.violations.push(format!(
            "{lost} committed messages never reached their queue ({outbox} still in the outbox)"
        ));
    }
    if phantom > 0 {
        report.half_written += phantom;
        report.violations.push(format!(
            "{phantom} messages name rows that were never committed"
        ));
    }
}

/// Telemetry (MongoDB): every stored attempt's event reaches the store once MongoDB is back (the
/// embedded attempt stream redelivers what the worker reported failed).
async fn check_telemetry(
    report: &mut Report,
    world: &World,
    outcomes: &[Outcome],
    settle: Duration,
) {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM attempts WHERE trace_id = ANY($1)")
        .bind(traces(outcomes, Op::Attempt))
        .fetch_all(&world.db.pool)
        .await
        .unwrap();
    let store = MongoTelemetry::new(world.mongo_uri.clone());
    let deadline = Instant::now() + settle;
    let mut missing: Vec<String> = ids.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for id in missing {
            if !matches!(store.attempt_event(&id).await, Ok(Some(_))) {
                still.push(id);
            }
        }
        missing = still;
        if !missing.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    report.lost += missing.len();
    report.details.push(format!(
        "telemetry: {} of {} stored attempts have their event in MongoDB",
        ids.len() - missing.len(),
        ids.len()
    ));
    if !missing.is_empty() {
        report.violations.push(format!(
            "{} attempt events never reached MongoDB",
            missing.len()
        ));
    }
}
