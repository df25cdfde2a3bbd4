//! HTTP fakes of the third-party services identity talks to, built on wiremock: Supabase Auth
//! (GoTrue: JWKS, admin users, grants, logout) and Resend. Plus the test signing keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use innova_core::identity::keys::{SigningKey, generate_ec_p256_pkcs8, generate_rsa_pem};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SERVICE_ROLE_KEY: &str = "test-service-role-key";
pub const ANON_KEY: &str = "test-anon-key";

/// An ES256 test key.
pub struct EcKey {
    pub encoding: EncodingKey,
    pub kid: String,
    pub jwk: Jwk,
}

/// The keys a fake Supabase project signs with: one RSA (RS256), one P-256 (ES256).
pub struct TestKeys {
    pub rsa: SigningKey,
    /// The RSA key's PEM (to sign with it under another header).
    pub rsa_pem: String,
    pub ec: EcKey,
}

impl TestKeys {
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.rsa.jwks().keys[0].clone(), self.ec.jwk.clone()],
        }
    }

    pub fn sign_rs256(&self, claims: &Value) -> String {
        self.rsa.sign(claims).unwrap()
    }

    pub fn sign_es256(&self, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.ec.kid.clone());
        jsonwebtoken::encode(&h, claims, &self.ec.encoding).unwrap()
    }
}

fn ec_key() -> EcKey {
    let encoding = EncodingKey::from_ec_der(&generate_ec_p256_pkcs8().unwrap());
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).unwrap();
    let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    EcKey { encoding, kid, jwk }
}

/// The test process's fake-Supabase keys (generated once).
pub fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa_pem = generate_rsa_pem().unwrap();
        TestKeys {
            rsa: SigningKey::from_pem(rsa_pem.as_bytes()).unwrap(),
            rsa_pem,
            ec: ec_key(),
        }
    })
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[derive(Clone)]
struct FakeUser {
    uid: String,
    email: String,
    password: String,
    role: Option<String>,
}

#[derive(Default)]
struct State {
    users: Vec<FakeUser>,
    /// refresh token → uid (removed when used or revoked).
    refresh: HashMap<String, String>,
    next: u64,
}

/// A fake Supabase project: GoTrue under `/auth/v1`, signing ES256 with [`keys`].
pub struct FakeSupabase {
    pub server: MockServer,
}

impl FakeSupabase {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let issuer = format!("{}/auth/v1", server.uri());
        Mock::given(method("GET"))
            .and(path("/auth/v1/.well-known/jwks.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(keys().jwks()))
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::path_regex(
            "^/auth/v1/(admin/users.*|token|logout)$",
        ))
        .respond_with(GoTrue { state, issuer })
        .mount(&server)
        .await;
        FakeSupabase { server }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn issuer(&self) -> String {
        format!("{}/auth/v1", self.server.uri())
    }

    /// The variables that point a server at this project.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SUPABASE_URL".into(), self.url()),
            ("SUPABASE_SERVICE_ROLE_KEY".into(), SERVICE_ROLE_KEY.into()),
            ("SUPABASE_ANON_KEY".into(), ANON_KEY.into()),
        ]
    }

    /// Claims of a token this project would issue.
    pub fn claims(&self, sub: &str, email: &str, role: Option<&str>) -> Value {
        let mut app_metadata = json!({"provider": "email", "providers": ["email"]});
        if let Some(role) = role {
            app_metadata["role"] = json!(role);
        }
        json!({
            "iss": self.issuer(), "sub": sub, "aud": "authenticated", "exp": now() + 3600,
            "iat": now(), "email": email, "role": "authenticated", "aal": "aal1",
            "app_metadata": app_metadata, "user_metadata": {}, "is_anonymous": false,
        })
    }

    /// How many times the JWKS was fetched.
    pub async fn jwks_fetches(&self) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path().ends_with("/.well-known/jwks.json"))
            .count()
    }
}

struct GoTrue {
    state: Arc<Mutex<State>>,
    issuer: String,
}

fn error(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": status, "error_code": code, "msg": msg}))
}

impl GoTrue {
    fn session(&self, state: &mut State, user: &FakeUser) -> ResponseTemplate {
        state.next += 1;
        let refresh = format!("rt-{}-{}", state.next, uuid::Uuid::new_v4().simple());
        state.refresh.insert(refresh.clone(), user.uid.clone());
        let mut app_metadata = json!({"provider": "email", "providers": ["email"]});
        if let Some(role) = &user.role {
            app_metadata["role"] = json!(role);
        }
        let claims = json!({
            "iss": self.issuer, "sub": user.uid, "aud": "authenticated", "exp": now() + 3600,
            "iat": now(), "email": user.email, "role": "authenticated",
            "app_metadata": app_metadata, "user_metadata": {}, "session_id": state.next.to_string(),
        });
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": keys().sign_es256(&claims),
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": now() + 3600,
            "refresh_token": refresh,
            "user": {"id": user.uid, "email": user.email, "app_metadata": app_metadata},
        }))
    }
}

