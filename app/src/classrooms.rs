//! Courses ("classrooms"): a teacher creates one, lists theirs, invites students by code
//! (decision 19: codes expire, 7 days unless said otherwise, and may have a use limit), archives
//! one; a student joins with a code and lists theirs.

use innova_domain::ids::CourseId;
use std::time::Duration;

use chrono::Datelike;
use innova_core::db::classrooms::{self as repo, NewCourse, NewInvite};
use innova_core::db::{self, DbError, users};
use innova_domain::classrooms::{DEFAULT_INVITE_TTL, InviteState, course_name};

pub use innova_core::db::classrooms::{CourseRow, InviteRow};

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// The subject of a course created without one.
pub const DEFAULT_SUBJECT: &str = "MATH";
/// The grade of a course created without one.
pub const DEFAULT_GRADE: i32 = 4;

/// A course a teacher creates (`POST /classrooms`), validated by the API.
#[derive(Debug, Clone, Default)]
pub struct NewClassroom {
    /// Used as the name when not blank; otherwise the name is derived.
    pub name: Option<String>,
    /// 1–12; [`DEFAULT_GRADE`] when absent.
    pub grade_level: Option<i32>,
    /// The section letter (`A`, `B`…).
    pub letter: Option<String>,
    /// [`DEFAULT_SUBJECT`] when absent.
    pub subject_code: Option<String>,
}

/// Creates a course taught by `teacher_id` (as LEAD), in one transaction: in the teacher's
/// school (that of the course they joined last, else the oldest school), for the current
/// calendar year (UTC), named as given or `4° básico A · Matemática` (the domain's rule). An
/// unknown subject is [`AppError::NotFound`] naming `subjectCode`; a database without schools
/// is [`AppError::NotFound`] too.
pub async fn create(
    app: &App,
    permit: &Permit<op::ClassroomsCreate>,
    new: NewClassroom,
) -> AppResult<CourseRow> {
    let teacher_id = permit.caller()?.teacher_id()?;
    let code = new.subject_code.as_deref().unwrap_or(DEFAULT_SUBJECT);
    let subject = repo::subject_by_code(&app.db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("subjectCode: Subject \"{code}\" not found")))?;
    let school = repo::school_for_teacher(&app.db, teacher_id)
        .await?
        .ok_or_else(|| AppError::NotFound("No school found — run seed first".into()))?;
    let grade = new.grade_level.unwrap_or(DEFAULT_GRADE);
    let letter = new
        .letter
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let name = course_name(new.name.as_deref(), grade, letter, &subject.name);
    let mut tx = db::begin(&app.db).await?;
    let course = repo::insert_course(
        &mut *tx,
        &NewCourse {
            school_id: &school,
            subject_id: &subject.id,
            name: &name,
            grade_level: grade,
            letter,
            academic_year: chrono::Utc::now().year(),
        },
    )
    .await?;
    users::add_course_teacher(&mut *tx, &course.id, teacher_id, "LEAD").await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(course)
}

/// A page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
}

/// The teacher's courses that are not archived, in the order they were added to them.
pub async fn of_teacher(
    app: &App,
    permit: &Permit<op::ClassroomsMine>,
    page: Window,
) -> AppResult<Vec<CourseRow>> {
    let teacher_id = permit.caller()?.teacher_id()?;
    Ok(repo::courses_of_teacher(&app.db, teacher_id, page.limit, page.offset).await?)
}

/// The courses the student has an ACTIVE enrollment in (archived ones too), in join order.
pub async fn of_student(
    app: &App,
    permit: &Permit<op::ClassroomsStudentMine>,
    page: Window,
) -> AppResult<Vec<CourseRow>> {
    let student_id = permit.caller()?.student_id()?;
    Ok(repo::courses_of_student(&app.db, student_id, page.limit, page.offset).await?)
}

/// A course; `None` for an unknown id.
pub async fn get(
    app: &App,
    permit: &Permit<op::ClassroomsGet>,
    id: &CourseId,
) -> AppResult<Option<CourseRow>> {
    permit.require(&app.db, Target::course(id)).await?;
    Ok(repo::course_by_id(&app.db, id).await?)
}

/// The denial of the course-teacher routes, as the reference worded it.
const NOT_YOURS: &str = "You do not own this course";

fn course_not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Course {id} not found"))
}

fn archived(id: &str) -> AppError {
    AppError::Conflict(format!("Course {id} is archived"))
}

