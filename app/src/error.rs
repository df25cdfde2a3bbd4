//! The use cases' error: what went wrong in terms a caller can act on. `api-server` maps it to
//! HTTP in one place (`ApiError: From<AppError>`), the workers to "message failed" in one place.

use innova_core::db::DbError;

/// A use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input breaks a rule; one message per offending field (`field …`).
    #[error("invalid input: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// No valid credentials: a bad password, refresh token or reset code, a disabled account.
    #[error("{0}")]
    Unauthorized(String),
    /// The identity provider refused the request's content (e.g. a password it considers too
    /// weak): its message, as it is.
    #[error("{0}")]
    Rejected(String),
    /// The caller may not do this: a role the route's rule does not admit, or a resource none of
    /// its grants reaches (the message says which).
    #[error("{0}")]
    Forbidden(String),
    /// The addressed thing does not exist (the message names it).
    #[error("{0}")]
    NotFound(String),
    /// The input is well formed but refers to something that does not exist or does not belong
    /// where it is used (a topic of another course); the message names the field.
    #[error("{0}")]
    Unprocessable(String),
    /// The request contradicts what is stored (a reused idempotency key, a state transition).
    #[error("{0}")]
    Conflict(String),
    /// Work that had to be queued or done by a provider could not be, for now: retrying the
    /// same request later can succeed (nothing is half-written).
    #[error("{0}")]
    Unavailable(String),
    /// A provider answered, but with nothing usable.
    #[error("{0}")]
    Upstream(String),
    /// A database failure; the client-caused ones (missing references, duplicates) keep their
    /// meaning through [`DbError`].
    #[error(transparent)]
    Db(#[from] DbError),
    /// A broken invariant: stored data this code cannot read, a bug.
    #[error("{0}")]
    Internal(String),
}

/// A use case's result.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field_message: impl Into<String>) -> Self {
        AppError::Invalid(vec![field_message.into()])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// Whether retrying the same work later may succeed (the workers let such messages be
    /// redelivered; the others are poison and go to the dead-letter queue after their retries).
    pub fn is_transient(&self) -> bool {
        match self {
            AppError::Unavailable(_) | AppError::Upstream(_) => true,
            AppError::Db(e) => !e.is_client_error(),
            _ => false,
        }
    }
}
