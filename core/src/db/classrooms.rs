//! Courses ("classrooms") and their invitations (`courses`, `classroom_invites`): creating a
//! course, a teacher's and a student's courses, archiving, invitation codes and the join.
//! Course teachers and enrollments themselves are in [`super::users`].

use chrono::NaiveDateTime;
use innova_domain::ids::{CourseId, StudentId, TeacherId};
use sqlx::PgExecutor;

use super::{DbResult, PgConnection, new_id};

/// A course row as the reference returned it (`Course`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CourseRow {
    pub id: CourseId,
    pub school_id: String,
    pub subject_id: String,
    pub name: String,
    pub grade_level: i32,
    pub letter: Option<String>,
    pub academic_year: i32,
    pub external_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

const COURSE_COLUMNS: &str = "c.id, c.school_id, c.subject_id, c.name, c.grade_level, c.letter, \
     c.academic_year, c.external_id, c.created_at, c.archived_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubjectRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub language: String,
}

/// A course to create.
#[derive(Debug, Clone)]
pub struct NewCourse<'a> {
    pub school_id: &'a str,
    pub subject_id: &'a str,
    pub name: &'a str,
    pub grade_level: i32,
    pub letter: Option<&'a str>,
    pub academic_year: i32,
}

/// An invitation to join a course by code.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InviteRow {
    pub id: String,
    pub code: String,
    pub course_id: CourseId,
    /// The inviting teacher's `teachers.id` (no foreign key in the reference schema).
    pub created_by: String,
    /// `None`: never expires (invitations the reference made).
    pub expires_at: Option<NaiveDateTime>,
    /// `None`: unlimited.
    pub max_uses: Option<i32>,
    pub use_count: i32,
    pub created_at: NaiveDateTime,
}

const INVITE_COLUMNS: &str =
    "i.id, i.code, i.course_id, i.created_by, i.expires_at, i.max_uses, i.use_count, i.created_at";

/// An invitation to create.
#[derive(Debug, Clone)]
pub struct NewInvite<'a> {
    pub course_id: &'a CourseId,
    pub created_by: &'a str,
    /// Valid for this long from now (the database's clock); `None`: never expires.
    pub ttl_seconds: Option<i64>,
    pub max_uses: Option<i32>,
}

/// An invitation locked for a join, with what the join decides on, all read in one statement.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LockedInvite {
    #[sqlx(flatten)]
    pub invite: InviteRow,
    /// The database's clock at the start of the transaction (the one `expires_at` was set by).
    pub now: NaiveDateTime,
    pub course_archived: bool,
}

// ---- courses ---------------------------------------------------------------------------------

pub async fn course_by_id(exec: impl PgExecutor<'_>, id: &CourseId) -> DbResult<Option<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

pub async fn subject_by_code(
    exec: impl PgExecutor<'_>,
    code: &str,
) -> DbResult<Option<SubjectRow>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, language FROM subjects WHERE code = $1")
            .bind(code)
            .fetch_optional(exec)
            .await?,
    )
}

/// The school a teacher's new course belongs to: the school of the course they were most
/// recently added to, else the oldest school (the reference took "the first school", which on
/// a one-school database is the same). `None` when there is no school at all.
pub async fn school_for_teacher(
    exec: impl PgExecutor<'_>,
    teacher_id: &TeacherId,
) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT school_id FROM (
             (SELECT c.school_id, 0 AS rank, ct.added_at AS at, c.id AS tie
              FROM course_teachers ct JOIN courses c ON c.id = ct.course_id
              WHERE ct.teacher_id = $1
              ORDER BY ct.added_at DESC, c.id DESC LIMIT 1)
             UNION ALL
             (SELECT s.id, 1, s.created_at, s.id FROM schools s
              ORDER BY s.created_at, s.id LIMIT 1)
         ) candidates
         ORDER BY rank LIMIT 1",
    )
    .bind(teacher_id)
    .fetch_optional(exec)
    .await?)
}

/// Inserts a course with a new id (`created_at` the database's clock).
pub async fn insert_course(exec: impl PgExecutor<'_>, c: &NewCourse<'_>) -> DbResult<CourseRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO courses AS c (id, school_id, subject_id, name, grade_level, letter,
                                   academic_year)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {COURSE_COLUMNS}"
    ))
    .bind(new_id())
    .bind(c.school_id)
    .bind(c.subject_id)
    .bind(c.name)
    .bind(c.grade_level)
    .bind(c.letter)
    .bind(c.academic_year)
    .fetch_one(exec)
    .await?)
}

