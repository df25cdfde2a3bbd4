//! `innova seed-auth` against a wiremock fake of GoTrue's admin API (the binary itself, run as
//! the seed-prod workflow runs it): creates the demo users on an empty project, changes nothing
//! on a second run, fixes a wrong role, and sends nothing without `ALLOW_SEED=1` or its variables;
//! an email already held under another id fails that user only; `--reset-passwords`.

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::{Arc, Mutex};

use innova_core::db::seed::DEMO_USERS;
use serde_json::{Value, json};
use tokio::process::Command;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SERVICE_ROLE_KEY: &str = "test-service-role-key-do-not-print";
const PASSWORD: &str = "demo-password-do-not-print";

type Users = Arc<Mutex<BTreeMap<String, Value>>>;

/// A Supabase project's admin users API: `GET`/`PUT /admin/users/{id}`, `POST /admin/users`.
struct FakeGoTrue {
    server: MockServer,
    users: Users,
}

struct Admin(Users);

fn error(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": status, "error_code": code, "msg": msg}))
}

/// GoTrue merges the keys of `app_metadata`/`user_metadata` on update.
fn merge(into: &mut Value, from: &Value) {
    if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in from {
            into.insert(k.clone(), v.clone());
        }
    }
}

impl Respond for Admin {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        if header("apikey") != SERVICE_ROLE_KEY
            || header("authorization") != format!("Bearer {SERVICE_ROLE_KEY}")
        {
            return error(
                401,
                "no_authorization",
                "This endpoint requires a valid service role key",
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let route = req.url.path().trim_start_matches("/auth/v1");
        let mut users = self.0.lock().unwrap();
        match (req.method.as_str(), route.strip_prefix("/admin/users")) {
            ("POST", Some("")) => {
                let email = body["email"].as_str().unwrap_or_default().to_lowercase();
                if users.values().any(|u| u["email"] == json!(email)) {
                    return error(
                        422,
                        "email_exists",
                        "A user with this email address has already been registered",
                    );
                }
                let id = body["id"].as_str().unwrap_or_default().to_owned();
                if id.is_empty() || users.contains_key(&id) {
                    return error(400, "validation_failed", "test fake expects a new fixed id");
                }
                if body["email_confirm"] != json!(true) || body["password"].as_str().is_none() {
                    return error(400, "validation_failed", "test fake expects email_confirm");
                }
                let user = json!({
                    "id": id, "aud": "authenticated", "role": "authenticated", "email": email,
                    "email_confirmed_at": "2026-01-01T00:00:00Z",
                    "app_metadata": body["app_metadata"], "user_metadata": body["user_metadata"],
                    "password": body["password"],
                });
                users.insert(id, user.clone());
                ResponseTemplate::new(200).set_body_json(user)
            }
            (method, Some(rest)) if rest.starts_with('/') => {
                let id = &rest[1..];
                let Some(user) = users.get_mut(id) else {
                    return error(404, "user_not_found", "User not found");
                };
                match method {
                    "GET" => ResponseTemplate::new(200).set_body_json(user.clone()),
                    "PUT" => {
                        if let Some(email) = body["email"].as_str() {
                            user["email"] = json!(email);
                        }
                        if body["email_confirm"] == json!(true) {
                            user["email_confirmed_at"] = json!("2026-01-02T00:00:00Z");
                        }
                        if let Some(p) = body.get("password") {
                            user["password"] = p.clone();
                        }
                        merge(&mut user["app_metadata"], &body["app_metadata"]);
                        merge(&mut user["user_metadata"], &body["user_metadata"]);
                        ResponseTemplate::new(200).set_body_json(user.clone())
                    }
                    _ => error(405, "method_not_allowed", "method not allowed"),
                }
            }
            _ => error(404, "not_found", "no route"),
        }
    }
}

impl FakeGoTrue {
    async fn start() -> Self {
        let server = MockServer::start().await;
        let users = Users::default();
        Mock::given(path_regex("^/auth/v1/admin/users(/[^/]+)?$"))
            .respond_with(Admin(users.clone()))
            .mount(&server)
            .await;
        FakeGoTrue { server, users }
    }

