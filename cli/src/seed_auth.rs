//! `innova seed-auth`: the demo users ([`DEMO_USERS`]) in a Supabase project, through GoTrue's
//! admin API under `<SUPABASE_URL>/auth/v1` with the service-role key — the port of the
//! reference's `scripts/seed-supabase-auth.ts` (`pnpm seed:auth`).
//!
//! Refused unless `ALLOW_SEED=1` (or `true`); needs `SUPABASE_URL`, `SUPABASE_SERVICE_ROLE_KEY`
//! and `SEED_DEMO_PASSWORD` (at least 8 characters). Nothing is sent before all of them check out.
//!
//! Per demo user, idempotently:
//!
//! | Step | GoTrue call |
//! |---|---|
//! | look up by the fixed id | `GET /admin/users/{uid}` (404: absent) |
//! | absent: create | `POST /admin/users` with `id`, `email`, `password`, `email_confirm: true`, `app_metadata {provider, providers, role}`, `user_metadata {display_name}` |
//! | present, something differs: update only that | `PUT /admin/users/{uid}` with the differing fields among `email`, `email_confirm`, `app_metadata.role`, `user_metadata.display_name` (and `password` with `--reset-passwords`) |
//!
//! The role lives only in `app_metadata` (decision 12: `user_metadata` is user-writable). One line
//! per user: created / updated (what changed) / unchanged / failed (why); any failure makes the
//! exit status non-zero after every user was tried. The password and the key are never printed.
//!
//! Core's `SupabaseProvider::create_user` does not fit: it lets GoTrue pick the id, and the demo
//! data needs the fixed ones; so this command speaks to the admin API itself.

use std::time::Duration;

use innova_core::db::seed::{DEMO_USERS, DemoUser};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// The shortest accepted `SEED_DEMO_PASSWORD` (the reference's rule).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What the command needs from the environment.
pub struct Settings {
    /// `<SUPABASE_URL>/auth/v1`.
    pub auth_base: String,
    pub service_role_key: String,
    pub password: String,
}

impl Settings {
    /// Read and validate the environment, the guard first.
    pub fn from_env() -> anyhow::Result<Settings> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let allow = set("ALLOW_SEED").unwrap_or_default();
        if !matches!(allow.trim(), "1" | "true") {
            anyhow::bail!(
                "refusing to seed Supabase Auth: set ALLOW_SEED=1 to create or update the demo users"
            );
        }
        let url = set("SUPABASE_URL").ok_or_else(|| {
            anyhow::anyhow!("SUPABASE_URL is not set (the Supabase project to seed)")
        })?;
        let parsed = reqwest::Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| anyhow::anyhow!("SUPABASE_URL is not an http(s) URL: {url}"))?;
        let service_role_key = set("SUPABASE_SERVICE_ROLE_KEY").ok_or_else(|| {
            anyhow::anyhow!("SUPABASE_SERVICE_ROLE_KEY is not set (the project's service-role key)")
        })?;
        let password = set("SEED_DEMO_PASSWORD").ok_or_else(|| {
            anyhow::anyhow!("SEED_DEMO_PASSWORD is not set (the demo users' password)")
        })?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            anyhow::bail!("SEED_DEMO_PASSWORD must be at least {MIN_PASSWORD_CHARS} characters");
        }
        Ok(Settings {
            auth_base: format!("{}/auth/v1", parsed.as_str().trim_end_matches('/')),
            service_role_key: service_role_key.trim().to_owned(),
            password,
        })
    }
}

/// What happened to one user.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated(Vec<String>),
    Unchanged,
    Failed(String),
}

pub async fn run(reset_passwords: bool) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let admin = Admin::new(settings)?;
    let mut failed = 0;
    for user in &DEMO_USERS {
        let outcome = admin
            .seed(user, reset_passwords)
            .await
            .unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        let what = match &outcome {
            Outcome::Created => format!("created (role {})", user.role),
            Outcome::Updated(changes) => format!("updated ({})", changes.join(", ")),
            Outcome::Unchanged => "unchanged".to_owned(),
            Outcome::Failed(why) => {
                failed += 1;
                format!("failed ({why})")
            }
        };
        println!("{} {}: {what}", user.email, user.supabase_uid);
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} demo users could not be seeded",
            DEMO_USERS.len()
        );
    }
    Ok(())
}

struct Admin {
    http: reqwest::Client,
    settings: Settings,
}

