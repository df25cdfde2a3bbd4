//! `/auth/*` (decision 13), written once and run against both identity adapters: the embedded
//! provider and Supabase (a wiremock GoTrue). E-mails go to a wiremock Resend.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use innova_api_client::types;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fakes::{FakeResend, FakeSupabase};
use crate::support::{TestApp, spawn_seeded_with};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Embedded,
    Supabase,
}

pub struct Env {
    pub app: TestApp,
    pub supabase: Option<FakeSupabase>,
    pub resend: FakeResend,
}

/// A seeded server in `mode`, mailing through a fake Resend, with `extra` variables.
pub async fn env(mode: Mode, extra: &[(&str, &str)]) -> Env {
    let resend = FakeResend::start().await;
    let supabase = match mode {
        Mode::Supabase => Some(FakeSupabase::start().await),
        Mode::Embedded => None,
    };
    let mut vars = resend.env();
    if let Some(s) = &supabase {
        vars.extend(s.env());
    }
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_seeded_with(&refs).await;
    Env {
        app,
        supabase,
        resend,
    }
}

/// Runs a behaviour test against both adapters.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn embedded() {
                super::$name(super::Mode::Embedded).await
            }
            #[tokio::test]
            async fn supabase() {
                super::$name(super::Mode::Supabase).await
            }
        }
    };
}