/// An invitation to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteTerms {
    /// How long it admits joins; [`DEFAULT_INVITE_TTL`] when absent.
    pub valid_for: Option<Duration>,
    /// How many joins it admits; unlimited when absent.
    pub max_uses: Option<i32>,
}

/// A new invitation and the link students open.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub invite: InviteRow,
    /// `<PUBLIC_APP_URL without trailing slash>/join?code=<code>`, or `/join?code=<code>`
    /// without a configured app URL (the reference's link).
    pub url: String,
}

/// Makes an invitation to the course, by `teacher_id`. An archived course is
/// [`AppError::Conflict`]: nobody may join it.
pub async fn invite(
    app: &App,
    permit: &Permit<op::ClassroomsInvite>,
    course_id: &CourseId,
    terms: InviteTerms,
) -> AppResult<Invitation> {
    permit
        .require_with(&app.db, Target::course(course_id), NOT_YOURS)
        .await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    let course = repo::course_by_id(&app.db, course_id)
        .await?
        .ok_or_else(|| course_not_found(course_id))?;
    if course.archived_at.is_some() {
        return Err(archived(course_id));
    }
    let ttl = terms.valid_for.unwrap_or(DEFAULT_INVITE_TTL);
    let invite = repo::insert_invite(
        &app.db,
        &NewInvite {
            course_id,
            created_by: teacher_id,
            ttl_seconds: Some(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            max_uses: terms.max_uses,
        },
    )
    .await?;
    let base = app
        .config
        .public_app_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let url = format!("{base}/join?code={}", invite.code);
    Ok(Invitation { invite, url })
}

/// The student joins the invitation's course, in one transaction: the invitation is locked
/// (concurrent joins with one code take turns, so a use limit is never exceeded), checked
/// (expired: [`AppError::Invalid`] `Invitation code has expired`; used up: `Invitation code has
/// reached its usage limit`), the enrollment is made ACTIVE (a student who had left is
/// re-activated) and one use is counted. A student already ACTIVE in the course gets the course
/// without using the code up again. An unknown code is [`AppError::NotFound`] `Invalid
/// invitation code`; an archived course [`AppError::Conflict`].
pub async fn join(
    app: &App,
    permit: &Permit<op::ClassroomsJoin>,
    code: &str,
) -> AppResult<CourseRow> {
    let student_id = permit.caller()?.student_id()?;
    let mut tx = db::begin(&app.db).await?;
    let locked = repo::lock_invite_by_code(&mut tx, code)
        .await?
        .ok_or_else(|| AppError::NotFound("Invalid invitation code".into()))?;
    let invite = &locked.invite;
    let state = InviteState {
        expires_at_ms: invite.expires_at.map(|t| t.and_utc().timestamp_millis()),
        max_uses: invite.max_uses,
        use_count: invite.use_count,
    };
    let now_ms = locked.now.and_utc().timestamp_millis();
    if state.expired(now_ms) {
        return Err(AppError::invalid(
            innova_domain::classrooms::InviteRefusal::Expired.message(),
        ));
    }
    if locked.course_archived {
        return Err(archived(&invite.course_id));
    }
    if !users::is_enrolled(&mut *tx, student_id, &invite.course_id, true).await? {
        state
            .admits(now_ms)
            .map_err(|refusal| AppError::invalid(refusal.message()))?;
        users::enroll(&mut *tx, &invite.course_id, student_id).await?;
        repo::count_use(&mut *tx, &invite.id).await?;
    }
    let course = repo::course_by_id(&mut *tx, &invite.course_id)
        .await?
        .ok_or_else(|| course_not_found(&invite.course_id))?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(course)
}

/// Archives the course now. Archiving an archived course is [`AppError::Conflict`] naming its
/// state (decision 4); an unknown one [`AppError::NotFound`].
pub async fn archive(
    app: &App,
    permit: &Permit<op::ClassroomsArchive>,
    course_id: &CourseId,
) -> AppResult<CourseRow> {
    permit
        .require_with(&app.db, Target::course(course_id), NOT_YOURS)
        .await?;
    if let Some(course) = repo::archive_course(&app.db, course_id).await? {
        return Ok(course);
    }
    match repo::course_by_id(&app.db, course_id).await? {
        Some(_) => Err(AppError::Conflict(format!(
            "Course {course_id} is already archived: it cannot be archived again"
        ))),
        None => Err(course_not_found(course_id)),
    }
}