impl Admin {
    fn new(settings: Settings) -> anyhow::Result<Admin> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Admin { http, settings })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.settings.auth_base))
            .header("apikey", &self.settings.service_role_key)
            .bearer_auth(&self.settings.service_role_key)
    }

    /// Send and read the answer (status and JSON body, `null` when there is none).
    async fn call(&self, req: RequestBuilder, what: &str) -> anyhow::Result<(StatusCode, Value)> {
        let resp = req
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e).context(what.to_owned()))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn seed(&self, user: &DemoUser, reset_passwords: bool) -> anyhow::Result<Outcome> {
        let path = format!("/admin/users/{}", user.supabase_uid);
        let (status, existing) = self
            .call(self.request(Method::GET, &path), "look up")
            .await?;
        if status == StatusCode::NOT_FOUND {
            return self.create(user).await;
        }
        if !status.is_success() {
            anyhow::bail!("look up answered {status}{}", message(&existing));
        }
        let mut update = serde_json::Map::new();
        let mut changes = Vec::new();
        let email = existing["email"].as_str().unwrap_or_default();
        if !email.eq_ignore_ascii_case(user.email) {
            update.insert("email".into(), json!(user.email));
            changes.push(format!("email {} -> {}", shown(email), user.email));
        }
        let confirmed = existing["email_confirmed_at"]
            .as_str()
            .is_some_and(|s| !s.is_empty());
        if !confirmed || update.contains_key("email") {
            update.insert("email_confirm".into(), json!(true));
            if !confirmed {
                changes.push("email confirmed".into());
            }
        }
        let role = existing["app_metadata"]["role"]
            .as_str()
            .unwrap_or_default();
        if role != user.role {
            // GoTrue merges app_metadata keys: provider/providers stay as they are.
            update.insert("app_metadata".into(), json!({"role": user.role}));
            changes.push(format!("role {} -> {}", shown(role), user.role));
        }
        let name = existing["user_metadata"]["display_name"]
            .as_str()
            .unwrap_or_default();
        if name != user.display_name {
            update.insert(
                "user_metadata".into(),
                json!({"display_name": user.display_name}),
            );
            changes.push("display name".into());
        }
        if reset_passwords {
            update.insert("password".into(), json!(self.settings.password));
            changes.push("password".into());
        }
        if update.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        let (status, body) = self
            .call(
                self.request(Method::PUT, &path)
                    .json(&Value::Object(update)),
                "update",
            )
            .await?;
        if !status.is_success() {
            anyhow::bail!("update answered {status}{}", message(&body));
        }
        Ok(Outcome::Updated(changes))
    }

    async fn create(&self, user: &DemoUser) -> anyhow::Result<Outcome> {
        let body = json!({
            "id": user.supabase_uid,
            "email": user.email,
            "password": self.settings.password,
            "email_confirm": true,
            "app_metadata": {"provider": "email", "providers": ["email"], "role": user.role},
            "user_metadata": {"display_name": user.display_name},
        });
        let (status, answer) = self
            .call(
                self.request(Method::POST, "/admin/users").json(&body),
                "create",
            )
            .await?;
        if !status.is_success() {
            let hint = if status == StatusCode::UNPROCESSABLE_ENTITY
                || status == StatusCode::CONFLICT
            {
                " — another user (with another id) holds this email: delete it or change its email \
                 in the Supabase dashboard, then run again"
            } else {
                ""
            };
            anyhow::bail!("create answered {status}{}{hint}", message(&answer));
        }
        let id = answer["id"].as_str().unwrap_or_default();
        if !id.is_empty() && id != user.supabase_uid {
            anyhow::bail!(
                "created with id {id}, not {} (the project ignored the fixed id)",
                user.supabase_uid
            );
        }
        Ok(Outcome::Created)
    }
}

/// GoTrue's error text (`msg`, `message`, `error_description` or `error`), as `": text"`.
fn message(body: &Value) -> String {
    ["msg", "message", "error_description", "error", "error_code"]
        .iter()
        .find_map(|k| body[*k].as_str().filter(|s| !s.is_empty()))
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}

fn shown(value: &str) -> &str {
    if value.is_empty() { "(none)" } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const OK: &[(&str, &str)] = &[
        ("ALLOW_SEED", "1"),
        ("SUPABASE_URL", "https://x.supabase.co/"),
        ("SUPABASE_SERVICE_ROLE_KEY", "k"),
        ("SEED_DEMO_PASSWORD", "12345678"),
    ];

    fn err(pairs: &[(&str, &str)]) -> String {
        Settings::from_vars(vars(pairs))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn the_environment_is_validated_guard_first() {
        let s = Settings::from_vars(vars(OK)).unwrap();
        assert_eq!(s.auth_base, "https://x.supabase.co/auth/v1");
        assert!(err(&[]).contains("ALLOW_SEED=1"));
        assert!(err(&[("ALLOW_SEED", "0")]).contains("ALLOW_SEED=1"));
        assert!(err(&[("ALLOW_SEED", "true")]).contains("SUPABASE_URL"));
        assert!(err(&OK[..1]).contains("SUPABASE_URL is not set"));
        assert!(err(&[OK[0], ("SUPABASE_URL", "nope"), OK[2], OK[3]]).contains("SUPABASE_URL"));
        assert!(err(&OK[..2]).contains("SUPABASE_SERVICE_ROLE_KEY"));
        assert!(err(&OK[..3]).contains("SEED_DEMO_PASSWORD is not set"));
        assert!(err(&[OK[0], OK[1], OK[2], ("SEED_DEMO_PASSWORD", "  ")]).contains("not set"));
        let short = err(&[OK[0], OK[1], OK[2], ("SEED_DEMO_PASSWORD", "1234567")]);
        assert!(short.contains("at least 8"), "{short}");
        assert!(!short.contains("1234567"));
    }
}
