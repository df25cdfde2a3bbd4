//! Authentication for handlers; authorization is the use cases' ([`innova_app::authz`]).
//!
//! ```ignore
//! pub async fn of_student(rqctx: RequestContext<ApiContext>, path: Path<StudentPath>) -> ApiOk<Vec<TopicMastery>> {
//!     let permit = auth::admit::<op::MasteryStudent>(&rqctx).await?;  // 401, then 403 for the role
//!     let student_id = path.into_inner().student_id;
//!     let rows = mastery::of_student(rqctx.context(), &permit, &student_id).await?;  // checks the student
//!     envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
//! }
//! ```
//!
//! * [`authenticate`]: the bearer token → a [`Caller`] (401 on any token problem). The first
//!   request of a user provisions their `users` row and role profile (decision 15); later ones
//!   are served from an in-memory cache keyed by `sub` ([`innova_app::auth::Callers`]), so
//!   requests do not write.
//! * [`admit`]: [`authenticate`] plus the role rule of the route's operation — before the body
//!   is read, so a caller without access learns nothing from a body's validation — giving the
//!   use case its [`Permit`].

pub mod rate_limit;

use dropshot::RequestContext;
pub use innova_app::authz::{Actor, Caller, Operation, Permit, Profile, Role};

use crate::context::ApiContext;
use crate::error::ApiError;

/// The 401 of the guard, as the reference answered it (`Unauthorized`, code `HTTP_ERROR`).
pub fn unauthorized() -> ApiError {
    ApiError::unauthorized("Unauthorized")
        .with_code("HTTP_ERROR")
        .with_header(http::header::WWW_AUTHENTICATE, "Bearer")
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
    let verified = ctx
        .accounts
        .identity
        .verifier
        .verify(token)
        .await
        .map_err(|e| {
            tracing::debug!(reason = %e, "token refused");
            unauthorized()
        })?;
    Ok(ctx
        .accounts
        .callers
        .caller(&ctx.db, &verified, token)
        .await?)
}

/// The permit to run `O` for the caller of this request: [`authenticate`], then `O`'s role rule
/// (403 `Forbidden resource`). The handler of operation `O` names `O`; a handler naming another
/// operation's rule is a bug, answered 500 (and caught by the authorization matrix).
pub async fn admit<O: Operation>(
    rqctx: &RequestContext<ApiContext>,
) -> Result<Permit<O>, ApiError> {
    let operation = rqctx.endpoint.operation_id.as_str();
    if operation != O::POLICY.operation {
        return Err(ApiError::internal(format!(
            "the handler of {operation} admits to {}",
            O::POLICY.operation
        )));
    }
    let caller = authenticate(rqctx).await?;
    Ok(Permit::admit(Actor::User(caller))?)
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