impl Respond for GoTrue {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let route = req.url.path().trim_start_matches("/auth/v1");
        let mut state = self.state.lock().unwrap();
        let admin_ok = header("apikey") == SERVICE_ROLE_KEY
            && header("authorization") == format!("Bearer {SERVICE_ROLE_KEY}");
        match (req.method.as_str(), route) {
            ("POST", "/admin/users") => {
                if !admin_ok {
                    return error(
                        401,
                        "no_authorization",
                        "This endpoint requires a valid service role key",
                    );
                }
                let email = body["email"].as_str().unwrap_or_default().to_lowercase();
                if state.users.iter().any(|u| u.email == email) {
                    return error(
                        422,
                        "email_exists",
                        "A user with this email address has already been registered",
                    );
                }
                if body["email_confirm"] != json!(true) {
                    return error(400, "validation_failed", "test fake expects email_confirm");
                }
                let user = FakeUser {
                    uid: uuid::Uuid::new_v4().to_string(),
                    email: email.clone(),
                    password: body["password"].as_str().unwrap_or_default().to_owned(),
                    role: body["app_metadata"]["role"].as_str().map(str::to_owned),
                };
                state.users.push(user.clone());
                ResponseTemplate::new(200).set_body_json(json!({
                    "id": user.uid, "email": user.email, "app_metadata": body["app_metadata"],
                    "user_metadata": body["user_metadata"], "aud": "authenticated",
                }))
            }
            ("PUT", r) if r.starts_with("/admin/users/") => {
                if !admin_ok {
                    return error(
                        401,
                        "no_authorization",
                        "This endpoint requires a valid service role key",
                    );
                }
                let uid = r.trim_start_matches("/admin/users/");
                match state.users.iter_mut().find(|u| u.uid == uid) {
                    Some(u) => {
                        if let Some(p) = body["password"].as_str() {
                            u.password = p.to_owned();
                        }
                        ResponseTemplate::new(200)
                            .set_body_json(json!({"id": u.uid, "email": u.email}))
                    }
                    None => error(404, "user_not_found", "User not found"),
                }
            }
            ("POST", "/token") => {
                if header("apikey") != ANON_KEY {
                    return error(401, "no_api_key", "No API key found in request");
                }
                let grant = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "grant_type")
                    .map(|(_, v)| v.into_owned());
                match grant.as_deref() {
                    Some("password") => {
                        let email = body["email"].as_str().unwrap_or_default().to_lowercase();
                        let password = body["password"].as_str().unwrap_or_default();
                        let user = state
                            .users
                            .iter()
                            .find(|u| u.email == email && u.password == password)
                            .cloned();
                        match user {
                            Some(user) => self.session(&mut state, &user),
                            None => error(400, "invalid_credentials", "Invalid login credentials"),
                        }
                    }
                    Some("refresh_token") => {
                        let token = body["refresh_token"].as_str().unwrap_or_default();
                        let user = state
                            .refresh
                            .remove(token)
                            .and_then(|uid| state.users.iter().find(|u| u.uid == uid).cloned());
                        match user {
                            Some(user) => self.session(&mut state, &user),
                            None => error(
                                400,
                                "refresh_token_not_found",
                                "Invalid Refresh Token: Refresh Token Not Found",
                            ),
                        }
                    }
                    _ => error(400, "unsupported_grant_type", "unsupported grant_type"),
                }
            }
            ("POST", "/logout") => {
                let token = header("authorization")
                    .trim_start_matches("Bearer ")
                    .to_owned();
                let Ok(claims) = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(&token)
                else {
                    return error(401, "bad_jwt", "invalid JWT");
                };
                let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
                state.refresh.retain(|_, uid| *uid != sub);
                ResponseTemplate::new(204)
            }
            _ => error(404, "not_found", "no such route in the fake"),
        }
    }
}

/// A fake Resend: accepts `POST /emails` with the test key and records them.
pub struct FakeResend {
    pub server: MockServer,
}

pub const RESEND_KEY: &str = "re_test_key";
pub const RESEND_FROM: &str = "SuperProfes <no-reply@superprofes.test>";

impl FakeResend {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/emails"))
            .and(wiremock::matchers::header(
                "authorization",
                format!("Bearer {RESEND_KEY}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "email-1"})))
            .mount(&server)
            .await;
        FakeResend { server }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("RESEND_API_KEY".into(), RESEND_KEY.into()),
            ("RESEND_FROM_EMAIL".into(), RESEND_FROM.into()),
            ("RESEND_BASE_URL".into(), self.server.uri()),
            (
                "PUBLIC_APP_URL".into(),
                "https://app.superprofes.test/ignored/path".into(),
            ),
        ]
    }

    /// The e-mails sent so far (request bodies).
    pub async fn sent(&self) -> Vec<Value> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/emails")
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect()
    }

    /// Waits (up to 5 s) until `count` e-mails were sent to `to`; returns them.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Value> {
        for _ in 0..100 {
            let sent: Vec<Value> = self
                .sent()
                .await
                .into_iter()
                .filter(|m| m["to"][0] == to)
                .collect();
            if sent.len() >= count {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no e-mail to {to} within 5 s");
    }
}
