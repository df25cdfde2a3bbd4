//! Authentication and authorization for handlers.
//!
//! ```ignore
//! pub async fn of_student(rqctx: RequestContext<ApiContext>, path: Path<StudentPath>) -> ApiOk<Vec<TopicMastery>> {
//!     let gate = auth::authorize(&rqctx).await?;                    // 401 / 403 (role) per the policy table
//!     let student_id = path.into_inner().student_id;
//!     gate.require(Target::student(&student_id)).await?;            // the route's ownership rule
//!     let rows = app::mastery::of_student(app(&rqctx), &student_id).await?;
//!     envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
//! }
//! ```
//!
//! * [`authenticate`]: the bearer token → a [`Caller`] (401 on any token problem). The first
//!   request of a user provisions their `users` row and role profile (decision 15); later ones
//!   are served from an in-memory cache keyed by `sub`, so requests do not write.
//! * [`authorize`]: [`authenticate`] plus the role check of the operation's entry in
//!   [`innova_domain::access::POLICIES`] (403 `Forbidden resource` for a wrong role), returning an
//!   [`Authorized`] that yields the caller only through [`Authorized::require`] (the entry's
//!   ownership grants, evaluated against the database for the named target, see [`access`])
//!   or, on role-only routes, [`Authorized::role_only`].

pub mod access;
pub mod rate_limit;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use dropshot::RequestContext;
use innova_core::db::PgPool;
use innova_core::db::accounts::{self, Provisioned};
use innova_core::identity::{Account, VerifiedToken, normalize_email};
pub use innova_domain::access::{Profile, Role};

pub use access::{Authorized, Target};

use crate::context::ApiContext;
use crate::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `users.id`.
    pub user_id: String,
    /// The token's `sub` (`users.supabase_uid`).
    pub supabase_uid: String,
    /// From the token, normalised.
    pub email: String,
    /// From the token's `app_metadata.role` only.
    pub role: Role,
    /// Display name (token metadata, else the email's local part).
    pub name: String,
    /// The profile of the caller's role, resolved from the database — never from the request.
    pub profile: Profile,
    /// `users.token_version` when the caller was provisioned or last re-read.
    pub token_version: i32,
    /// The bearer token itself (the identity provider's logout needs it).
    pub(crate) access_token: String,
}

impl Caller {
    /// The caller's teacher profile id; 403 `Teacher profile not found` otherwise.
    pub fn teacher_id(&self) -> Result<&str, ApiError> {
        self.profile
            .teacher_id()
            .ok_or_else(|| ApiError::forbidden("Teacher profile not found"))
    }

    /// The caller's student profile id; 403 `Student profile not found` otherwise.
    pub fn student_id(&self) -> Result<&str, ApiError> {
        self.profile
            .student_id()
            .ok_or_else(|| ApiError::forbidden("Student profile not found"))
    }

    /// The caller's parent profile id; 403 `Parent profile not found` otherwise.
    pub fn parent_id(&self) -> Result<&str, ApiError> {
        self.profile
            .parent_id()
            .ok_or_else(|| ApiError::forbidden("Parent profile not found"))
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// What of the exercise bank the caller reads (guides' exercises: their courses' teachers
    /// and admins only).
    pub fn bank_reader(&self) -> innova_app::items::BankReader<'_> {
        use innova_app::items::BankReader;
        match (&self.profile, self.role) {
            (_, Role::Admin) => BankReader::Admin,
            (Profile::Teacher(id), _) => BankReader::Teacher(id),
            _ => BankReader::Learner,
        }
    }

    /// The account as the identity provider knows it.
    pub fn account(&self) -> Account {
        Account {
            user_id: self.user_id.clone(),
            uid: self.supabase_uid.clone(),
            email: self.email.clone(),
        }
    }
}

/// The 401 of the guard, as the reference answered it (`Unauthorized`, code `HTTP_ERROR`).
pub fn unauthorized() -> ApiError {
    ApiError::unauthorized("Unauthorized")
        .with_code("HTTP_ERROR")
        .with_header(http::header::WWW_AUTHENTICATE, "Bearer")
}