/// The courses a teacher teaches that are not archived, in the order they were added to them.
pub async fn courses_of_teacher(
    exec: impl PgExecutor<'_>,
    teacher_id: &TeacherId,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM course_teachers ct JOIN courses c ON c.id = ct.course_id
         WHERE ct.teacher_id = $1 AND c.archived_at IS NULL
         ORDER BY ct.added_at, c.id
         LIMIT $2 OFFSET $3"
    ))
    .bind(teacher_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?)
}

/// The courses a student has an ACTIVE enrollment in, archived ones included, in the order they
/// joined them.
pub async fn courses_of_student(
    exec: impl PgExecutor<'_>,
    student_id: &StudentId,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM enrollments e JOIN courses c ON c.id = e.course_id
         WHERE e.student_id = $1 AND e.status = 'ACTIVE'
         ORDER BY e.joined_at, c.id
         LIMIT $2 OFFSET $3"
    ))
    .bind(student_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?)
}

/// Archives a course now, in one statement: the archived row, or `None` when there is no such
/// course **or** it is archived already (nothing written; the caller tells the two apart).
pub async fn archive_course(
    exec: impl PgExecutor<'_>,
    id: &CourseId,
) -> DbResult<Option<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE courses AS c SET archived_at = CURRENT_TIMESTAMP
         WHERE c.id = $1 AND c.archived_at IS NULL
         RETURNING {COURSE_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?)
}

// ---- invitations -----------------------------------------------------------------------------

/// A new invitation code: `c` and 24 base-36 characters (the length and alphabet of the
/// reference's cuids, so clients that check the shape keep working), drawn from a UUID v4's 122
/// random bits — unguessable, unlike a cuid, whose characters are mostly a clock and a counter.
pub fn new_invite_code() -> String {
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = uuid::Uuid::new_v4().as_u128();
    let mut code = Vec::with_capacity(25);
    for _ in 0..24 {
        code.push(ALPHABET[(n % 36) as usize]);
        n /= 36;
    }
    code.push(b'c');
    code.reverse();
    String::from_utf8(code).expect("ASCII")
}

/// Inserts an invitation with a new id and code; its expiry is `ttl_seconds` after the
/// database's clock. An unknown course is [`super::DbError::MissingReference`] `courseId`.
pub async fn insert_invite(exec: impl PgExecutor<'_>, i: &NewInvite<'_>) -> DbResult<InviteRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO classroom_invites AS i (id, code, course_id, created_by, expires_at, max_uses)
         VALUES ($1, $2, $3, $4,
                 CURRENT_TIMESTAMP + make_interval(secs => $5::bigint::double precision), $6)
         RETURNING {INVITE_COLUMNS}"
    ))
    .bind(new_invite_code())
    .bind(new_invite_code())
    .bind(i.course_id)
    .bind(i.created_by)
    .bind(i.ttl_seconds)
    .bind(i.max_uses)
    .fetch_one(exec)
    .await?)
}

/// The invitation with this code, **locked** until the caller's transaction ends, with the
/// database's clock and whether its course is archived. Concurrent joins with one code
/// therefore take turns: each sees the use count the previous one left, so a use limit is never
/// exceeded.
pub async fn lock_invite_by_code(
    conn: &mut PgConnection,
    code: &str,
) -> DbResult<Option<LockedInvite>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS}, CURRENT_TIMESTAMP::timestamp(3) AS now,
                c.archived_at IS NOT NULL AS course_archived
         FROM classroom_invites i JOIN courses c ON c.id = i.course_id
         WHERE i.code = $1
         FOR UPDATE OF i"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// Counts one use of an invitation.
pub async fn count_use(exec: impl PgExecutor<'_>, invite_id: &str) -> DbResult<i32> {
    Ok(sqlx::query_scalar(
        "UPDATE classroom_invites SET use_count = use_count + 1 WHERE id = $1 RETURNING use_count",
    )
    .bind(invite_id)
    .fetch_one(exec)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_codes_look_like_cuids_and_differ() {
        let a = new_invite_code();
        let b = new_invite_code();
        assert_eq!(a.len(), 25);
        assert!(a.starts_with('c'));
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert_ne!(a, b);
    }
}
