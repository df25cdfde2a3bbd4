//! Authorization: the policy table covers the contract, and the grants and permits of
//! `innova_app::authz` decide against a real database (demo data plus a second course,
//! teacher, student and parent).

use std::collections::HashSet;

use innova_api_server::context::ApiContext;
use innova_app::AppError;
use innova_app::authz::{Actor, Caller, Operation, Permit, Profile, Role, Target, grant_holds, op};
use innova_core::config::Config;
use innova_core::db::{accounts, seed};
use innova_domain::access::{Grant, POLICIES, path_shape, policy};
use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId};
use innova_testkit::TestDb;

use crate::support::{
    COURSE_B, PARENT_B, STUDENT_B, TEACHER_B, TempDir, embedded_key_pem, two_courses,
};

#[test]
fn every_operation_of_the_contract_has_a_policy_with_its_method_and_path() {
    let doc: serde_yaml::Value = serde_yaml::from_str(innova_api_server::openapi::YAML).unwrap();
    let mut seen = HashSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_ascii_uppercase();
            let id = op["operationId"].as_str().unwrap();
            let p = policy(id).unwrap_or_else(|| {
                panic!("no entry for operation {id} in innova_domain::access::POLICIES")
            });
            assert_eq!(p.method, method, "{id}: method");
            assert_eq!(path_shape(p.path), path_shape(path), "{id}: path");
            // Protected operations declare the bearer scheme in the document, public ones none
            // (`security: []`).
            let schemes = op["security"].as_sequence().map_or(0, Vec::len);
            assert_eq!(schemes > 0, p.callers.needs_token(), "{id}: security");
            seen.insert(id.to_owned());
        }
    }
    assert!(
        seen.len() >= 13,
        "the contract has the meta and auth operations at least"
    );
    // Operations the table knows but the contract does not (yet): the later route issues.
    let pending = POLICIES
        .iter()
        .filter(|p| !seen.contains(p.operation))
        .count();
    assert_eq!(pending + seen.len(), POLICIES.len());
}

/// A context on the two-course world (`support::two_courses`): the demo data plus course B
/// taught by teacher B, a student in course B only, a parent with an unconfirmed link to
/// student 1.
struct World {
    ctx: ApiContext,
    _db: TestDb,
    _dir: TempDir,
}

async fn world() -> World {
    let db = innova_testkit::seeded_db().await;
    two_courses().insert(&db.pool).await;
    let dir = TempDir::new();
    let key = dir.0.join(innova_core::identity::keys::KEY_FILE);
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    std::fs::write(&key, embedded_key_pem()).unwrap();
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", dir.0.to_str().unwrap()),
    ])
    .unwrap();
    World {
        ctx: ApiContext::new(config).unwrap(),
        _db: db,
        _dir: dir,
    }
}

impl World {
    /// The caller for an existing user, through the real path: an embedded-provider token,
    /// verified, then resolved (and provisioned) by the caller cache.
    async fn caller(&self, email: &str) -> Caller {
        let creds = accounts::credentials_by_email(&self.ctx.db, email)
            .await
            .unwrap()
            .unwrap();
        let identity = &self.ctx.accounts.identity;
        let embedded = identity.embedded.as_ref().unwrap();
        let token = embedded.access_token_for(&creds, 600).await.unwrap();
        let verified = identity.verifier.verify(&token).await.unwrap();
        self.ctx
            .accounts
            .callers
            .caller(&self.ctx.db, &verified, &token)
            .await
            .unwrap()
    }

    async fn holds(&self, caller: &Caller, grant: Grant, target: Target<'_>) -> bool {
        let mut conn = self.ctx.db.acquire().await.unwrap();
        grant_holds(&mut conn, caller, grant, target).await.unwrap()
    }

    /// What operation `O`'s permit answers for `caller` on `target`.
    async fn require<O: Operation>(
        &self,
        caller: &Caller,
        target: Target<'_>,
    ) -> Result<(), AppError> {
        let permit = Permit::<O>::admit(Actor::User(caller.clone()))?;
        permit.require(&self.ctx.db, target).await
    }
}

/// The status an [`AppError`] of a denial answers.
fn status(e: &AppError) -> u16 {
    match e {
        AppError::Forbidden(_) => 403,
        AppError::NotFound(_) => 404,
        other => panic!("not a denial: {other:?}"),
    }
}

fn course(id: &str) -> CourseId {
    CourseId::new(id)
}

