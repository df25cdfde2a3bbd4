//! Spawning the API for a test: a database of its own (`innova-testkit`), the server on a
//! random port, a client.

use std::sync::OnceLock;

use innova_api_server::server::RunningApi;
use innova_core::config::Config;
use innova_testkit::TestDb;

/// An allowed browser origin in every test server's CORS configuration.
pub const ALLOWED_ORIGIN: &str = "http://allowed.example";

pub struct TestApp {
    pub base_url: String,
    pub client: innova_api_client::Client,
    /// For what the contract cannot express (unknown routes, preflights, raw bodies).
    pub http: reqwest::Client,
    pub api: RunningApi,
    /// The server's database (None when spawned against an arbitrary URL).
    pub db: Option<TestDb>,
    /// The server's configuration.
    pub config: Config,
    pub _data_dir: TempDir,
}

impl TestApp {
    /// A client sending `Authorization: Bearer <token>` on every request.
    pub fn client_with_token(&self, token: &str) -> innova_api_client::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client");
        innova_api_client::Client::new_with_client(&self.base_url, http)
    }

    /// An access token of the embedded provider for the user with this email (as `innova
    /// token` prints it).
    pub async fn token_for(&self, email: &str) -> String {
        let creds = innova_core::db::accounts::credentials_by_email(self.pool(), email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {email}"));
        let key =
            innova_core::identity::keys::SigningKey::load_or_create(&self.config.data_dir).unwrap();
        let provider = innova_core::identity::embedded::EmbeddedProvider::new(
            self.pool().clone(),
            key,
            innova_core::identity::embedded_issuer(&self.config),
        );
        provider.access_token_for(&creds, 3600).await.unwrap()
    }

    /// A generated client authenticated as the user with this email.
    pub async fn client_for(&self, email: &str) -> innova_api_client::Client {
        let token = self.token_for(email).await;
        self.client_with_token(&token)
    }

    /// A raw request with the bearer token of the user with this email.
    pub async fn request_as(
        &self,
        email: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let token = self.token_for(email).await;
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token)
    }

    /// Rows in a table of the server's database.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(self.pool())
            .await
            .unwrap()
    }

    /// The pool of the server's database.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.db.as_ref().expect("spawned with a test database").pool
    }
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

/// One embedded-provider key per test process: generating RSA keys is slow in debug builds,
/// so each server's data directory gets a copy of this one instead of making its own.
pub fn embedded_key_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| innova_core::identity::keys::generate_rsa_pem().expect("an RSA key"))
}

/// Spawns the API against `database_url` with `extra` variables on top of the test defaults.
pub async fn spawn_with(database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    spawn_inner(database_url.to_owned(), None, extra).await
}

/// Spawns the API on a database of its own with the migrated schema and no rows.
pub async fn spawn() -> TestApp {
    let db = innova_testkit::fresh_db().await;
    spawn_inner(db.url.clone(), Some(db), &[]).await
}

/// Spawns the API on a database of its own with the demo data (data-model.md §5).
pub async fn spawn_seeded() -> TestApp {
    spawn_seeded_with(&[]).await
}

/// [`spawn_seeded`] with extra variables.
pub async fn spawn_seeded_with(extra: &[(&str, &str)]) -> TestApp {
    let db = innova_testkit::seeded_db().await;
    spawn_inner(db.url.clone(), Some(db), extra).await
}

/// [`spawn_seeded_with`], the server's queue port wrapped by `wrap` (given the configured one
/// and the server's database URL): a test watches or breaks what the use cases publish.
pub async fn spawn_seeded_wrapping_queue(
    extra: &[(&str, &str)],
    wrap: impl FnOnce(
        std::sync::Arc<dyn innova_core::queue::Queue>,
        &str,
    ) -> std::sync::Arc<dyn innova_core::queue::Queue>
    + 'static,
) -> TestApp {
    let db = innova_testkit::seeded_db().await;
    spawn_inner_with(db.url.clone(), Some(db), extra, Some(Box::new(wrap))).await
}

type QueueWrap = Box<
    dyn FnOnce(
        std::sync::Arc<dyn innova_core::queue::Queue>,
        &str,
    ) -> std::sync::Arc<dyn innova_core::queue::Queue>,
