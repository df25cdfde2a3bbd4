//! Users and their role profiles (teachers, students, parents), parent links, course teachers and
//! enrollments: the rows the authorization layer resolves a caller against.

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId, UserId};
use sqlx::PgExecutor;

use super::{DbError, DbResult, new_id};

/// Login identity (`users`). Password columns are left out on purpose: they are leftovers of
/// the reference's local auth and nothing reads them.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub supabase_uid: Option<String>,
    pub email: String,
    pub auth_role: Option<String>,
    pub full_name: Option<String>,
    pub locale: String,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

const USER_COLUMNS: &str = "id, supabase_uid, email, auth_role, full_name, locale, token_version, \
                            created_at, updated_at, deleted_at";

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub supabase_uid: Option<String>,
    pub email: String,
    /// `admin`, `teacher`, `student` or `parent` (mirrors the identity provider's role).
    pub auth_role: Option<String>,
    pub full_name: Option<String>,
    /// Only the seed writes one (a placeholder, data-model.md §5.1).
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TeacherRow {
    pub id: TeacherId,
    pub user_id: UserId,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StudentRow {
    pub id: StudentId,
    /// Null until a roster-synced student activates an account.
    pub user_id: Option<UserId>,
    pub external_email: Option<String>,
    pub display_name: String,
    pub birth_year: Option<i32>,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ParentRow {
    pub id: ParentId,
    pub user_id: UserId,
    pub display_name: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ParentLinkRow {
    pub parent_id: ParentId,
    pub student_id: StudentId,
    /// PADRE, MADRE or TUTOR.
    pub relationship: String,
    /// Only confirmed links grant a parent access.
    pub confirmed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CourseTeacherRow {
    pub course_id: CourseId,
    pub teacher_id: TeacherId,
    /// LEAD or ASSISTANT.
    pub role: String,
    pub added_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EnrollmentRow {
    pub id: String,
    pub course_id: CourseId,
    pub student_id: StudentId,
    /// ACTIVE, TRANSFERRED or LEFT.
    pub status: String,
    pub joined_at: NaiveDateTime,
    pub left_at: Option<NaiveDateTime>,
}

/// Enrollment status that grants a student access to a course.
pub const ENROLLMENT_ACTIVE: &str = "ACTIVE";

// ---- users ---------------------------------------------------------------------------------

pub async fn user_by_id(exec: impl PgExecutor<'_>, id: &UserId) -> DbResult<Option<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(exec)
            .await?,
    )
}

/// The user whose identity-provider id (`sub`) is `supabase_uid`.
pub async fn user_by_supabase_uid(
    exec: impl PgExecutor<'_>,
    supabase_uid: &str,
) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE supabase_uid = $1"
    ))
    .bind(supabase_uid)
    .fetch_optional(exec)
    .await?)
}

/// Exact match: the unique index is on `email` as stored, so callers normalise first.
pub async fn user_by_email(exec: impl PgExecutor<'_>, email: &str) -> DbResult<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(exec)
    .await?)
}

/// Inserts a user; a taken email or supabase uid is a [`DbError::Conflict`] naming it.
pub async fn insert_user(exec: impl PgExecutor<'_>, user: &NewUser) -> DbResult<UserRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO users (id, supabase_uid, email, auth_role, full_name, password_hash, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP)
         RETURNING {USER_COLUMNS}"
    ))
    .bind(new_id())
    .bind(&user.supabase_uid)
    .bind(&user.email)
    .bind(&user.auth_role)
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .fetch_one(exec)
    .await?)
}

/// Creates the user, or (same `supabase_uid`) re-sets its email and role, like the reference
/// seed. `supabase_uid` is required.
pub async fn upsert_user_by_supabase_uid(
    exec: impl PgExecutor<'_>,
    user: &NewUser,
) -> DbResult<UserRow> {
    if user.supabase_uid.is_none() {
        return Err(DbError::Invalid {
            field: "supabaseUid".into(),
            message: "is required for an upsert".into(),
        });
    }
    Ok(sqlx::query_as(&format!(
        "INSERT INTO users (id, supabase_uid, email, auth_role, full_name, password_hash, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP)
         ON CONFLICT (supabase_uid) DO UPDATE
            SET email = EXCLUDED.email, auth_role = EXCLUDED.auth_role,
                updated_at = EXCLUDED.updated_at
         RETURNING {USER_COLUMNS}"
    ))
    .bind(new_id())
    .bind(&user.supabase_uid)
    .bind(&user.email)
    .bind(&user.auth_role)
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .fetch_one(exec)
    .await?)
}

/// Sets the role a user has at the identity provider.
pub async fn set_user_role(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
    role: Option<&str>,
) -> DbResult<UserRow> {
    sqlx::query_as(&format!(
        "UPDATE users SET auth_role = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $1
         RETURNING {USER_COLUMNS}"
    ))
    .bind(user_id)
    .bind(role)
    .fetch_optional(exec)
    .await?
    .ok_or_else(|| DbError::not_found("user", user_id))
}

