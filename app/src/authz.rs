//! Authorization, inside the use cases (after omicron's `opctx.authorize(action, &resource)`).
//!
//! Every route's rule is one entry of the policy table ([`innova_domain::access`]), and each
//! entry is a type of [`op`]. A use case of a route takes the route's [`Permit`]: the
//! [`Actor`] admitted by the rule's role check (401/403 happen before the body is read, so
//! the API admits the caller first). The use case then loads the resource the request
//! addresses — under the lock it takes, when it locks — and calls [`Permit::require`] with it
//! ([`Target`]): one of the rule's [`Grant`]s must hold, else the rule's [`Denial`] (403, or
//! 404 where a 403 would tell that someone else's resource exists). Workers act as
//! [`Actor::System`], which every rule admits.
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
//! | `OwnCourses` | the request names no course, or the caller teaches the one it names |
//!
//! A grant whose target part is missing does not hold (except `OwnCourses`, made for that).
//! Grants are tried in the table's order and the first that holds wins, so cheap ones (admin,
//! self) go first.

use std::marker::PhantomData;

use innova_core::db::exercises::BankReader;
use innova_core::db::{PgConnection, PgPool, users};
use innova_core::identity::Account;
use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId, UserId};

pub use innova_domain::access::{Denial, Grant, Operation, Policy, Profile, Role, op};

use crate::{AppError, AppResult};

/// The authenticated user a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `users.id`.
    pub user_id: UserId,
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
    pub access_token: String,
}

impl Caller {
    /// The caller's teacher profile id; 403 `Teacher profile not found` otherwise.
    pub fn teacher_id(&self) -> AppResult<&TeacherId> {
        self.profile
            .teacher_id()
            .ok_or_else(|| AppError::Forbidden("Teacher profile not found".into()))
    }

    /// The caller's student profile id; 403 `Student profile not found` otherwise.
    pub fn student_id(&self) -> AppResult<&StudentId> {
        self.profile
            .student_id()
            .ok_or_else(|| AppError::Forbidden("Student profile not found".into()))
    }

    /// The caller's parent profile id; 403 `Parent profile not found` otherwise.
    pub fn parent_id(&self) -> AppResult<&ParentId> {
        self.profile
            .parent_id()
            .ok_or_else(|| AppError::Forbidden("Parent profile not found".into()))
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// What of the exercise bank the caller reads (guides' exercises: their courses' teachers
    /// and admins only).
    pub fn bank_reader(&self) -> BankReader<'_> {
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

/// Who acts.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A worker or a scheduled job: admitted by every rule.
    System,
    /// A signed-in user, through the API.
    User(Caller),
}

/// The resource a request addresses, as far as ownership goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// The student whose data this is.
    pub student: Option<&'a StudentId>,
    /// The course the resource belongs to.
    pub course: Option<&'a CourseId>,
    /// The teacher the resource belongs to (alerts).
    pub teacher: Option<&'a TeacherId>,
    /// The resource is of the shared exercise bank (belongs to no course).
    pub shared: bool,
}

impl<'a> Target<'a> {
    pub fn student(id: &'a StudentId) -> Self {
        Target {
            student: Some(id),
            ..Target::default()
        }
    }

    pub fn course(id: &'a CourseId) -> Self {
        Target {
            course: Some(id),
            ..Target::default()
        }
    }

    /// A course when the request names one; none when it does not (see `OwnCourses`).
    pub fn maybe_course(id: Option<&'a CourseId>) -> Self {
        Target {
            course: id,
            ..Target::default()
        }
    }

    pub fn teacher(id: &'a TeacherId) -> Self {
        Target {
            teacher: Some(id),
            ..Target::default()
        }
    }

    pub fn student_in_course(student: &'a StudentId, course: &'a CourseId) -> Self {
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

/// Permission to run the operation `O`: its actor passed `O`'s role rule. The resources the
/// operation addresses are checked by the use case, with [`Self::require`].
#[must_use = "a use case checks what it loads against the permit"]
pub struct Permit<O: Operation> {
    actor: Actor,
    _op: PhantomData<fn() -> O>,
}

impl<O: Operation> std::fmt::Debug for Permit<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("operation", &O::POLICY.operation)
            .field("actor", &self.actor)
            .finish()
    }
}

impl<O: Operation> Permit<O> {
    /// `actor`, admitted by `O`'s role rule; 403 `Forbidden resource` for a role the rule
    /// does not list.
    pub fn admit(actor: Actor) -> AppResult<Self> {
        if let Actor::User(caller) = &actor
            && !O::POLICY.callers.admits(caller.role)
        {
            return Err(AppError::Forbidden("Forbidden resource".into()));
        }
        Ok(Permit {
            actor,
            _op: PhantomData,
        })
    }

    /// The system's permit (workers, scheduled jobs).
    pub fn system() -> Self {
        Permit {
            actor: Actor::System,
            _op: PhantomData,
        }
    }