/// A raw JSON request: status, headers, body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base_url));
    if let Some(body) = body {
        req = req.json(&body);
    }
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn register(
    app: &TestApp,
    email: &str,
    password: &str,
    role: types::RegisterRequestRole,
) -> types::Session {
    app.client
        .auth_register()
        .body(types::RegisterRequest {
            email: email.into(),
            password: password.try_into().unwrap(),
            role,
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("register {email}: {e}"))
        .into_inner()
        .data
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let (s, _, b) = call(
        app,
        "POST",
        "/auth/login",
        Some(json!({"email": email, "password": password})),
        None,
    )
    .await;
    (s, b)
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let (s, _, b) = call(
        app,
        "POST",
        "/auth/refresh",
        Some(json!({"refreshToken": token})),
        None,
    )
    .await;
    (s, b)
}

/// The parts of an error body that must not differ between two answers.
fn error_shape(body: &Value) -> Value {
    json!({"statusCode": body["statusCode"], "code": body["code"], "message": body["message"]})
}

both!(register_signs_in_and_the_token_works_on_protected_routes);
async fn register_signs_in_and_the_token_works_on_protected_routes(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    let resp = app
        .client
        .auth_register()
        .body(types::RegisterRequest {
            email: "  New.Teacher@Example.com ".into(),
            password: "s3cret-pass".try_into().unwrap(),
            role: types::RegisterRequestRole::Teacher,
        })
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status().as_u16(), 201);
    let body = resp.into_inner();
    assert_eq!(body.status_code, 201);
    let session = body.data;
    assert_eq!(session.token_type, "Bearer");
    assert_eq!(session.expires_in_seconds, 3600);
    assert_eq!(session.user.email, "new.teacher@example.com");
    assert_eq!(session.user.role, types::RoleName::Teacher);
    assert!(session.user.supabase_uid.is_some());
    let profile_id = session.user.profile_id.clone().expect("a teacher profile");
    let teacher_user: String = sqlx::query_scalar("SELECT user_id FROM teachers WHERE id = $1")
        .bind(&profile_id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(teacher_user, session.user.id);

    let me = app
        .client_with_token(&session.access_token)
        .auth_me()
        .send()
        .await
        .expect("me")
        .into_inner()
        .data;
    assert_eq!(me.id, session.user.id);
    assert_eq!(me.email, "new.teacher@example.com");
    assert_eq!(me.role, types::RoleName::Teacher);
    assert_eq!(me.profile_id.as_deref(), Some(profile_id.as_str()));
    assert_eq!(me.name, "new.teacher");

    // A student gets a student profile.
    let s = register(
        app,
        "kid@example.com",
        "s3cret-pass",
        types::RegisterRequestRole::Student,
    )
    .await;
    assert_eq!(s.user.role, types::RoleName::Student);
    let student: (String, String) =
        sqlx::query_as("SELECT id, display_name FROM students WHERE user_id = $1")
            .bind(&s.user.id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(Some(student.0), s.user.profile_id);
}

both!(register_refuses_admin_and_never_overwrites);
async fn register_refuses_admin_and_never_overwrites(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/register",
        Some(json!({"email": "boss@example.com", "password": "s3cret-pass", "role": "admin"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["role must be one of the following values: student, teacher, parent"])
    );
    let (status, _, _) = call(app, "GET", "/auth/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A seeded account's email.
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/register",
        Some(
            json!({"email": "Student1@innova.demo", "password": "s3cret-pass", "role": "teacher"}),
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["message"], "An account with this email already exists");
    let role: Option<String> =
        sqlx::query_scalar("SELECT auth_role FROM users WHERE email = 'student1@innova.demo'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        role.as_deref(),
        Some("student"),
        "the seeded user is untouched"
    );

    // Registered twice: the second is refused and the first password still works.
    register(
        app,
        "twice@example.com",
        "first-password",
        types::RegisterRequestRole::Parent,
    )
    .await;
    let (status, _, _) = call(
        app,
        "POST",
        "/auth/register",
        Some(
            json!({"email": "twice@example.com", "password": "second-password", "role": "teacher"}),
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        login(app, "twice@example.com", "first-password").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        login(app, "twice@example.com", "second-password").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Validation names every bad field; unknown properties are refused.
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/register",
        Some(json!({"email": "not-an-email", "password": "short", "role": "student"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!([
            "email must be an email",
            "password must be longer than or equal to 8 characters"
        ])
    );
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/register",
        Some(json!({"email": "a@example.com", "password": "s3cret-pass", "role": "student", "isAdmin": true})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["property isAdmin should not exist"])
    );
}

both!(wrong_password_and_unknown_email_get_identical_401s);
async fn wrong_password_and_unknown_email_get_identical_401s(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    register(
        app,
        "ana@example.com",
        "right-password",
        types::RegisterRequestRole::Student,
    )
    .await;
    let (s1, wrong) = login(app, "ana@example.com", "wrong-password").await;
    let (s2, unknown) = login(app, "nobody@example.com", "wrong-password").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(error_shape(&wrong), error_shape(&unknown));
    assert_eq!(wrong["message"], "Invalid email or password");
    // A seeded account has no usable password (its hash is a placeholder): the same 401.
    let (s3, seeded) = login(app, "student1@innova.demo", "demo_hash_not_for_prod").await;
    assert_eq!(s3, StatusCode::UNAUTHORIZED);
    assert_eq!(error_shape(&seeded), error_shape(&unknown));

    let (status, body) = login(app, "ANA@example.com", "right-password").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["statusCode"], 201);
    assert_eq!(body["data"]["user"]["role"], "student");
}

both!(refresh_rotates_and_refuses_garbage);
async fn refresh_rotates_and_refuses_garbage(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    let session = register(
        app,
        "rot@example.com",
        "s3cret-pass",
        types::RegisterRequestRole::Parent,
    )
    .await;
    for garbage in ["garbage", "eyJhbGciOiJIUzI1NiJ9.e30.x", &"x".repeat(5000)] {
        let (status, body) = refresh(app, garbage).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["message"], "Invalid refresh token");
    }
    let (status, body) = refresh(app, "  ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let next = app
        .client
        .auth_refresh()
        .body(types::RefreshRequest {
            refresh_token: session.refresh_token.clone().try_into().unwrap(),
        })
        .send()
        .await
        .expect("refresh")
        .into_inner()
        .data;
    assert_ne!(next.refresh_token, session.refresh_token);
    assert_eq!(next.user.id, session.user.id);
    assert_eq!(next.user.role, types::RoleName::Parent);
    let me = app
        .client_with_token(&next.access_token)
        .auth_me()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(me.id, session.user.id);
    // Single use.
    assert_eq!(
        refresh(app, &session.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

both!(logout_revokes_the_refresh_tokens);
async fn logout_revokes_the_refresh_tokens(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    let a = register(
        app,
        "out@example.com",
        "s3cret-pass",
        types::RegisterRequestRole::Student,
    )
    .await;
    let (_, b) = login(app, "out@example.com", "s3cret-pass").await;
    let b_refresh = b["data"]["refreshToken"].as_str().unwrap().to_owned();

    let (status, _, _) = call(app, "POST", "/auth/logout", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let out = app
        .client_with_token(&a.access_token)
        .auth_logout()
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status().as_u16(), 201);
    assert_eq!(
        out.into_inner().data.message,
        "Session revoked successfully"
    );

    assert_eq!(
        refresh(app, &a.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(app, &b_refresh).await.0,
        StatusCode::UNAUTHORIZED,
        "every session is revoked"
    );
    // Signing in again works.
    assert_eq!(
        login(app, "out@example.com", "s3cret-pass").await.0,
        StatusCode::CREATED
    );
}

/// The `{email, code}` carried by the reset link of an e-mail.
fn reset_token(email: &Value) -> Value {
    let text = email["text"].as_str().unwrap();
    let start = text
        .find("https://app.superprofes.test/auth/reset?token=")
        .expect("the link, on the app's origin");
    let link = text[start..].split_whitespace().next().unwrap();
    let token = link.rsplit("token=").next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token).unwrap()).unwrap()
}

both!(forgot_password_does_not_tell_and_the_code_works_once);
async fn forgot_password_does_not_tell_and_the_code_works_once(mode: Mode) {
    let env = env(mode, &[]).await;
    let app = &env.app;
    let session = register(
        app,
        "forgetful@example.com",
        "old-password",
        types::RegisterRequestRole::Teacher,
    )
    .await;

    let known = app
        .client
        .auth_forgot_password()
        .body(types::ForgotPasswordRequest {
            email: "Forgetful@example.com".into(),
        })
        .send()
        .await
        .expect("forgot");
    assert_eq!(known.status().as_u16(), 202);
    let known = known.into_inner();
    let (status, _, unknown) = call(
        app,
        "POST",
        "/auth/forgot-password",
        Some(json!({"email": "ghost@example.com"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(unknown["statusCode"], json!(known.status_code));
    assert_eq!(unknown["data"], json!({"message": known.data.message}));
    assert_eq!(
        known.data.message,
        "A password reset link has been sent to your email. Check your inbox and spam folder."
    );

    let mails = env.resend.wait_for("forgetful@example.com", 1).await;
    assert_eq!(mails[0]["subject"], "Recupera tu contraseña — SuperProfes");
    assert_eq!(mails[0]["from"], crate::fakes::RESEND_FROM);
    assert!(
        mails[0]["html"]
            .as_str()
            .unwrap()
            .contains("Resetear Contraseña")
    );
    let token = reset_token(&mails[0]);
    assert_eq!(token["email"], "forgetful@example.com");
    let code = token["code"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        env.resend
            .sent()
            .await
            .iter()
            .all(|m| m["to"][0] != "ghost@example.com")
    );

    let confirm = |code: String, password: &str| json!({"email": "forgetful@example.com", "code": code, "newPassword": password});
    let (status, _, wrong) = call(
        app,
        "POST",
        "/auth/confirm-forgot-password",
        Some(confirm("wrong".into(), "new-password")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["message"], "Invalid or expired password reset code");
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/confirm-forgot-password",
        Some(confirm(code.clone(), "short")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        json!(["newPassword must be longer than or equal to 8 characters"])
    );

    let done = app
        .client
        .auth_confirm_forgot_password()
        .body(types::ConfirmForgotPasswordRequest {
            email: "forgetful@example.com".into(),
            code: code.clone().try_into().unwrap(),
            new_password: "new-password".try_into().unwrap(),
        })
        .send()
        .await
        .expect("confirm");
    assert_eq!(done.status().as_u16(), 201);
    assert_eq!(
        done.into_inner().data.message,
        "Password updated successfully"
    );

    assert_eq!(
        login(app, "forgetful@example.com", "old-password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = login(app, "forgetful@example.com", "new-password").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        body["data"]["user"]["tokenVersion"],
        json!(session.user.token_version + 1)
    );
    // Single use, and older sessions are gone.
    let (status, _, again) = call(
        app,
        "POST",
        "/auth/confirm-forgot-password",
        Some(confirm(code, "other-password")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_shape(&again), error_shape(&wrong));
    assert_eq!(
        refresh(app, &session.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_expired_reset_code_is_refused() {
    let env = env(Mode::Embedded, &[]).await;
    let app = &env.app;
    register(
        app,
        "late@example.com",
        "old-password",
        types::RegisterRequestRole::Student,
    )
    .await;
    call(
        app,
        "POST",
        "/auth/forgot-password",
        Some(json!({"email": "late@example.com"})),
        None,
    )
    .await;
    let code = reset_token(&env.resend.wait_for("late@example.com", 1).await[0])["code"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE users SET password_reset_expires_at = password_reset_expires_at - interval '16 minutes' WHERE email = 'late@example.com'")
        .execute(app.pool())
        .await
        .unwrap();
    let (status, _, body) = call(
        app,
        "POST",
        "/auth/confirm-forgot-password",
        Some(json!({"email": "late@example.com", "code": code, "newPassword": "new-password"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Invalid or expired password reset code");
    assert_eq!(
        login(app, "late@example.com", "old-password").await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn public_auth_routes_are_rate_limited_per_email_and_per_ip() {
    let env = env(
        Mode::Embedded,
        &[
            ("AUTH_RATE_LIMIT_PER_EMAIL", "2"),
            ("AUTH_RATE_LIMIT_PER_IP", "5"),
        ],
    )
    .await;
    let app = &env.app;
    assert_eq!(
        login(app, "victim@example.com", "guess-one").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(app, "victim@example.com", "guess-two").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, headers, body) = call(
        app,
        "POST",
        "/auth/login",
        Some(json!({"email": "Victim@example.com", "password": "guess-three"})),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "per email, whatever the case"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(body["statusCode"], 429);
    assert!(body.get("__headers").is_none());
    // Other emails from the same IP: 2 left of the IP's 5, then 429 for any route.
    assert_eq!(
        login(app, "other@example.com", "guess").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = call(
        app,
        "POST",
        "/auth/forgot-password",
        Some(json!({"email": "x@example.com"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        refresh(app, "whatever").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn protected_routes_need_a_valid_bearer_token() {
    let app = &crate::support::spawn_seeded().await;
    for auth in [
        None,
        Some("Bearer"),
        Some("Bearer not.a.jwt"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let mut req = app.http.get(format!("{}/auth/me", app.base_url));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            (body["code"].as_str(), body["message"].as_str()),
            (Some("HTTP_ERROR"), Some("Unauthorized"))
        );
    }
}

#[tokio::test]
async fn the_embedded_jwks_is_served_bare_and_verifies_its_tokens() {
    let env = env(Mode::Embedded, &[]).await;
    let app = &env.app;
    let resp = app
        .http
        .get(format!("{}/auth/v1/.well-known/jwks.json", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let jwks: Value = resp.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    let session = register(
        app,
        "jwks@example.com",
        "s3cret-pass",
        types::RegisterRequestRole::Student,
    )
    .await;
    let header = jsonwebtoken::decode_header(&session.access_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), jwks["keys"][0]["kid"].as_str());
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(&session.access_token).unwrap();
    assert_eq!(claims["iss"], format!("{}/auth/v1", app.base_url));
    assert_eq!(claims["aud"], "authenticated");
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["app_metadata"]["role"], "student");
    assert_eq!(claims["sub"].as_str(), session.user.supabase_uid.as_deref());
    // The refresh token is stored hashed, never as is.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM innova_local.refresh_tokens")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert!(!stored.is_empty() && !stored.contains(&session.refresh_token));
    assert!(
        stored.contains(&innova_core::identity::password::sha256_hex(
            &session.refresh_token
        ))
    );
    // The password is an Argon2id hash.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'jwks@example.com'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));

    let supa = self::env(Mode::Supabase, &[]).await;
    let resp = supa
        .app
        .http
        .get(format!(
            "{}/auth/v1/.well-known/jwks.json",
            supa.app.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn supabase_registration_puts_the_role_in_app_metadata() {
    let env = env(Mode::Supabase, &[]).await;
    register(
        &env.app,
        "meta@example.com",
        "s3cret-pass",
        types::RegisterRequestRole::Teacher,
    )
    .await;
    let fake = env.supabase.as_ref().unwrap();
    let requests = fake.server.received_requests().await.unwrap();
    let create = requests
        .iter()
        .find(|r| r.url.path() == "/auth/v1/admin/users")
        .expect("admin create");
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(body["app_metadata"]["role"], "teacher");
    assert_eq!(
        body["user_metadata"],
        json!({}),
        "nothing role-like where users can edit it"
    );
    assert_eq!(body["email_confirm"], true);
}
