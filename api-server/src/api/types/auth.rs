//! `/auth/*`: accounts, sessions and password resets at the identity provider.

use innova_domain::access::Role;
use innova_domain::ids::UserId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::enums::RoleName;
use crate::validate::{Problems, Validate};

/// Minimum password length (the reference's validation).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (bounds the hashing work a request can cause).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Longest refresh token looked at; longer ones are refused without asking the provider.
pub const MAX_REFRESH_TOKEN_LEN: usize = innova_app::auth::MAX_REFRESH_TOKEN_LEN;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterRequest {
    #[schemars(email)]
    pub email: String,
    /// At least 8 characters.
    #[schemars(length(min = 8, max = 1024))]
    pub password: String,
    /// `student`, `teacher` or `parent` (never `admin`).
    #[schemars(schema_with = "registrable_role_schema")]
    pub role: String,
}

impl RegisterRequest {
    /// The role asked for, when it is one a user may give themselves (never `admin`).
    pub fn role(&self) -> Option<Role> {
        match self.role.as_str() {
            "student" => Some(Role::Student),
            "teacher" => Some(Role::Teacher),
            "parent" => Some(Role::Parent),
            _ => None,
        }
    }
}

impl Validate for RegisterRequest {
    fn validate(&self, p: &mut Problems) {
        p.email("email", &self.email);
        p.chars_between(
            "password",
            &self.password,
            MIN_PASSWORD_LEN,
            MAX_PASSWORD_LEN,
        );
        p.check(self.role().is_some(), || {
            "role must be one of the following values: student, teacher, parent".into()
        });
    }
}

fn registrable_role_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        enum_values: Some(vec!["student".into(), "teacher".into(), "parent".into()]),
        ..Default::default()
    }
    .into()
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginRequest {
    #[schemars(email)]
    pub email: String,
    #[schemars(length(min = 1, max = 1024))]
    pub password: String,
}

impl Validate for LoginRequest {
    fn validate(&self, p: &mut Problems) {
        p.email("email", &self.email);
        if self.password.is_empty() {
            p.check(false, || "password should not be empty".into());
        } else {
            p.chars_between("password", &self.password, 1, MAX_PASSWORD_LEN);
        }
    }
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    #[schemars(length(min = 1))]
    pub refresh_token: String,
}

impl Validate for RefreshRequest {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("refreshToken", &self.refresh_token);
    }
}

/// `POST /auth/forgot-password`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ForgotPasswordRequest {
    #[schemars(email)]
    pub email: String,
}

impl Validate for ForgotPasswordRequest {
    fn validate(&self, p: &mut Problems) {
        p.email("email", &self.email);
    }
}

/// `POST /auth/confirm-forgot-password`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfirmForgotPasswordRequest {
    #[schemars(email)]
    pub email: String,
    /// The code from the reset link's `token` (base64url JSON `{email, code}`).
    #[schemars(length(min = 1))]
    pub code: String,
    /// At least 8 characters.
    #[schemars(length(min = 8, max = 1024))]
    pub new_password: String,
}

impl Validate for ConfirmForgotPasswordRequest {
    fn validate(&self, p: &mut Problems) {
        p.email("email", &self.email);
        p.not_blank("code", &self.code);
        p.chars_between(
            "newPassword",
            &self.new_password,
            MIN_PASSWORD_LEN,
            MAX_PASSWORD_LEN,
        );
    }
}

/// The user of a session.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    /// `users.id`.
    pub id: UserId,
    pub email: String,
    pub role: RoleName,
    /// Teacher id for teachers, parent id for parents, otherwise the student id (also for
    /// admins, as the reference); null when there is none.
    pub profile_id: Option<String>,
    /// The identity provider's user id (the tokens' `sub`).
    pub supabase_uid: Option<String>,
    pub token_version: i32,
}

/// Tokens and the signed-in user (`register`, `login`, `refresh`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Bearer token for every protected route.
    pub access_token: String,
    /// Single use: `refresh` returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token.
    pub expires_in_seconds: u64,
    pub user: SessionUser,
}

/// The current user.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// `users.id`.
    pub id: UserId,
    pub email: String,
    /// From the token's metadata, else the email's local part.
    pub name: String,
    pub role: RoleName,
    /// As in [`SessionUser::profile_id`].
    pub profile_id: Option<String>,
}