    /// The rule this permit was admitted by.
    pub fn policy(&self) -> &'static Policy {
        &O::POLICY
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The user acting: the use cases that act *as* someone (their teacher id, their student
    /// id) cannot be run by the system.
    pub fn caller(&self) -> AppResult<&Caller> {
        match &self.actor {
            Actor::User(caller) => Ok(caller),
            Actor::System => Err(AppError::internal(format!(
                "operation {} acts as a user and was run by the system",
                O::POLICY.operation
            ))),
        }
    }

    /// Checks `target` against `O`'s grants (on `db`: a pool, or the transaction holding the
    /// target's lock): the rule's denial when none holds (403 `Forbidden resource`, or 404
    /// `Not found`). Rules without grants, and the system, always pass.
    pub async fn require(&self, db: impl Into<Db<'_>>, target: Target<'_>) -> AppResult<()> {
        self.require_or(db.into(), target, None).await
    }

    /// [`Self::require`] with the route's own denial message (`You do not teach this course`,
    /// `Attempt 42 not found`…).
    pub async fn require_with(
        &self,
        db: impl Into<Db<'_>>,
        target: Target<'_>,
        message: &str,
    ) -> AppResult<()> {
        self.require_or(db.into(), target, Some(message)).await
    }

    async fn require_or(
        &self,
        db: Db<'_>,
        target: Target<'_>,
        message: Option<&str>,
    ) -> AppResult<()> {
        let policy = &O::POLICY;
        let caller = match &self.actor {
            Actor::System => return Ok(()),
            Actor::User(_) if policy.role_only() => return Ok(()),
            Actor::User(caller) => caller,
        };
        let mut conn = Lazy { db, pooled: None };
        for grant in policy.grants {
            if grant_holds_lazily(&mut conn, caller, *grant, target).await? {
                return Ok(());
            }
        }
        Err(match policy.denial {
            Denial::Forbidden => {
                AppError::Forbidden(message.unwrap_or("Forbidden resource").to_owned())
            }
            Denial::NotFound => AppError::NotFound(message.unwrap_or("Not found").to_owned()),
        })
    }
}

/// Where a permit's grants are checked: any pooled connection, or the connection of the
/// transaction that holds the target's lock (so the check sees what the use case will change).
pub enum Db<'a> {
    Pool(&'a PgPool),
    Locked(&'a mut PgConnection),
}

impl<'a> From<&'a PgPool> for Db<'a> {
    fn from(pool: &'a PgPool) -> Self {
        Db::Pool(pool)
    }
}

impl<'a> From<&'a mut PgConnection> for Db<'a> {
    fn from(conn: &'a mut PgConnection) -> Self {
        Db::Locked(conn)
    }
}

/// A connection taken from the pool only when a grant needs the database (the caller's own
/// profile, the admin role and the shared bank are decided without one).
struct Lazy<'a> {
    db: Db<'a>,
    pooled: Option<innova_core::db::PoolConnection>,
}

impl Lazy<'_> {
    async fn get(&mut self) -> AppResult<&mut PgConnection> {
        match &mut self.db {
            Db::Locked(conn) => Ok(conn),
            Db::Pool(pool) => {
                if self.pooled.is_none() {
                    let conn = pool
                        .acquire()
                        .await
                        .map_err(innova_core::db::DbError::from)?;
                    self.pooled = Some(conn);
                }
                Ok(self.pooled.as_mut().expect("just acquired"))
            }
        }
    }
}

/// Whether one grant holds for `caller` on `target`.
pub async fn grant_holds(
    conn: &mut PgConnection,
    caller: &Caller,
    grant: Grant,
    target: Target<'_>,
) -> AppResult<bool> {
    let mut lazy = Lazy {
        db: Db::Locked(conn),
        pooled: None,
    };
    grant_holds_lazily(&mut lazy, caller, grant, target).await
}

async fn grant_holds_lazily(
    conn: &mut Lazy<'_>,
    caller: &Caller,
    grant: Grant,
    target: Target<'_>,
) -> AppResult<bool> {
    let p = &caller.profile;
    Ok(match grant {
        Grant::Admin => caller.is_admin(),
        Grant::TheStudent => {
            matches!((p.student_id(), target.student), (Some(me), Some(s)) if me == s)
        }
        Grant::TheStudentEnrolled => match (p.student_id(), target.student, target.course) {
            (Some(me), Some(s), Some(course)) if me == s => {
                users::is_enrolled(conn.get().await?, me, course, true).await?
            }
            _ => false,
        },
        Grant::TeacherOfStudent => match (p.teacher_id(), target.student) {
            (Some(teacher), Some(student)) => {
                users::teaches_student(conn.get().await?, teacher, student).await?
            }
            _ => false,
        },
        Grant::ConfirmedParent => match (p.parent_id(), target.student) {
            (Some(parent), Some(student)) => {
                users::has_confirmed_link(conn.get().await?, parent, student).await?
            }
            _ => false,
        },
        Grant::CourseTeacher => match (p.teacher_id(), target.course) {
            (Some(teacher), Some(course)) => {
                users::is_course_teacher(conn.get().await?, teacher, course).await?
            }
            _ => false,
        },
        Grant::EnrolledStudent => match (p.student_id(), target.course) {
            (Some(student), Some(course)) => {
                users::is_enrolled(conn.get().await?, student, course, true).await?
            }
            _ => false,
        },
        Grant::TheTeacher => {
            matches!((p.teacher_id(), target.teacher), (Some(me), Some(t)) if me == t)
        }
        Grant::SharedBank => target.shared,
        Grant::CourseTeacherOfEnrolled => match (p.teacher_id(), target.student, target.course) {
            (Some(teacher), Some(student), Some(course)) => {
                users::is_course_teacher(conn.get().await?, teacher, course).await?
                    && users::is_enrolled(conn.get().await?, student, course, true).await?
            }
            _ => false,
        },
        Grant::OwnCourses => match (p.teacher_id(), target.course) {
            (_, None) => true,
            (Some(teacher), Some(course)) => {
                users::is_course_teacher(conn.get().await?, teacher, course).await?
            }
            (None, Some(_)) => false,
        },
    })
}
