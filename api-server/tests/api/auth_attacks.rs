//! Forged and broken tokens (decisions 11–12): the server trusts a fake Supabase project whose
//! JWKS wiremock serves; every token below is sent to `GET /auth/me`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fakes::{FakeSupabase, keys, now};
use crate::support::{TestApp, spawn_seeded_with};

async fn app() -> (TestApp, FakeSupabase) {
    let fake = FakeSupabase::start().await;
    let vars = fake.env();
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    (spawn_seeded_with(&refs).await, fake)
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let resp = app
        .http
        .get(format!("{}/auth/me", app.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn good_rs256_and_es256_tokens_are_accepted() {
    let (app, fake) = app().await;
    let claims = fake.claims("sub-good-rs", "good.rs@example.com", Some("teacher"));
    let (status, body) = me(&app, &keys().sign_rs256(&claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["role"], "teacher");
    let claims = fake.claims("sub-good-es", "good.es@example.com", Some("parent"));
    let (status, body) = me(&app, &keys().sign_es256(&claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["role"], "parent");
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let (app, fake) = app().await;
    let base = || fake.claims("sub-attack", "attack@example.com", Some("admin"));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = base();
        f(&mut c);
        c
    };
    let k = keys();
    let mut cases: Vec<(&str, String)> = vec![
        (
            "expired",
            k.sign_es256(&with(&|c| c["exp"] = json!(now() - 120))),
        ),
        (
            "not yet valid",
            k.sign_rs256(&with(&|c| c["nbf"] = json!(now() + 600))),
        ),
        (
            "wrong aud",
            k.sign_es256(&with(&|c| c["aud"] = json!("anon"))),
        ),
        (
            "wrong iss",
            k.sign_rs256(&with(&|c| c["iss"] = json!("https://evil.example/auth/v1"))),
        ),
        (
            "no exp",
            k.sign_es256(&with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            })),
        ),
    ];

    // Unknown kid: a key the JWKS does not have.
    let stranger = innova_core::identity::keys::generate_rsa_pem().unwrap();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("not-in-the-jwks".into());
    cases.push((
        "unknown kid",
        jsonwebtoken::encode(
            &h,
            &base(),
            &EncodingKey::from_rsa_pem(stranger.as_bytes()).unwrap(),
        )
        .unwrap(),
    ));

    // Bad signature: another key under the real kid; and a tampered payload.
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(k.rsa.kid().into());
    cases.push((
        "bad signature",
        jsonwebtoken::encode(
            &h,
            &base(),
            &EncodingKey::from_rsa_pem(stranger.as_bytes()).unwrap(),
        )
        .unwrap(),
    ));
    let good = k.sign_rs256(&with(&|c| c["app_metadata"]["role"] = json!("student")));
    let parts: Vec<&str> = good.split('.').collect();
    cases.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], b64(&base()), parts[2]),
    ));

    // alg none, with and without a signature part.
    let none_header = json!({"alg": "none", "typ": "JWT", "kid": k.rsa.kid()});
    cases.push((
        "alg none",
        format!("{}.{}.", b64(&none_header), b64(&base())),
    ));
    cases.push((
        "alg none, signed part kept",
        format!("{}.{}.{}", b64(&none_header), b64(&base()), parts[2]),
    ));

    // HS256 with the public key (its JWK JSON, and its PEM-ish modulus) as the HMAC secret.
    let jwk_json = serde_json::to_vec(&k.rsa.jwks().keys[0]).unwrap();
    let modulus = serde_json::to_value(&k.rsa.jwks().keys[0]).unwrap()["n"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, secret) in [
        ("HS256 with the JWK as secret", jwk_json),
        ("HS256 with the modulus as secret", modulus.into_bytes()),
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(k.rsa.kid().into());
        cases.push((
            name,
            jsonwebtoken::encode(&h, &base(), &EncodingKey::from_secret(&secret).unwrap()).unwrap(),
        ));
    }
    // RS512 and ES384 are not on the allow-list even with a matching key type.
    let mut h = Header::new(Algorithm::RS512);
    h.kid = Some(k.rsa.kid().into());
    cases.push((
        "RS512",
        jsonwebtoken::encode(
            &h,
            &base(),
            &EncodingKey::from_rsa_pem(k.rsa_pem.as_bytes()).unwrap(),
        )
        .unwrap(),
    ));
    // RS256 header naming the EC key.
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(k.ec.kid.clone());
    cases.push((
        "RS256 with the EC key's kid",
        jsonwebtoken::encode(
            &h,
            &base(),
            &EncodingKey::from_rsa_pem(k.rsa_pem.as_bytes()).unwrap(),
        )
        .unwrap(),
    ));
    cases.push(("not a JWT", "abc".into()));

    for (name, token) in &cases {
        let (status, body) = me(&app, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["message"], "Unauthorized", "{name}");
    }
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'attack@example.com'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(users, 0, "no refused token provisions anything");
}