fn student(id: &str) -> StudentId {
    StudentId::new(id)
}

fn demo(role: &str) -> &'static seed::DemoUser {
    seed::demo_user(role).unwrap()
}

#[tokio::test]
async fn a_teacher_is_a_teacher_of_their_course_only() {
    let w = world().await;
    let teacher = w.caller(demo("teacher").email).await;
    assert_eq!(teacher.role, Role::Teacher);
    assert_eq!(
        teacher.profile,
        Profile::Teacher(TeacherId::new(seed::TEACHER_ID))
    );
    let (a, b) = (course(seed::COURSE_ID), course(COURSE_B));
    let course_a = Target::course(&a);
    assert!(w.holds(&teacher, Grant::CourseTeacher, course_a).await);
    assert!(
        !w.holds(&teacher, Grant::CourseTeacher, Target::course(&b))
            .await
    );
    let (s1, sb) = (student(seed::STUDENT_IDS[0]), student(STUDENT_B));
    assert!(
        w.holds(&teacher, Grant::TeacherOfStudent, Target::student(&s1))
            .await
    );
    assert!(
        !w.holds(&teacher, Grant::TeacherOfStudent, Target::student(&sb))
            .await
    );

    let teacher_b = w.caller("teacher.b@example.com").await;
    assert!(
        w.holds(&teacher_b, Grant::CourseTeacher, Target::course(&b))
            .await
    );
    assert!(!w.holds(&teacher_b, Grant::CourseTeacher, course_a).await);
    let invite_b = w
        .require::<op::ClassroomsInvite>(&teacher_b, Target::course(&b))
        .await;
    assert!(invite_b.is_ok());
    let err = w
        .require::<op::ClassroomsInvite>(&teacher_b, course_a)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);

    // A student who left course A no longer makes its teacher "their teacher".
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(seed::STUDENT_IDS[1])
        .execute(&w.ctx.db)
        .await
        .unwrap();
    let s2 = student(seed::STUDENT_IDS[1]);
    assert!(
        !w.holds(&teacher, Grant::TeacherOfStudent, Target::student(&s2))
            .await
    );

    // Routes: the course's teacher passes, the other teacher gets 403; admins pass where listed.
    assert!(
        w.require::<op::MasteryCourse>(&teacher, course_a)
            .await
            .is_ok()
    );
    let err = w
        .require::<op::MasteryCourse>(&teacher_b, course_a)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);
    let admin = w.caller(demo("admin").email).await;
    assert_eq!((admin.role, &admin.profile), (Role::Admin, &Profile::None));
    assert!(
        w.require::<op::MasteryCourse>(&admin, course_a)
            .await
            .is_ok()
    );
    // The role rule comes first: a student is refused the course view whatever the target.
    let student_1 = w.caller(demo("student").email).await;
    let err = Permit::<op::MasteryCourse>::admit(Actor::User(student_1)).unwrap_err();
    assert!(matches!(err, AppError::Forbidden(m) if m == "Forbidden resource"));
}

#[tokio::test]
async fn a_student_sees_their_own_data_only() {
    let w = world().await;
    let me = w.caller(demo("student").email).await;
    assert_eq!(me.profile, Profile::Student(student(seed::STUDENT_IDS[0])));
    let (s1, s2) = (student(seed::STUDENT_IDS[0]), student(seed::STUDENT_IDS[1]));
    let (mine, other) = (Target::student(&s1), Target::student(&s2));
    assert!(w.holds(&me, Grant::TheStudent, mine).await);
    assert!(!w.holds(&me, Grant::TheStudent, other).await);
    // The student's own data and nobody else's (the readers of a student's mastery).
    assert!(w.require::<op::MasteryStudent>(&me, mine).await.is_ok());
    let err = w
        .require::<op::MasteryStudent>(&me, other)
        .await
        .unwrap_err();
    assert_eq!(
        status(&err),
        403,
        "someone else's mastery: the id was the caller's to type"
    );
    // Acting for a student: themselves only.
    assert!(w.require::<op::AttemptsCreate>(&me, mine).await.is_ok());
    let err = w
        .require::<op::AttemptsCreate>(&me, other)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);
    let (a, b) = (course(seed::COURSE_ID), course(COURSE_B));
    assert!(
        w.holds(&me, Grant::EnrolledStudent, Target::course(&a))
            .await
    );
    assert!(
        !w.holds(&me, Grant::EnrolledStudent, Target::course(&b))
            .await
    );
    let enrolled = Target::student_in_course(&s1, &a);
    assert!(w.holds(&me, Grant::TheStudentEnrolled, enrolled).await);
    let elsewhere = Target::student_in_course(&s1, &b);
    assert!(!w.holds(&me, Grant::TheStudentEnrolled, elsewhere).await);

    // Someone else's attempt: 404, not 403 (existence must not leak); one's own passes.
    let permit = Permit::<op::AttemptsStatus>::admit(Actor::User(me.clone())).unwrap();
    assert!(permit.require(&w.ctx.db, mine).await.is_ok());
    let err = permit
        .require_with(&w.ctx.db, other, "Attempt a-1 not found")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(m) if m == "Attempt a-1 not found"));
}