>;

async fn spawn_inner(database_url: String, db: Option<TestDb>, extra: &[(&str, &str)]) -> TestApp {
    spawn_inner_with(database_url, db, extra, None).await
}

async fn spawn_inner_with(
    database_url: String,
    db: Option<TestDb>,
    extra: &[(&str, &str)],
    wrap: Option<QueueWrap>,
) -> TestApp {
    let data_dir = TempDir::new();
    let key_file = data_dir.0.join(innova_core::identity::keys::KEY_FILE);
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    std::fs::write(&key_file, embedded_key_pem()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    // The server's own address is its public URL: signed local-object URLs and the embedded
    // issuer point at it.
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let mut vars: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", &database_url),
        ("CORS_ORIGINS", ALLOWED_ORIGIN),
        ("INNOVA_DATA_DIR", data_dir.0.to_str().unwrap()),
        ("PUBLIC_API_URL", &base_url),
    ];
    vars.extend_from_slice(extra);
    let config = Config::from_vars(vars).expect("test configuration is valid");
    let mut context =
        innova_api_server::context::ApiContext::new(config.clone()).expect("the context builds");
    if let Some(wrap) = wrap {
        context.app.services.queue = wrap(context.app.services.queue.clone(), &database_url);
    }
    let api = innova_api_server::server::serve_context(context, listener)
        .await
        .expect("the API starts");
    TestApp {
        client: innova_api_client::Client::new(&base_url),
        http: reqwest::Client::new(),
        base_url,
        api,
        db,
        config,
        _data_dir: data_dir,
    }
}

/// The second course of the two-course world: taught by teacher B, with student B (ACTIVE in it
/// only) and parent B (an unconfirmed link to student 1).
pub const COURSE_B: &str = "test-course-b";
pub const TEACHER_B: &str = "test-teacher-b";
pub const STUDENT_B: &str = "test-student-b";
pub const PARENT_B: &str = "test-parent-b";
pub const TEACHER_B_EMAIL: &str = "teacher.b@example.com";
pub const STUDENT_B_EMAIL: &str = "student.b@example.com";
pub const PARENT_B_EMAIL: &str = "parent.b@example.com";

/// The demo data (course A: the demo teacher, students 1–5 ACTIVE, the demo parent confirmed
/// for student 1) plus course B, taught by teacher B, with student B ACTIVE in it only, and
/// parent B with an **unconfirmed** link to student 1. Insert it with `.insert(pool)`.
pub fn two_courses() -> innova_testkit::World {
    use innova_core::db::seed::STUDENT_IDS;
    use innova_testkit::world::Link;
    innova_testkit::World::demo()
        .teacher(TEACHER_B, TEACHER_B_EMAIL)
        .student(STUDENT_B, STUDENT_B_EMAIL)
        .parent(PARENT_B, PARENT_B_EMAIL)
        .course(COURSE_B, "8° B")
        .taught_by(COURSE_B, TEACHER_B)
        .enroll(COURSE_B, STUDENT_B)
        .parent_of(PARENT_B, STUDENT_IDS[0], Link::Unconfirmed)
}

pub use innova_testkit::services::{
    TestQueue as MotoQueue, create_queue as moto_queue, receive_event, required_env,
    sqs as moto_sqs,
};

/// A request as the user with this email, with an optional JSON body: the status and the body
/// (`null` when it is not JSON).
pub async fn send_as(
    app: &TestApp,
    who: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = app.request_as(who, method, path).await;
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status(),
        resp.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// The `message` of an error body as one string (it may be a list).
pub fn message(body: &serde_json::Value) -> String {
    match &body["message"] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the outbox relay of the server now, as the scheduled relay would once the rows' grace
/// has passed (every row is made due first).
pub async fn relay_outbox(app: &TestApp) -> innova_app::outbox::RelayReport {
    // A second back: the column keeps milliseconds, and a value rounded up would not be due yet.
    sqlx::query(
        "UPDATE innova.outbox SET next_attempt_at = CURRENT_TIMESTAMP - interval '1 second'",
    )
    .execute(app.pool())
    .await
    .unwrap();
    innova_app::outbox::relay(app.api.app(), 1000)
        .await
        .unwrap()
}