// ---- profiles ------------------------------------------------------------------------------

pub async fn teacher_by_id(
    exec: impl PgExecutor<'_>,
    id: &TeacherId,
) -> DbResult<Option<TeacherRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, display_name, bio, created_at FROM teachers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The teacher profile of a user.
pub async fn teacher_by_user_id(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
) -> DbResult<Option<TeacherRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, display_name, bio, created_at FROM teachers WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(exec)
    .await?)
}

const STUDENT_COLUMNS: &str =
    "id, user_id, external_email, display_name, birth_year, created_at, deleted_at";

/// A student by id, soft-deleted ones included (history stays readable).
pub async fn student_by_id(
    exec: impl PgExecutor<'_>,
    id: &StudentId,
) -> DbResult<Option<StudentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STUDENT_COLUMNS} FROM students WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

/// The student profile of a user; a soft-deleted profile does not count (it grants nothing).
pub async fn student_by_user_id(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
) -> DbResult<Option<StudentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {STUDENT_COLUMNS} FROM students WHERE user_id = $1 AND deleted_at IS NULL"
    ))
    .bind(user_id)
    .fetch_optional(exec)
    .await?)
}

pub async fn parent_by_id(exec: impl PgExecutor<'_>, id: &ParentId) -> DbResult<Option<ParentRow>> {
    Ok(
        sqlx::query_as("SELECT id, user_id, display_name, created_at FROM parents WHERE id = $1")
            .bind(id)
            .fetch_optional(exec)
            .await?,
    )
}

/// The parent profile of a user.
pub async fn parent_by_user_id(
    exec: impl PgExecutor<'_>,
    user_id: &UserId,
) -> DbResult<Option<ParentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, display_name, created_at FROM parents WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(exec)
    .await?)
}

/// Creates or updates a teacher profile with a known id.
pub async fn upsert_teacher(
    exec: impl PgExecutor<'_>,
    id: &TeacherId,
    user_id: &UserId,
    display_name: Option<&str>,
) -> DbResult<TeacherRow> {
    Ok(sqlx::query_as(
        "INSERT INTO teachers (id, user_id, display_name) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE
            SET user_id = EXCLUDED.user_id, display_name = EXCLUDED.display_name
         RETURNING id, user_id, display_name, bio, created_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(display_name)
    .fetch_one(exec)
    .await?)
}

/// Creates or updates a student profile with a known id.
pub async fn upsert_student(
    exec: impl PgExecutor<'_>,
    id: &StudentId,
    user_id: Option<&UserId>,
    display_name: &str,
) -> DbResult<StudentRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO students (id, user_id, display_name) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE
            SET user_id = EXCLUDED.user_id, display_name = EXCLUDED.display_name
         RETURNING {STUDENT_COLUMNS}"
    ))
    .bind(id)
    .bind(user_id)
    .bind(display_name)
    .fetch_one(exec)
    .await?)
}

/// Creates or updates a parent profile with a known id.
pub async fn upsert_parent(
    exec: impl PgExecutor<'_>,
    id: &ParentId,
    user_id: &UserId,
    display_name: Option<&str>,
) -> DbResult<ParentRow> {
    Ok(sqlx::query_as(
        "INSERT INTO parents (id, user_id, display_name) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE
            SET user_id = EXCLUDED.user_id, display_name = EXCLUDED.display_name
         RETURNING id, user_id, display_name, created_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(display_name)
    .fetch_one(exec)
    .await?)
}

// ---- parent links --------------------------------------------------------------------------

/// Creates or updates a parent ↔ student link. An existing confirmation is kept (a link is
/// never un-confirmed by an upsert); `confirmed_at` confirms an unconfirmed one.
pub async fn upsert_parent_link(
    exec: impl PgExecutor<'_>,
    parent_id: &ParentId,
    student_id: &StudentId,
    relationship: &str,
    confirmed_at: Option<NaiveDateTime>,
) -> DbResult<ParentLinkRow> {
    Ok(sqlx::query_as(
        "INSERT INTO parent_links (parent_id, student_id, relationship, confirmed_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (parent_id, student_id) DO UPDATE
            SET relationship = EXCLUDED.relationship,
                confirmed_at = COALESCE(parent_links.confirmed_at, EXCLUDED.confirmed_at)
         RETURNING parent_id, student_id, relationship, confirmed_at",
    )
    .bind(parent_id)
    .bind(student_id)
    .bind(relationship)
    .bind(confirmed_at)
    .fetch_one(exec)
    .await?)
}

/// True when the parent has a **confirmed** link to the student (the only kind that grants
/// access, decisions.md scope matrix).
pub async fn has_confirmed_link(
    exec: impl PgExecutor<'_>,
    parent_id: &ParentId,
    student_id: &StudentId,
) -> DbResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM parent_links
                        WHERE parent_id = $1 AND student_id = $2 AND confirmed_at IS NOT NULL)",
    )
    .bind(parent_id)
    .bind(student_id)
    .fetch_one(exec)
    .await?)
}

