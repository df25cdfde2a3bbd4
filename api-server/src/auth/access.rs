//! Ownership checks: the [`Grant`]s of a route's policy, evaluated against the database for
//! the resource the handler names ([`Target`]).
//!
//! | Grant | holds when |
//! |---|---|
//! | `Admin` | the caller's role is admin |
//! | `TheStudent` | the caller's student profile is the target student |
//! | `TheStudentEnrolled` | … and it has an ACTIVE enrollment in the target course |
//! | `TeacherOfStudent` | the caller teaches a course where the target student is ACTIVE |
//! | `ConfirmedParent` | the caller's parent profile has a confirmed link to the target student |
//! | `CourseTeacher` | the caller teaches the target course (`course_teachers`) |
//! | `EnrolledStudent` | the caller's student profile is ACTIVE in the target course |
//! | `TheTeacher` | the caller's teacher profile is the target teacher |
//! | `CourseTeacherOfEnrolled` | the caller teaches the target course and the target student is ACTIVE in it |
//! | `SharedBank` | the target is of the shared exercise bank (no course's guide) |
//!
//! A grant whose target part is missing does not hold. Grants are tried in the table's order
//! and the first that holds wins, so cheap ones (admin, self) go first.

use innova_core::db::PgPool;
use innova_core::db::users;
use innova_domain::access::{Denial, Grant, Policy};

use super::Caller;
use crate::error::ApiError;

/// The resource a request addresses, as far as ownership goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// A `students.id`: the student whose data this is.
    pub student: Option<&'a str>,
    /// A `courses.id`: the course the resource belongs to.
    pub course: Option<&'a str>,
    /// A `teachers.id`: the teacher the resource belongs to (alerts).
    pub teacher: Option<&'a str>,
    /// The resource is of the shared exercise bank (belongs to no course).
    pub shared: bool,
}

impl<'a> Target<'a> {
    pub fn student(id: &'a str) -> Self {
        Target {
            student: Some(id),
            ..Target::default()
        }
    }

    pub fn course(id: &'a str) -> Self {
        Target {
            course: Some(id),
            ..Target::default()
        }
    }

    pub fn teacher(id: &'a str) -> Self {
        Target {
            teacher: Some(id),
            ..Target::default()
        }
    }

    pub fn student_in_course(student: &'a str, course: &'a str) -> Self {
        Target {
            student: Some(student),
            course: Some(course),
            ..Target::default()
        }
    }

    /// An exercise of the shared bank.
    pub fn shared() -> Self {
        Target {
            shared: true,
            ..Target::default()
        }
    }
}

/// An authenticated caller who passed the route's role rule, not yet checked against the
/// resource the request addresses. The caller is reachable only through the route's ownership
/// rule: [`Authorized::require`] with the target (routes whose policy has grants), or
/// [`Authorized::role_only`] (routes whose policy has none, which refuses to serve a route with
/// grants). A handler that forgets to name its target therefore has no caller to work with,
/// and the authorization matrix test catches one that discards it.
#[must_use = "name the target with require(..), or call role_only() on a role-only route"]
pub struct Authorized {
    caller: Caller,
    policy: &'static Policy,
    db: PgPool,
}

impl Authorized {
    pub fn new(caller: Caller, policy: &'static Policy, db: PgPool) -> Self {
        Authorized { caller, policy, db }
    }

    pub fn policy(&self) -> &'static Policy {
        self.policy
    }

    /// Checks the route's grants against `target`: the caller when one holds, else the route's
    /// denial (403 `Forbidden resource`, or 404 `Not found` where existence must not leak).
    /// Routes without grants always pass.
    pub async fn require(&self, target: Target<'_>) -> Result<&Caller, ApiError> {
        self.require_or(target, None).await
    }

    /// [`Self::require`] with the route's own denial message (e.g. `You do not teach this
    /// guide course`, `Attempt 42 not found`).
    pub async fn require_with(
        &self,
        target: Target<'_>,
        message: &str,
    ) -> Result<&Caller, ApiError> {
        self.require_or(target, Some(message)).await
    }

    /// The caller of a route whose policy is the role check alone. On a route with grants this
    /// is a bug, answered 500 (and caught by the matrix test), never a pass.
    pub fn role_only(&self) -> Result<&Caller, ApiError> {
        if self.policy.role_only() {
            Ok(&self.caller)
        } else {
            Err(ApiError::internal(format!(
                "operation {} has ownership grants but its handler names no target",
                self.policy.operation
            )))
        }
    }

    async fn require_or(
        &self,
        target: Target<'_>,
        message: Option<&str>,
    ) -> Result<&Caller, ApiError> {
        if self.policy.role_only()
            || holds(&self.db, &self.caller, self.policy.grants, target).await?
        {
            return Ok(&self.caller);
        }
        Err(denial(self.policy.denial, message))
    }
}

