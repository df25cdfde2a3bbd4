//! Accounts: what identity needs from the database beyond [`super::users`] — provisioning a
//! caller on first sight (decision 15), the embedded provider's credentials and sessions, and
//! password-reset codes.
//!
//! # The `innova_local` schema
//!
//! The embedded identity provider keeps its refresh tokens in `innova_local.refresh_tokens`,
//! created by [`ensure_local_schema`] when the provider first needs it. It is a schema of its
//! own because the `public` schema must stay exactly the reference's (a test compares them,
//! and `migrate --baseline` adopts databases the reference created): local-only state must not
//! add tables there, and a database served by Supabase never gets this schema at all.
//! Password hashes and reset codes use the reference's own `users` columns
//! (`password_hash`, `password_reset_token_hash`, `password_reset_expires_at`,
//! `token_version`).

use chrono::NaiveDateTime;
use innova_domain::ids::{ParentId, TeacherId, UserId};
use sqlx::{Executor, PgExecutor, PgPool};

use super::users::{self, UserRow};
use super::{DbError, DbResult, new_id};
use innova_domain::access::{Profile, Role};

const USER_COLUMNS: &str = "id, supabase_uid, email, auth_role, full_name, locale, token_version, \
                            created_at, updated_at, deleted_at";

/// Display name given to a student profile when nothing better is known (the reference's
/// placeholder; a later sign-in with a name replaces it).
pub const STUDENT_PLACEHOLDER_NAME: &str = "Nuevo Alumno";

// ---- provisioning --------------------------------------------------------------------------

/// Who signed in, as the token says.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    /// The provider's id (`sub`).
    pub uid: &'a str,
    /// Normalised (trimmed, lowercase).
    pub email: &'a str,
    pub role: Role,
    pub name: &'a str,
}

/// The caller's rows after provisioning.
#[derive(Debug, Clone, PartialEq)]
pub struct Provisioned {
    pub user: UserRow,
    /// The profile of the token's role (admins: none).
    pub profile: Profile,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The email belongs to another account already linked to a different provider id.
    #[error("the email {0} belongs to another account")]
    EmailTaken(String),
    /// The user row is soft-deleted.
    #[error("the account is disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Makes sure the caller has a `users` row and the profile row of their role, and returns
/// them. Idempotent and race-safe (`INSERT … ON CONFLICT DO NOTHING`, then read); writes
/// nothing when everything exists. A `users` row with the same email and no provider id is
/// linked to this one; with a different provider id it is [`ProvisionError::EmailTaken`].
pub async fn provision(pool: &PgPool, who: &Identity<'_>) -> Result<Provisioned, ProvisionError> {
    let user = match users::user_by_supabase_uid(pool, who.uid).await? {
        Some(user) => user,
        None => match insert_user_if_absent(
            pool,
            Some(who.uid),
            who.email,
            Some(who.role.as_str()),
            None,
        )
        .await?
        {
            Some(user) => user,
            // Lost a race for the same uid, or the email is taken.
            None => match users::user_by_supabase_uid(pool, who.uid).await? {
                Some(user) => user,
                None => match link_by_email(pool, who.email, who.uid).await? {
                    Some(user) => user,
                    None => return Err(ProvisionError::EmailTaken(who.email.to_owned())),
                },
            },
        },
    };
    if user.deleted_at.is_some() {
        return Err(ProvisionError::Disabled);
    }
    let profile = ensure_profile(pool, &user.id, who.role, who.name).await?;
    Ok(Provisioned { user, profile })
}

/// Inserts a user unless the uid or the email is taken (`None` then).
pub async fn insert_user_if_absent(
    exec: impl PgExecutor<'_>,
    uid: Option<&str>,
    email: &str,
    role: Option<&str>,
    password_hash: Option<&str>,
) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO users (id, supabase_uid, email, auth_role, password_hash, updated_at)
         VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP)
         ON CONFLICT DO NOTHING
         RETURNING {USER_COLUMNS}"
    ))
    .bind(new_id())
    .bind(uid)
    .bind(email)
    .bind(role)
    .bind(password_hash)
    .fetch_optional(exec)
    .await?)
}

/// Gives the user with this email the provider id `uid`, if it has none yet.
pub async fn link_by_email(
    exec: impl PgExecutor<'_>,
    email: &str,
    uid: &str,
) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE users SET supabase_uid = $2, updated_at = CURRENT_TIMESTAMP
         WHERE email = $1 AND supabase_uid IS NULL
         RETURNING {USER_COLUMNS}"
    ))
    .bind(email)
    .bind(uid)
    .fetch_optional(exec)
    .await?)
}