/// The students a parent may see (confirmed links only), ordered by display name.
pub async fn confirmed_students_of_parent(
    exec: impl PgExecutor<'_>,
    parent_id: &ParentId,
) -> DbResult<Vec<StudentRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.user_id, s.external_email, s.display_name, s.birth_year, s.created_at,
                s.deleted_at
         FROM parent_links pl JOIN students s ON s.id = pl.student_id
         WHERE pl.parent_id = $1 AND pl.confirmed_at IS NOT NULL AND s.deleted_at IS NULL
         ORDER BY s.display_name, s.id",
    )
    .bind(parent_id)
    .fetch_all(exec)
    .await?)
}

// ---- course teachers and enrollments --------------------------------------------------------

/// Makes a teacher a teacher of a course (or changes their role there).
pub async fn add_course_teacher(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
    teacher_id: &TeacherId,
    role: &str,
) -> DbResult<CourseTeacherRow> {
    Ok(sqlx::query_as(
        "INSERT INTO course_teachers (course_id, teacher_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (course_id, teacher_id) DO UPDATE SET role = EXCLUDED.role
         RETURNING course_id, teacher_id, role, added_at",
    )
    .bind(course_id)
    .bind(teacher_id)
    .bind(role)
    .fetch_one(exec)
    .await?)
}

/// True when the teacher teaches the course (any role).
pub async fn is_course_teacher(
    exec: impl PgExecutor<'_>,
    teacher_id: &TeacherId,
    course_id: &CourseId,
) -> DbResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM course_teachers WHERE teacher_id = $1 AND course_id = $2)",
    )
    .bind(teacher_id)
    .bind(course_id)
    .fetch_one(exec)
    .await?)
}

/// Ids of the courses a teacher teaches, ordered.
pub async fn course_ids_of_teacher(
    exec: impl PgExecutor<'_>,
    teacher_id: &TeacherId,
) -> DbResult<Vec<CourseId>> {
    Ok(sqlx::query_scalar(
        "SELECT course_id FROM course_teachers WHERE teacher_id = $1 ORDER BY course_id",
    )
    .bind(teacher_id)
    .fetch_all(exec)
    .await?)
}

/// Enrolls a student in a course, or re-activates an enrollment that was left/transferred
/// (joining again through an invite should just work).
pub async fn enroll(
    exec: impl PgExecutor<'_>,
    course_id: &CourseId,
    student_id: &StudentId,
) -> DbResult<EnrollmentRow> {
    Ok(sqlx::query_as(
        "INSERT INTO enrollments (id, course_id, student_id, status) VALUES ($1, $2, $3, 'ACTIVE')
         ON CONFLICT (course_id, student_id) DO UPDATE SET status = 'ACTIVE', left_at = NULL
         RETURNING id, course_id, student_id, status, joined_at, left_at",
    )
    .bind(new_id())
    .bind(course_id)
    .bind(student_id)
    .fetch_one(exec)
    .await?)
}

/// True when the student is enrolled in the course; with `active_only`, only an ACTIVE
/// enrollment counts.
pub async fn is_enrolled(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    course_id: &CourseId,
    active_only: bool,
) -> DbResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM enrollments
                        WHERE student_id = $1 AND course_id = $2
                          AND (NOT $3 OR status = 'ACTIVE'))",
    )
    .bind(student_id)
    .bind(course_id)
    .bind(active_only)
    .fetch_one(exec)
    .await?)
}

/// The student's enrollments, ordered by join date.
pub async fn enrollments_of_student(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
) -> DbResult<Vec<EnrollmentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, course_id, student_id, status, joined_at, left_at FROM enrollments
         WHERE student_id = $1 ORDER BY joined_at, id",
    )
    .bind(student_id)
    .fetch_all(exec)
    .await?)
}

/// True when the teacher teaches a course in which the student has an ACTIVE enrollment
/// ("a teacher of the student"; a student who left the course is no longer theirs).
pub async fn teaches_student(
    exec: impl PgExecutor<'_>,
    teacher_id: &TeacherId,
    student_id: &StudentId,
) -> DbResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM course_teachers ct
                        JOIN enrollments e ON e.course_id = ct.course_id
                        WHERE ct.teacher_id = $1 AND e.student_id = $2 AND e.status = 'ACTIVE')",
    )
    .bind(teacher_id)
    .bind(student_id)
    .fetch_one(exec)
    .await?)
}
