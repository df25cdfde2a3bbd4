//! Every adapter against a dependency that hangs (docs/architecture.md, "Timeouts"): a TCP
//! endpoint that accepts connections and never answers, or a wiremock server that answers too
//! late. Each call must fail with the adapter's documented error, through the production code
//! path and (unless said otherwise) the production timeout. `within` only guards against a hang:
//! its bound is the timeout plus a generous margin, never a tight wall-clock assertion (the
//! machine may be loaded).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use innova_core::aws::{self, Aws};
use innova_core::config::{
    AwsSettings, Buckets, GeminiSettings, QueueUrls, ResendSettings, SupabaseSettings,
};
use innova_core::db::{self, DbError, PoolConfig};
use innova_core::identity::jwks::{HttpJwks, JwksSource};
use innova_core::identity::supabase::SupabaseProvider;
use innova_core::identity::{self, IdentityError, IdentityProvider};
use innova_core::killswitch::{Killswitch, Killswitches, SsmKillswitches, SwitchState};
use innova_core::llm::{self, AnthropicClassifier, LlmClassifier, LlmError, RetryPolicy};
use innova_core::mail::{self, Email, Mailer, ResendMailer};
use innova_core::objects::{Bucket, ObjectError, ObjectStore, S3Store};
use innova_core::ocr::{self, GeminiOcr, MathOcr, OcrError};
use innova_core::queue::{Queue, QueueError, QueueName, SqsQueue};
use innova_core::telemetry::{
    self, AttemptEventDoc, EventSummary, MONGO_OPERATION_TIMEOUT, MONGO_SERVER_SELECTION_TIMEOUT,
    MongoTelemetry, TelemetryError, TelemetryStore,
};
use tokio::net::TcpListener;

/// Added to a timeout for the guard: scheduling on a loaded 2-core machine, never the test.
const MARGIN: Duration = Duration::from_secs(20);

/// API Gateway's limit, which every call on the API's path must stay under.
const API_GATEWAY_LIMIT: Duration = Duration::from_secs(29);
/// The workers' Lambda timeouts (serverless.yml): 60 s, the LLM classifier 120 s.
const WORKER_LIMIT: Duration = Duration::from_secs(60);
const LLM_WORKER_LIMIT: Duration = Duration::from_secs(120);