/// Gives the user `user_id` the provider id `uid` if it has none; returns its uid either way.
pub async fn ensure_uid(pool: &PgPool, user_id: &UserId, uid: &str) -> DbResult<String> {
    let linked: Option<String> = sqlx::query_scalar(
        "UPDATE users SET supabase_uid = $2, updated_at = CURRENT_TIMESTAMP
         WHERE id = $1 AND supabase_uid IS NULL RETURNING supabase_uid",
    )
    .bind(user_id)
    .bind(uid)
    .fetch_optional(pool)
    .await?;
    if let Some(uid) = linked {
        return Ok(uid);
    }
    users::user_by_id(pool, user_id)
        .await?
        .and_then(|u| u.supabase_uid)
        .ok_or_else(|| DbError::not_found("user", user_id))
}

/// The profile row of `role` for the user, created when missing (`ON CONFLICT DO NOTHING` on
/// the unique `user_id`). A student profile still named with the placeholder gets `name`.
pub async fn ensure_profile(
    pool: &PgPool,
    user_id: &UserId,
    role: Role,
    name: &str,
) -> DbResult<Profile> {
    let name = Some(name.trim()).filter(|n| !n.is_empty());
    match role {
        Role::Teacher => Ok(ensure_plain_profile(pool, "teachers", user_id, name)
            .await?
            .map_or(Profile::None, |id| Profile::Teacher(TeacherId::new(id)))),
        Role::Parent => Ok(ensure_plain_profile(pool, "parents", user_id, name)
            .await?
            .map_or(Profile::None, |id| Profile::Parent(ParentId::new(id)))),
        Role::Student => {
            if let Some(s) = users::student_by_user_id(pool, user_id).await? {
                if s.display_name == STUDENT_PLACEHOLDER_NAME
                    && let Some(name) = name
                {
                    sqlx::query(
                        "UPDATE students SET display_name = $2
                         WHERE id = $1 AND display_name = $3",
                    )
                    .bind(&s.id)
                    .bind(name)
                    .bind(STUDENT_PLACEHOLDER_NAME)
                    .execute(pool)
                    .await?;
                }
                return Ok(Profile::Student(s.id));
            }
            sqlx::query(
                "INSERT INTO students (id, user_id, display_name) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(new_id())
            .bind(user_id)
            .bind(name.unwrap_or(STUDENT_PLACEHOLDER_NAME))
            .execute(pool)
            .await?;
            Ok(users::student_by_user_id(pool, user_id)
                .await?
                .map_or(Profile::None, |s| Profile::Student(s.id)))
        }
        Role::Admin => Ok(Profile::None),
    }
}

/// The id of the user's row in a profile table without extra rules (`teachers`, `parents`),
/// created when missing.
async fn ensure_plain_profile(
    pool: &PgPool,
    table: &'static str,
    user_id: &UserId,
    name: Option<&str>,
) -> DbResult<Option<String>> {
    let find = format!("SELECT id FROM {table} WHERE user_id = $1");
    if let Some(id) = sqlx::query_scalar(&find)
        .bind(user_id)
        .fetch_optional(pool)
        .await?
    {
        return Ok(Some(id));
    }
    sqlx::query(&format!(
        "INSERT INTO {table} (id, user_id, display_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    ))
    .bind(new_id())
    .bind(user_id)
    .bind(name)
    .execute(pool)
    .await?;
    Ok(sqlx::query_scalar(&find)
        .bind(user_id)
        .fetch_optional(pool)
        .await?)
}

// ---- credentials (embedded provider) --------------------------------------------------------

/// What the embedded provider needs to sign someone in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub user_id: UserId,
    pub supabase_uid: Option<String>,
    pub email: String,
    pub password_hash: Option<String>,
    pub auth_role: Option<String>,
    pub deleted_at: Option<NaiveDateTime>,
    /// `users.full_name`, else the display name of a profile row.
    pub display_name: Option<String>,
}

const CREDENTIALS: &str =
    "SELECT u.id AS user_id, u.supabase_uid, u.email, u.password_hash, u.auth_role,
            u.deleted_at,
            COALESCE(NULLIF(u.full_name, ''),
                     (SELECT display_name FROM teachers WHERE user_id = u.id),
                     (SELECT display_name FROM students WHERE user_id = u.id),
                     (SELECT display_name FROM parents WHERE user_id = u.id)) AS display_name
     FROM users u";

pub async fn credentials_by_email(
    exec: impl PgExecutor<'_>,
    email: &str,
) -> DbResult<Option<Credentials>> {
    Ok(sqlx::query_as(&format!("{CREDENTIALS} WHERE u.email = $1"))
        .bind(email)
        .fetch_optional(exec)
        .await?)
}

pub async fn credentials_by_user_id(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
) -> DbResult<Option<Credentials>> {
    Ok(sqlx::query_as(&format!("{CREDENTIALS} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(exec)
        .await?)
}

/// Sets a new password hash and clears any reset code.
pub async fn set_password_hash(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
    hash: &str,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, password_reset_token_hash = NULL,
                password_reset_expires_at = NULL, updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash)
    .execute(exec)
    .await?;
    Ok(())
}

/// Increments `token_version` (the reference's session generation; bumped when a password
/// reset revokes the sessions).
pub async fn bump_token_version(exec: impl PgExecutor<'_>, user_id: &UserId) -> DbResult<()> {
    sqlx::query("UPDATE users SET token_version = token_version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = $1")
        .bind(user_id)
        .execute(exec)
        .await?;
    Ok(())
}

// ---- password-reset codes --------------------------------------------------------------------

/// Stores the hash of a new reset code (replacing any earlier one) valid until `expires_at`.
pub async fn set_reset_code(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
    code_hash: &str,
    expires_at: NaiveDateTime,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE users SET password_reset_token_hash = $2, password_reset_expires_at = $3,
                updated_at = CURRENT_TIMESTAMP
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(expires_at)
    .execute(exec)
    .await?;
    Ok(())
}

/// Uses up a reset code: when `email` has exactly this code hash and it has not expired at
/// `now`, clears it (single use) and returns the user. Anything else returns `None`.
pub async fn take_reset_code(
    exec: impl PgExecutor<'_>,
    email: &str,
    code_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE users SET password_reset_token_hash = NULL, password_reset_expires_at = NULL,
                updated_at = CURRENT_TIMESTAMP
         WHERE email = $1 AND password_reset_token_hash = $2 AND password_reset_expires_at > $3
           AND deleted_at IS NULL
         RETURNING {USER_COLUMNS}"
    ))
    .bind(email)
    .bind(code_hash)
    .bind(now)
    .fetch_optional(exec)
    .await?)
}