    /// The project's users, by id.
    fn users(&self) -> BTreeMap<String, Value> {
        self.users.lock().unwrap().clone()
    }

    fn put_user(&self, user: Value) {
        let id = user["id"].as_str().unwrap().to_owned();
        self.users.lock().unwrap().insert(id, user);
    }

    /// `(method, path)` of every request received so far.
    async fn requests(&self) -> Vec<(String, String)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| (r.method.to_string(), r.url.path().to_owned()))
            .collect()
    }

    /// The variables that point `innova seed-auth` at this project.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ALLOW_SEED", "1".into()),
            ("SUPABASE_URL", self.server.uri()),
            ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_ROLE_KEY.into()),
            ("SEED_DEMO_PASSWORD", PASSWORD.into()),
        ]
    }
}

async fn seed_auth(vars: &[(&str, String)]) -> Output {
    seed_auth_with(&[], vars).await
}

async fn seed_auth_with(args: &[&str], vars: &[(&str, String)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_innova"))
        .arg("seed-auth")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .await
        .expect("innova runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(PASSWORD), "the password is printed: {all}");
    assert!(!all.contains(SERVICE_ROLE_KEY), "the key is printed: {all}");
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "innova seed-auth failed:\n{}{}",
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The line printed for this demo user.
fn line<'a>(stdout: &'a str, email: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{email} ")))
        .unwrap_or_else(|| panic!("no line for {email} in:\n{stdout}"))
}

fn is_write(request: &(String, String)) -> bool {
    request.0 != "GET"
}

#[tokio::test]
async fn creates_every_demo_user_on_an_empty_project() {
    let fake = FakeGoTrue::start().await;
    let out = seed_auth(&fake.env()).await;
    assert_success(&out);
    let printed = stdout(&out);
    assert_eq!(printed.lines().count(), DEMO_USERS.len(), "{printed}");

    let users = fake.users();
    assert_eq!(users.len(), DEMO_USERS.len());
    for demo in &DEMO_USERS {
        assert!(line(&printed, demo.email).ends_with(&format!("created (role {})", demo.role)));
        let u = &users[demo.supabase_uid];
        assert_eq!(u["email"], json!(demo.email));
        assert_eq!(u["app_metadata"]["role"], json!(demo.role));
        assert_eq!(u["app_metadata"]["provider"], json!("email"));
        assert_eq!(u["user_metadata"]["display_name"], json!(demo.display_name));
        assert!(
            u["user_metadata"].get("role").is_none(),
            "role only in app_metadata"
        );
        assert_eq!(u["password"], json!(PASSWORD));
    }
    let creates = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r.0 == "POST" && r.1 == "/auth/v1/admin/users")
        .count();
    assert_eq!(creates, DEMO_USERS.len());
}

#[tokio::test]
async fn a_second_run_changes_nothing() {
    let fake = FakeGoTrue::start().await;
    assert_success(&seed_auth(&fake.env()).await);
    let before = fake.users();
    let sent_before = fake.requests().await.len();

    let out = seed_auth(&fake.env()).await;
    assert_success(&out);
    let printed = stdout(&out);
    for demo in &DEMO_USERS {
        assert!(
            line(&printed, demo.email).ends_with(": unchanged"),
            "{printed}"
        );
    }
    let second: Vec<_> = fake.requests().await.split_off(sent_before);
    assert_eq!(second.len(), DEMO_USERS.len(), "one look-up per user");
    assert!(!second.iter().any(is_write), "{second:?}");
    assert_eq!(fake.users(), before);
}

#[tokio::test]
async fn a_user_with_a_wrong_role_is_updated() {
    let fake = FakeGoTrue::start().await;
    let teacher = DEMO_USERS.iter().find(|u| u.role == "teacher").unwrap();
    fake.put_user(json!({
        "id": teacher.supabase_uid, "email": teacher.email,
        "email_confirmed_at": "2025-01-01T00:00:00Z",
        "app_metadata": {"provider": "email", "providers": ["email"], "role": "student"},
        "user_metadata": {"display_name": teacher.display_name},
        "password": "the-old-password",
    }));

    let out = seed_auth(&fake.env()).await;
    assert_success(&out);
    let printed = stdout(&out);
    assert!(
        line(&printed, teacher.email).ends_with(": updated (role student -> teacher)"),
        "{printed}"
    );
    let users = fake.users();
    let u = &users[teacher.supabase_uid];
    assert_eq!(u["app_metadata"]["role"], json!("teacher"));
    assert_eq!(u["app_metadata"]["provider"], json!("email"), "merged");
    assert_eq!(
        u["password"],
        json!("the-old-password"),
        "password untouched"
    );
    let puts: Vec<_> = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r.0 == "PUT")
        .collect();
    assert_eq!(
        puts,
        vec![(
            "PUT".to_owned(),
            format!("/auth/v1/admin/users/{}", teacher.supabase_uid)
        )]
    );
    // The others were created.
    assert_eq!(users.len(), DEMO_USERS.len());
}