/// A TCP endpoint that accepts every connection and never sends a byte (connections stay open
/// until the test ends).
struct Silent {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        Silent { port, task }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs `call`, failing the test if it has not finished after `timeout` + [`MARGIN`].
async fn within<T>(timeout: Duration, what: &str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(timeout + MARGIN, call)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {:?}", timeout + MARGIN));
    eprintln!("{what}: gave up after {:?}", started.elapsed());
    out
}

fn aws_at(endpoint: &Silent) -> Arc<Aws> {
    Arc::new(Aws::new(AwsSettings {
        region: "us-east-1".into(),
        endpoint_url: Some(url::Url::parse(&endpoint.url("http")).unwrap()),
    }))
}

fn attempt_doc(attempt_id: &str) -> AttemptEventDoc {
    let now = telemetry::now();
    AttemptEventDoc {
        attempt_id: attempt_id.into(),
        student_id: "seed-student-001".into(),
        classroom_id: None,
        trace_id: "trace-1".into(),
        events: vec![],
        summary: EventSummary::default(),
        raw_steps: vec![],
        archived_to_s3_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The table of docs/architecture.md, as the code has it: every call on the API's path ends
/// before API Gateway's 29 s, every worker's call before its Lambda timeout.
#[test]
fn every_timeout_is_below_its_callers_limit() {
    let api_path = [
        (
            "PostgreSQL acquire + one statement",
            db::ACQUIRE_TIMEOUT + db::STATEMENT_TIMEOUT,
        ),
        ("AWS call", aws::OPERATION_TIMEOUT),
        ("SSM killswitch read", SsmKillswitches::READ_TIMEOUT),
        ("Gemini request", ocr::GEMINI_TIMEOUT),
        ("Resend request", mail::REQUEST_TIMEOUT),
        ("identity request", identity::HTTP_REQUEST_TIMEOUT),
    ];
    for (what, timeout) in api_path {
        assert!(timeout < API_GATEWAY_LIMIT, "{what}: {timeout:?}");
    }
    let worker_path = [
        ("MongoDB call", MONGO_OPERATION_TIMEOUT),
        (
            "S3 object body",
            innova_core::objects::S3_BODY_TIMEOUT + aws::OPERATION_TIMEOUT,
        ),
    ];
    for (what, timeout) in worker_path {
        assert!(timeout < WORKER_LIMIT, "{what}: {timeout:?}");
    }
    let policy = RetryPolicy::default();
    assert_eq!(policy.budget, llm::CALL_BUDGET);
    assert!(policy.budget + db::ACQUIRE_TIMEOUT + db::STATEMENT_TIMEOUT < LLM_WORKER_LIMIT);
    assert!(policy.timeout <= policy.budget);
    // Connecting is always bounded below the request.
    assert!(aws::CONNECT_TIMEOUT < aws::ATTEMPT_TIMEOUT);
    assert!(aws::ATTEMPT_TIMEOUT < aws::OPERATION_TIMEOUT);
    assert!(MONGO_SERVER_SELECTION_TIMEOUT < MONGO_OPERATION_TIMEOUT);
}

/// A PostgreSQL that accepts the connection and never speaks: the request's query fails with
/// `DbError::Unavailable` (503) after the pool's acquire timeout. The pool is built as the API's
/// and the workers' are (`connect_lazy` with the runtime's `PoolConfig`).
#[tokio::test]
async fn postgres_acquire_gives_up_on_a_server_that_never_answers() {
    let server = Silent::start().await;
    let url = format!("{}/innova", server.url("postgres"));
    let pool = db::connect_lazy(&url, &PoolConfig::default()).unwrap();
    let err = within(db::ACQUIRE_TIMEOUT, "PostgreSQL acquire", async {
        sqlx::query("SELECT 1").execute(&pool).await.unwrap_err()
    })
    .await;
    let err = DbError::from(err);
    assert!(matches!(err, DbError::Unavailable(_)), "{err:?}");
    assert!(!err.is_client_error());
}

/// `statement_timeout` reaches the server through the production path (`connect_with` and a
/// `PoolConfig`): the production value is on every connection, and a statement that runs longer
/// than a (test-shortened) timeout is cancelled as `DbError::Unavailable`.
#[tokio::test]
async fn postgres_cancels_a_statement_past_its_statement_timeout() {
    let url = innova_testkit::admin_url();

    let production = db::connect_with(&url, &PoolConfig::default())
        .await
        .unwrap();
    let (value,): (String,) = sqlx::query_as("SHOW statement_timeout")
        .fetch_one(&production)
        .await
        .unwrap();
    assert_eq!(value, "10s");
    production.close().await;

    let config = PoolConfig {
        statement_timeout: Some(Duration::from_millis(300)),
        ..PoolConfig::default()
    };
    let pool = db::connect_with(&url, &config).await.unwrap();
    let err = within(Duration::from_millis(300), "pg_sleep(60)", async {
        sqlx::query("SELECT pg_sleep(60)")
            .execute(&pool)
            .await
            .unwrap_err()
    })
    .await;
    let err = DbError::from(err);
    assert!(matches!(err, DbError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    // The connection survives its cancelled statement.
    sqlx::query("SELECT 1").execute(&pool).await.unwrap();

    let maintenance = db::connect_with(&url, &PoolConfig::maintenance())
        .await
        .unwrap();
    let (value,): (String,) = sqlx::query_as("SHOW statement_timeout")
        .fetch_one(&maintenance)
        .await
        .unwrap();
    assert_eq!(value, "0", "migrations run without one");
}

/// An SQS endpoint that never answers: `QueueError::Send` once the SDK's operation timeout
/// passes (the API's publish after its commit leaves the message in the outbox).
#[tokio::test]
async fn sqs_send_gives_up_on_an_endpoint_that_never_answers() {
    let server = Silent::start().await;
    let queue = SqsQueue::new(
        aws_at(&server),
        QueueUrls {
            llm_classify: Some(format!("{}/000000000000/q", server.url("http"))),
            ..QueueUrls::default()
        },
    );
    let err = within(aws::OPERATION_TIMEOUT, "SQS SendMessage", async {
        queue
            .send(QueueName::LlmClassify, "{}".into(), None)
            .await
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, QueueError::Send { .. }), "{err}");
}

/// An S3 endpoint that never answers: `ObjectError::Storage` once the operation timeout passes
/// (for an existence check too).
#[tokio::test]
async fn s3_get_gives_up_on_an_endpoint_that_never_answers() {
    let server = Silent::start().await;
    let store = S3Store::new(
        aws_at(&server),
        Buckets {
            ocr_uploads: Some("uploads".into()),
            ..Buckets::default()
        },
    );
    let err = within(aws::OPERATION_TIMEOUT, "S3 GetObject", async {
        store
            .get(Bucket::OcrUploads, "uploads/s/a.jpg")
            .await
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, ObjectError::Storage(_)), "{err}");
    let err = within(aws::OPERATION_TIMEOUT, "S3 PutObject", async {
        store
            .put(
                Bucket::OcrUploads,
                "uploads/s/b.jpg",
                Bytes::from_static(b"x"),
                None,
            )
            .await
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, ObjectError::Storage(_)), "{err}");
    // An existence check that gets no answer is an error, not a "no such object" (which the
    // photo routes would turn into a 400 telling the client to upload again).
    let err = within(aws::OPERATION_TIMEOUT, "S3 HeadObject", async {
        store
            .exists(Bucket::OcrUploads, "uploads/s/a.jpg")
            .await
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, ObjectError::Storage(_)), "{err}");
}

/// An SSM endpoint that never answers: the killswitch reads `Unknown` (fail-open: the stage
/// runs) after its read timeout, shorter than the SDK's.
#[tokio::test]
async fn ssm_killswitch_read_gives_up_on_an_endpoint_that_never_answers() {
    let server = Silent::start().await;
    let switches = SsmKillswitches::new(aws_at(&server), SsmKillswitches::DEFAULT_TTL);
    let state = within(SsmKillswitches::READ_TIMEOUT, "SSM GetParameter", async {
        switches.state(Killswitch::Ocr).await
    })
    .await;
    assert_eq!(state, SwitchState::Unknown);
}

/// A MongoDB that accepts connections and never answers: `TelemetryError::Unavailable` (the
/// worker reports the records failed, SQS redelivers them) within the per-call timeout, the
/// first connection and index creation included; a batch costs one timeout, not one per record.
#[tokio::test]
async fn mongodb_calls_give_up_on_a_server_that_never_answers() {
    let server = Silent::start().await;
    let store = MongoTelemetry::new(format!("{}/innova", server.url("mongodb")));
    let err = within(MONGO_OPERATION_TIMEOUT, "MongoDB insert", async {
        store
            .record_attempt_event(&attempt_doc("a-1"))
            .await
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, TelemetryError::Unavailable(_)), "{err}");

    let docs: Vec<_> = (0..5).map(|i| attempt_doc(&format!("a-{i}"))).collect();
    let results = within(MONGO_OPERATION_TIMEOUT, "MongoDB batch of 5", async {
        store.record_attempt_events(&docs).await
    })
    .await;
    assert_eq!(results.len(), 5);
    for r in results {
        assert!(matches!(r, Err(TelemetryError::Unavailable(_))), "{r:?}");
    }
}

/// Anthropic answering later than the call's budget: `LlmError::Unavailable` (the worker lets the
/// records be redelivered) when the budget runs out, whatever the retries left. The budget is
/// shortened for the test; the production one is checked against the worker's limit above.
#[tokio::test]
async fn anthropic_gives_up_when_the_calls_budget_runs_out() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
        .mount(&server)
        .await;
    let settings = innova_core::config::AnthropicSettings {
        api_key: "sk-test".into(),
        model: "claude-test".into(),
        base_url: url::Url::parse(&server.uri()).unwrap(),
    };
    let budget = Duration::from_millis(500);
    let classifier = AnthropicClassifier::new(
        &settings,
        RetryPolicy {
            budget,
            ..RetryPolicy::default()
        },
    );
    let request = llm::ClassifyRequest {
        subdomain_code: None,
        catalog: vec![],
        attempts: vec![],
    };
    let err = within(budget, "Anthropic call", async {
        classifier.classify(&request).await.unwrap_err()
    })
    .await;
    assert!(matches!(err, LlmError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("budget"), "{err}");
}

/// Gemini that never answers: `OcrError::Unavailable("timed out")` (503 on the API's photo
/// routes; a failed invocation, retried by S3, in the OCR worker). The request timeout is
/// shortened for the test (`with_timeout`, what `new` calls with the production value).
#[tokio::test]
async fn gemini_gives_up_on_a_server_that_never_answers() {
    let server = Silent::start().await;
    let settings = GeminiSettings {
        api_key: "AIza-test-key".into(),
        model: "gemini-2.5-flash".into(),
        base_url: url::Url::parse(&server.url("http")).unwrap(),
    };
    let timeout = Duration::from_secs(1);
    let ocr = GeminiOcr::with_timeout(&settings, timeout);
    let err = within(timeout, "Gemini generateContent", async {
        ocr.extract(Bytes::from_static(b"x"), "image/jpeg")
            .await
            .unwrap_err()
    })
    .await;
    assert!(
        matches!(err, OcrError::Unavailable(ref m) if m == "timed out"),
        "{err}"
    );
}

/// Resend that never answers: a `MailError` after the request timeout (the forgot-password
/// route logs it and answers as always).
#[tokio::test]
async fn resend_gives_up_on_a_server_that_never_answers() {
    let server = Silent::start().await;
    let mailer = ResendMailer::new(ResendSettings {
        api_key: "re_test".into(),
        from_email: "no-reply@innova.test".into(),
        base_url: url::Url::parse(&server.url("http")).unwrap(),
    })
    .unwrap();
    let email = Email {
        to: "a@innova.test".into(),
        subject: "s".into(),
        html: "<p>h</p>".into(),
        text: "t".into(),
    };
    let err = within(mail::REQUEST_TIMEOUT, "Resend POST /emails", async {
        mailer.send(&email).await.unwrap_err()
    })
    .await;
    assert!(err.to_string().ends_with("timed out"), "{err}");
}

/// Supabase Auth and its JWKS that never answer: the JWKS fetch fails (a token whose key is not
/// cached is then a 401) and a grant is `IdentityError::Unavailable` (503), each within the
/// identity client's request timeout. Both clients are the production one (`http_client`).
#[tokio::test]
async fn identity_calls_give_up_on_a_provider_that_never_answers() {
    let server = Silent::start().await;
    let jwks = HttpJwks::new(
        identity::http_client().unwrap(),
        format!("{}/auth/v1/.well-known/jwks.json", server.url("http")),
    );
    let provider = SupabaseProvider::new(
        identity::http_client().unwrap(),
        SupabaseSettings {
            url: url::Url::parse(&server.url("http")).unwrap(),
            service_role_key: "service-role".into(),
            anon_key: None,
        },
    );
    let (keys, grant) = within(identity::HTTP_REQUEST_TIMEOUT, "JWKS and grant", async {
        tokio::join!(
            jwks.fetch(),
            provider.password_grant("a@innova.test", "secret")
        )
    })
    .await;
    assert!(keys.is_err(), "{keys:?}");
    assert!(
        matches!(grant, Err(IdentityError::Unavailable(_))),
        "{:?}",
        grant.map(|_| ())
    );
}