/// The 403 of a wrong role, as the reference answered it.
pub fn wrong_role() -> ApiError {
    ApiError::forbidden("Forbidden resource").with_code("Forbidden")
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller of a request: verifies the bearer token and resolves (on first sight,
/// provisions) the user and profile. 401 for a missing, malformed, expired, wrongly signed…
/// token; 409 when the token's email belongs to another account.
pub async fn authenticate(rqctx: &RequestContext<ApiContext>) -> Result<Caller, ApiError> {
    let ctx = rqctx.context();
    let token = bearer_token(rqctx.request.headers()).ok_or_else(unauthorized)?;
    let verified = ctx.identity.verifier.verify(token).await.map_err(|e| {
        tracing::debug!(reason = %e, "token refused");
        unauthorized()
    })?;
    ctx.callers.caller(&ctx.db, &verified, token).await
}

/// [`authenticate`] plus the role rule of the current operation's policy. Routes with grants
/// then call [`Authorized::require`] with the resource they address.
pub async fn authorize(rqctx: &RequestContext<ApiContext>) -> Result<Authorized, ApiError> {
    let operation = rqctx.endpoint.operation_id.as_str();
    let policy = innova_domain::access::policy(operation)
        .ok_or_else(|| ApiError::internal(format!("no access policy for operation {operation}")))?;
    let caller = authenticate(rqctx).await?;
    if !policy.callers.admits(caller.role) {
        return Err(wrong_role());
    }
    Ok(Authorized::new(caller, policy, rqctx.context().db.clone()))
}

/// How long a resolved caller is trusted without looking at the database again (profile rows
/// created or removed meanwhile are picked up after this).
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Entries kept at most; the cache is emptied when it is full.
const CACHE_MAX: usize = 10_000;

#[derive(Clone)]
struct Cached {
    user_id: String,
    role: Role,
    profile: Profile,
    token_version: i32,
    at: Instant,
}

/// Resolved callers by `sub`: the first request of a user provisions (decision 15), later
/// ones read from here, so authenticated requests do not write to the database.
#[derive(Default)]
pub struct CallerCache {
    entries: RwLock<HashMap<String, Cached>>,
}

impl CallerCache {
    /// The caller for a verified token, from the cache when fresh and for the same role.
    pub async fn caller(
        &self,
        db: &PgPool,
        token: &VerifiedToken,
        raw: &str,
    ) -> Result<Caller, ApiError> {
        let hit = self
            .entries
            .read()
            .ok()
            .and_then(|m| m.get(&token.sub).cloned())
            .filter(|c| c.role == token.role && c.at.elapsed() < CACHE_TTL);
        let cached = match hit {
            Some(c) => c,
            None => self.store(token, provision(db, token).await?),
        };
        Ok(Caller {
            user_id: cached.user_id,
            supabase_uid: token.sub.clone(),
            email: normalize_email(&token.email),
            role: token.role,
            name: token.name.clone(),
            profile: cached.profile,
            token_version: cached.token_version,
            access_token: raw.to_owned(),
        })
    }

    /// Provisions (or re-reads) the caller, bypassing and then refreshing the cache.
    pub async fn refresh(
        &self,
        db: &PgPool,
        token: &VerifiedToken,
        raw: &str,
    ) -> Result<Caller, ApiError> {
        self.forget(&token.sub);
        self.caller(db, token, raw).await
    }

    pub fn forget(&self, sub: &str) {
        if let Ok(mut m) = self.entries.write() {
            m.remove(sub);
        }
    }

    fn store(&self, token: &VerifiedToken, p: Provisioned) -> Cached {
        let cached = Cached {
            user_id: p.user.id,
            role: token.role,
            profile: p.profile,
            token_version: p.user.token_version,
            at: Instant::now(),
        };
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= CACHE_MAX {
                m.clear();
            }
            m.insert(token.sub.clone(), cached.clone());
        }
        cached
    }
}

async fn provision(db: &PgPool, token: &VerifiedToken) -> Result<Provisioned, ApiError> {
    let email = normalize_email(&token.email);
    let who = accounts::Identity {
        uid: &token.sub,
        email: &email,
        role: token.role,
        name: &token.name,
    };
    accounts::provision(db, &who).await.map_err(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_tokens_are_taken() {
        let mut h = http::HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        for (value, want) in [
            ("Bearer abc.def.ghi", Some("abc.def.ghi")),
            ("bearer   abc ", Some("abc")),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer ", None),
            ("abc.def.ghi", None),
        ] {
            h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer_token(&h), want, "{value}");
        }
    }
}