fn denial(denial: Denial, message: Option<&str>) -> ApiError {
    match denial {
        Denial::Forbidden => ApiError::forbidden(message.unwrap_or("Forbidden resource")),
        Denial::NotFound => ApiError::not_found(message.unwrap_or("Not found")),
    }
}

/// True when at least one of `grants` holds for `caller` on `target`.
pub async fn holds(
    db: &PgPool,
    caller: &Caller,
    grants: &[Grant],
    target: Target<'_>,
) -> Result<bool, ApiError> {
    for grant in grants {
        if grant_holds(db, caller, *grant, target).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether one grant holds.
pub async fn grant_holds(
    db: &PgPool,
    caller: &Caller,
    grant: Grant,
    target: Target<'_>,
) -> Result<bool, ApiError> {
    let p = &caller.profile;
    Ok(match grant {
        Grant::Admin => caller.is_admin(),
        Grant::TheStudent => {
            matches!((p.student_id(), target.student), (Some(me), Some(s)) if me == s)
        }
        Grant::TheStudentEnrolled => match (p.student_id(), target.student, target.course) {
            (Some(me), Some(s), Some(course)) if me == s => {
                users::is_enrolled(db, me, course, true).await?
            }
            _ => false,
        },
        Grant::TeacherOfStudent => match (p.teacher_id(), target.student) {
            (Some(teacher), Some(student)) => users::teaches_student(db, teacher, student).await?,
            _ => false,
        },
        Grant::ConfirmedParent => match (p.parent_id(), target.student) {
            (Some(parent), Some(student)) => users::has_confirmed_link(db, parent, student).await?,
            _ => false,
        },
        Grant::CourseTeacher => match (p.teacher_id(), target.course) {
            (Some(teacher), Some(course)) => users::is_course_teacher(db, teacher, course).await?,
            _ => false,
        },
        Grant::EnrolledStudent => match (p.student_id(), target.course) {
            (Some(student), Some(course)) => users::is_enrolled(db, student, course, true).await?,
            _ => false,
        },
        Grant::TheTeacher => {
            matches!((p.teacher_id(), target.teacher), (Some(me), Some(t)) if me == t)
        }
        Grant::SharedBank => target.shared,
        Grant::CourseTeacherOfEnrolled => match (p.teacher_id(), target.student, target.course) {
            (Some(teacher), Some(student), Some(course)) => {
                users::is_course_teacher(db, teacher, course).await?
                    && users::is_enrolled(db, student, course, true).await?
            }
            _ => false,
        },
    })
}

/// The student, their teachers, their confirmed parents, and admins may see a student's data.
pub async fn can_see_student(
    db: &PgPool,
    caller: &Caller,
    student_id: &str,
) -> Result<bool, ApiError> {
    const READERS: &[Grant] = &[
        Grant::Admin,
        Grant::TheStudent,
        Grant::TeacherOfStudent,
        Grant::ConfirmedParent,
    ];
    holds(db, caller, READERS, Target::student(student_id)).await
}

pub async fn require_course_teacher(
    db: &PgPool,
    caller: &Caller,
    course_id: &str,
) -> Result<(), ApiError> {
    caller.teacher_id()?;
    if grant_holds(db, caller, Grant::CourseTeacher, Target::course(course_id)).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden("You do not teach this course"))
    }
}

pub async fn require_enrolled(
    db: &PgPool,
    caller: &Caller,
    course_id: &str,
) -> Result<(), ApiError> {
    caller.student_id()?;
    if grant_holds(
        db,
        caller,
        Grant::EnrolledStudent,
        Target::course(course_id),
    )
    .await?
    {
        Ok(())
    } else {
        Err(ApiError::forbidden("You are not enrolled in this course"))
    }
}

pub fn require_own_student(caller: &Caller, student_id: &str) -> Result<(), ApiError> {
    if caller.student_id()? == student_id {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "You can only act for your own student profile",
        ))
    }
}