#[tokio::test]
async fn refuses_without_allow_seed_and_sends_nothing() {
    let fake = FakeGoTrue::start().await;
    for allow in [None, Some("0"), Some("")] {
        let mut vars: Vec<_> = fake
            .env()
            .into_iter()
            .filter(|(k, _)| *k != "ALLOW_SEED")
            .collect();
        if let Some(v) = allow {
            vars.push(("ALLOW_SEED", v.into()));
        }
        let out = seed_auth(&vars).await;
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("ALLOW_SEED=1"), "{err}");
    }
    assert!(fake.requests().await.is_empty());
    assert!(fake.users().is_empty());
}

#[tokio::test]
async fn refuses_without_its_variables_naming_them() {
    let fake = FakeGoTrue::start().await;
    for (missing, short_password) in [
        ("SUPABASE_URL", false),
        ("SUPABASE_SERVICE_ROLE_KEY", false),
        ("SEED_DEMO_PASSWORD", false),
        ("SEED_DEMO_PASSWORD", true),
    ] {
        let mut vars: Vec<_> = fake
            .env()
            .into_iter()
            .filter(|(k, _)| *k != missing)
            .collect();
        if short_password {
            vars.push(("SEED_DEMO_PASSWORD", "short".into()));
        }
        let out = seed_auth(&vars).await;
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(missing), "{missing}: {err}");
    }
    assert!(fake.requests().await.is_empty());
}

#[tokio::test]
async fn an_email_held_by_another_id_fails_that_user_only() {
    let fake = FakeGoTrue::start().await;
    let parent = DEMO_USERS.iter().find(|u| u.role == "parent").unwrap();
    fake.put_user(json!({
        "id": "11111111-1111-1111-1111-111111111111", "email": parent.email,
        "email_confirmed_at": "2025-01-01T00:00:00Z",
        "app_metadata": {"role": "parent"}, "user_metadata": {},
    }));
    let out = seed_auth(&fake.env()).await;
    assert!(!out.status.success(), "a conflict is an error");
    let printed = stdout(&out);
    let parent_line = line(&printed, parent.email);
    assert!(
        parent_line.contains("failed (create answered 422")
            && parent_line.contains("already been registered"),
        "{parent_line}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 8 demo users"));
    // Every other user was still created.
    assert_eq!(fake.users().len(), DEMO_USERS.len());
    assert!(!fake.users().contains_key(parent.supabase_uid));
}

#[tokio::test]
async fn reset_passwords_sets_the_password_of_existing_users() {
    let fake = FakeGoTrue::start().await;
    assert_success(&seed_auth(&fake.env()).await);
    for u in fake.users().into_values() {
        let mut u = u;
        u["password"] = json!("changed-by-someone");
        fake.put_user(u);
    }
    let out = seed_auth_with(&["--reset-passwords"], &fake.env()).await;
    assert_success(&out);
    let printed = stdout(&out);
    for demo in &DEMO_USERS {
        assert!(
            line(&printed, demo.email).ends_with(": updated (password)"),
            "{printed}"
        );
    }
    assert!(
        fake.users()
            .values()
            .all(|u| u["password"] == json!(PASSWORD))
    );
}