#[tokio::test]
async fn a_role_only_in_user_metadata_is_student() {
    let (app, fake) = app().await;
    let mut claims = fake.claims("sub-meta", "meta.role@example.com", None);
    claims["user_metadata"] = json!({"role": "admin", "full_name": "Mallory"});
    let (status, body) = me(&app, &keys().sign_es256(&claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["role"], "student");
    assert_eq!(body["data"]["name"], "Mallory");
    // Case matters, and odd values are student too.
    for (i, role) in ["Admin", "ADMIN", "superuser", ""].into_iter().enumerate() {
        let mut claims = fake.claims(
            &format!("sub-role-{i}"),
            &format!("role{i}@example.com"),
            Some(role),
        );
        claims["user_metadata"] = json!({"role": "admin"});
        let (status, body) = me(&app, &keys().sign_rs256(&claims)).await;
        assert_eq!(
            (status, body["data"]["role"].as_str()),
            (StatusCode::OK, Some("student")),
            "{role}"
        );
    }
}

#[tokio::test]
async fn unknown_kids_do_not_hammer_the_jwks() {
    let (app, fake) = app().await;
    // Warm the cache.
    let (status, _) = me(
        &app,
        &keys().sign_es256(&fake.claims("sub-warm", "warm@example.com", None)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let before = fake.jwks_fetches().await;
    assert_eq!(before, 1);
    let stranger = EncodingKey::from_rsa_pem(keys().rsa_pem.as_bytes()).unwrap();
    for i in 0..15 {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(format!("random-kid-{i}"));
        let token =
            jsonwebtoken::encode(&h, &fake.claims("sub-x", "x@example.com", None), &stranger)
                .unwrap();
        assert_eq!(me(&app, &token).await.0, StatusCode::UNAUTHORIZED);
    }
    let after = fake.jwks_fetches().await;
    assert!(
        after - before <= 1,
        "{} JWKS fetches for 15 unknown kids",
        after - before
    );
}

#[tokio::test]
async fn provisioning_links_an_existing_email_once_and_reports_conflicts() {
    let (app, fake) = app().await;
    // A roster row without a provider id: the first sign-in links it.
    sqlx::query("INSERT INTO users (id, email, auth_role, updated_at) VALUES ('roster-1', 'roster@example.com', 'teacher', CURRENT_TIMESTAMP)")
        .execute(app.pool())
        .await
        .unwrap();
    let token =
        keys().sign_es256(&fake.claims("sub-roster", "Roster@example.com", Some("teacher")));
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["id"], "roster-1");
    let uid: Option<String> =
        sqlx::query_scalar("SELECT supabase_uid FROM users WHERE id = 'roster-1'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(uid.as_deref(), Some("sub-roster"));

    // Another provider account with the same email: 409 every time, never a 500.
    let other = keys().sign_es256(&fake.claims("sub-other", "roster@example.com", Some("teacher")));
    for _ in 0..2 {
        let (status, body) = me(&app, &other).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(
            body["message"],
            "This email already belongs to another account"
        );
    }

    // A demo user signing in through Supabase gets their seeded profile.
    let demo = innova_core::db::seed::demo_user("parent").unwrap();
    let token = keys().sign_rs256(&fake.claims(demo.supabase_uid, demo.email, Some("parent")));
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["profileId"], demo.profile_id.unwrap());
}

#[tokio::test]
async fn provisioning_happens_once_and_later_requests_do_not_write() {
    let (app, fake) = app().await;
    let token = keys().sign_es256(&fake.claims("sub-once", "once@example.com", Some("student")));
    // Many first requests at once: one user, one profile.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, url, token) = (
            app.http.clone(),
            format!("{}/auth/me", app.base_url),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users WHERE supabase_uid = 'sub-once'),
                (SELECT count(*) FROM students s JOIN users u ON u.id = s.user_id WHERE u.supabase_uid = 'sub-once')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(counts, (1, 1));

    // Later requests do not touch the rows (no write: updated_at and xmin unchanged).
    let snapshot = || async {
        sqlx::query_as::<_, (String, String)>(
            "SELECT u.xmin::text, s.xmin::text FROM users u JOIN students s ON s.user_id = u.id WHERE u.supabase_uid = 'sub-once'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap()
    };
    let before = snapshot().await;
    for _ in 0..3 {
        assert_eq!(me(&app, &token).await.0, StatusCode::OK);
    }
    assert_eq!(snapshot().await, before);
}