// ---- refresh tokens (embedded provider, schema innova_local) --------------------------------

/// Creates the embedded provider's schema and table if missing (see the module docs for why
/// they are not in `public`).
pub async fn ensure_local_schema(pool: &PgPool) -> DbResult<()> {
    pool.execute(sqlx::raw_sql(
        "CREATE SCHEMA IF NOT EXISTS innova_local;
         CREATE TABLE IF NOT EXISTS innova_local.refresh_tokens (
             token_hash text PRIMARY KEY,
             user_id    text NOT NULL,
             created_at timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
             expires_at timestamp(3) NOT NULL,
             revoked_at timestamp(3)
         );
         CREATE INDEX IF NOT EXISTS refresh_tokens_user_id_idx
             ON innova_local.refresh_tokens (user_id);",
    ))
    .await?;
    Ok(())
}

/// Stores a refresh token (its SHA-256 only).
pub async fn insert_refresh_token(
    exec: impl PgExecutor<'_>,
    token_hash: &str,
    user_id: &UserId,
    expires_at: NaiveDateTime,
) -> DbResult<()> {
    sqlx::query("INSERT INTO innova_local.refresh_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .execute(exec)
        .await?;
    Ok(())
}

/// Uses up a refresh token (rotation: each one works once): revokes it and returns its user
/// when it was live at `now`.
pub async fn use_refresh_token(
    exec: impl PgExecutor<'_>,
    token_hash: &str,
    now: NaiveDateTime,
) -> DbResult<Option<UserId>> {
    Ok(sqlx::query_scalar(
        "UPDATE innova_local.refresh_tokens SET revoked_at = $2
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
         RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(exec)
    .await?)
}

/// Revokes every live refresh token of a user; returns how many.
pub async fn revoke_refresh_tokens(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
    now: NaiveDateTime,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "UPDATE innova_local.refresh_tokens SET revoked_at = $2
         WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(exec)
    .await?
    .rows_affected())
}