#[tokio::test]
async fn a_parent_needs_a_confirmed_link() {
    let w = world().await;
    let confirmed = w.caller(demo("parent").email).await;
    assert_eq!(
        confirmed.profile,
        Profile::Parent(ParentId::new(seed::PARENT_ID))
    );
    let (s1, s2) = (student(seed::STUDENT_IDS[0]), student(seed::STUDENT_IDS[1]));
    let child = Target::student(&s1);
    assert!(w.holds(&confirmed, Grant::ConfirmedParent, child).await);
    assert!(
        !w.holds(&confirmed, Grant::ConfirmedParent, Target::student(&s2))
            .await
    );

    let unconfirmed = w.caller("parent.b@example.com").await;
    assert_eq!(
        unconfirmed.profile,
        Profile::Parent(ParentId::new(PARENT_B))
    );
    assert!(
        !w.holds(&unconfirmed, Grant::ConfirmedParent, child).await,
        "a link without confirmed_at grants nothing"
    );
    let err = w
        .require::<op::MasteryStudent>(&unconfirmed, child)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);
    let permit = Permit::<op::ParentChild>::admit(Actor::User(unconfirmed)).unwrap();
    let err = permit
        .require_with(&w.ctx.db, child, "This child is not linked to your account")
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);

    sqlx::query("UPDATE parent_links SET confirmed_at = now() WHERE parent_id = $1")
        .bind(PARENT_B)
        .execute(&w.ctx.db)
        .await
        .unwrap();
    let now_confirmed = w.caller("parent.b@example.com").await;
    assert!(w.holds(&now_confirmed, Grant::ConfirmedParent, child).await);
    // Parents never pass attempt routes, whatever the link.
    assert!(Permit::<op::AttemptsDetail>::admit(Actor::User(now_confirmed)).is_err());
    assert!(
        !policy("attempts_detail")
            .unwrap()
            .callers
            .admits(Role::Parent)
    );
}

#[tokio::test]
async fn grants_without_their_target_do_not_hold() {
    let w = world().await;
    let teacher = w.caller(demo("teacher").email).await;
    let none = Target::default();
    for grant in [
        Grant::CourseTeacher,
        Grant::TeacherOfStudent,
        Grant::TheStudent,
        Grant::ConfirmedParent,
        Grant::TheTeacher,
        Grant::Admin,
    ] {
        assert!(!w.holds(&teacher, grant, none).await, "{grant:?}");
    }
    let (me, other) = (TeacherId::new(seed::TEACHER_ID), TeacherId::new(TEACHER_B));
    assert!(
        w.holds(&teacher, Grant::TheTeacher, Target::teacher(&me))
            .await
    );
    assert!(
        !w.holds(&teacher, Grant::TheTeacher, Target::teacher(&other))
            .await
    );
    // Except `OwnCourses`: no course named holds; a named one must be the caller's.
    assert!(w.holds(&teacher, Grant::OwnCourses, none).await);
    let (a, b) = (course(seed::COURSE_ID), course(COURSE_B));
    assert!(
        w.holds(&teacher, Grant::OwnCourses, Target::course(&a))
            .await
    );
    assert!(
        !w.holds(&teacher, Grant::OwnCourses, Target::course(&b))
            .await
    );
    // Role-only routes pass any target; the system passes every rule.
    assert!(w.require::<op::AuthMe>(&teacher, none).await.is_ok());
    let system = Permit::<op::MasteryCourse>::system();
    assert!(system.require(&w.ctx.db, Target::course(&b)).await.is_ok());
    assert!(system.caller().is_err(), "the system acts as no user");
}
