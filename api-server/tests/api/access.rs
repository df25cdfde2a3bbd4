//! Authorization: the policy table covers the contract, and the ownership helpers decide
//! against a real database (demo data plus a second course, teacher, student and parent).

use std::collections::HashSet;

use innova_api_server::auth::access::{self, Authorized, Target, grant_holds};
use innova_api_server::auth::{Caller, Profile, Role};
use innova_api_server::context::ApiContext;
use innova_core::config::Config;
use innova_core::db::{accounts, seed};
use innova_domain::access::{Grant, POLICIES, path_shape, policy};
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
            // Protected operations declare the bearer scheme in the document.
            assert_eq!(
                op.get("security").is_some(),
                p.callers.needs_token(),
                "{id}: security"
            );
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
        let embedded = self.ctx.identity.embedded.as_ref().unwrap();
        let token = embedded.access_token_for(&creds, 600).await.unwrap();
        let verified = self.ctx.identity.verifier.verify(&token).await.unwrap();
        self.ctx
            .callers
            .caller(&self.ctx.db, &verified, &token)
            .await
            .unwrap()
    }

    async fn holds(&self, caller: &Caller, grant: Grant, target: Target<'_>) -> bool {
        grant_holds(&self.ctx.db, caller, grant, target)
            .await
            .unwrap()
    }
}

fn demo(role: &str) -> &'static seed::DemoUser {
    seed::demo_user(role).unwrap()
}

#[tokio::test]
async fn a_teacher_is_a_teacher_of_their_course_only() {
    let w = world().await;
    let teacher = w.caller(demo("teacher").email).await;
    assert_eq!(teacher.role, Role::Teacher);
    assert_eq!(teacher.profile, Profile::Teacher(seed::TEACHER_ID.into()));
    let course_a = Target::course(seed::COURSE_ID);
    assert!(w.holds(&teacher, Grant::CourseTeacher, course_a).await);
    assert!(
        !w.holds(&teacher, Grant::CourseTeacher, Target::course(COURSE_B))
            .await
    );
    assert!(
        w.holds(
            &teacher,
            Grant::TeacherOfStudent,
            Target::student(seed::STUDENT_IDS[0])
        )
        .await
    );
    assert!(
        !w.holds(
            &teacher,
            Grant::TeacherOfStudent,
            Target::student(STUDENT_B)
        )
        .await
    );

    let teacher_b = w.caller("teacher.b@example.com").await;
    assert!(
        w.holds(&teacher_b, Grant::CourseTeacher, Target::course(COURSE_B))
            .await
    );
    assert!(!w.holds(&teacher_b, Grant::CourseTeacher, course_a).await);
    assert!(
        access::require_course_teacher(&w.ctx.db, &teacher_b, COURSE_B)
            .await
            .is_ok()
    );
    let err = access::require_course_teacher(&w.ctx.db, &teacher_b, seed::COURSE_ID)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 403);

    // A student who left course A no longer makes its teacher "their teacher".
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(seed::STUDENT_IDS[1])
        .execute(&w.ctx.db)
        .await
        .unwrap();
    assert!(
        !w.holds(
            &teacher,
            Grant::TeacherOfStudent,
            Target::student(seed::STUDENT_IDS[1])
        )
        .await
    );

    // Routes: the course's teacher passes, the other teacher gets 403; admins pass where listed.
    let mastery = policy("mastery_course").unwrap();
    let auth = Authorized::new(teacher.clone(), mastery, w.ctx.db.clone());
    assert!(auth.require(course_a).await.is_ok());
    let auth_b = Authorized::new(teacher_b, mastery, w.ctx.db.clone());
    assert_eq!(
        auth_b
            .require(course_a)
            .await
            .unwrap_err()
            .status()
            .as_u16(),
        403
    );
    let admin = w.caller(demo("admin").email).await;
    assert_eq!((admin.role, &admin.profile), (Role::Admin, &Profile::None));
    assert!(
        Authorized::new(admin, mastery, w.ctx.db.clone())
            .require(course_a)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_student_sees_their_own_data_only() {
    let w = world().await;
    let me = w.caller(demo("student").email).await;
    assert_eq!(me.profile, Profile::Student(seed::STUDENT_IDS[0].into()));
    let mine = Target::student(seed::STUDENT_IDS[0]);
    let other = Target::student(seed::STUDENT_IDS[1]);
    assert!(w.holds(&me, Grant::TheStudent, mine).await);
    assert!(!w.holds(&me, Grant::TheStudent, other).await);
    assert!(
        access::can_see_student(&w.ctx.db, &me, seed::STUDENT_IDS[0])
            .await
            .unwrap()
    );
    assert!(
        !access::can_see_student(&w.ctx.db, &me, seed::STUDENT_IDS[1])
            .await
            .unwrap()
    );
    assert!(access::require_own_student(&me, seed::STUDENT_IDS[0]).is_ok());
    assert_eq!(
        access::require_own_student(&me, seed::STUDENT_IDS[1])
            .unwrap_err()
            .status()
            .as_u16(),
        403
    );
    assert!(
        w.holds(&me, Grant::EnrolledStudent, Target::course(seed::COURSE_ID))
            .await
    );
    assert!(
        !w.holds(&me, Grant::EnrolledStudent, Target::course(COURSE_B))
            .await
    );
    let enrolled = Target::student_in_course(seed::STUDENT_IDS[0], seed::COURSE_ID);
    assert!(w.holds(&me, Grant::TheStudentEnrolled, enrolled).await);
    assert!(
        !w.holds(
            &me,
            Grant::TheStudentEnrolled,
            Target::student_in_course(seed::STUDENT_IDS[0], COURSE_B)
        )
        .await
    );

    // Someone else's attempt: 404, not 403 (existence must not leak); one's own passes.
    let status = policy("attempts_status").unwrap();
    let auth = Authorized::new(me.clone(), status, w.ctx.db.clone());
    assert!(auth.require(mine).await.is_ok());
    let err = auth
        .require_with(other, "Attempt a-1 not found")
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 404);
    assert_eq!(
        err.message(),
        &innova_api_server::error::ErrorMessage::One("Attempt a-1 not found".into())
    );
    // Someone else's mastery: 403 (the id was the caller's to type).
    let mastery = Authorized::new(me, policy("mastery_student").unwrap(), w.ctx.db.clone());
    assert_eq!(
        mastery.require(other).await.unwrap_err().status().as_u16(),
        403
    );
}

#[tokio::test]
async fn a_parent_needs_a_confirmed_link() {
    let w = world().await;
    let confirmed = w.caller(demo("parent").email).await;
    assert_eq!(confirmed.profile, Profile::Parent(seed::PARENT_ID.into()));
    let child = Target::student(seed::STUDENT_IDS[0]);
    assert!(w.holds(&confirmed, Grant::ConfirmedParent, child).await);
    assert!(
        !w.holds(
            &confirmed,
            Grant::ConfirmedParent,
            Target::student(seed::STUDENT_IDS[1])
        )
        .await
    );

    let unconfirmed = w.caller("parent.b@example.com").await;
    assert_eq!(unconfirmed.profile, Profile::Parent(PARENT_B.into()));
    assert!(
        !w.holds(&unconfirmed, Grant::ConfirmedParent, child).await,
        "a link without confirmed_at grants nothing"
    );
    assert!(
        !access::can_see_student(&w.ctx.db, &unconfirmed, seed::STUDENT_IDS[0])
            .await
            .unwrap()
    );
    let route = policy("parent_child").unwrap();
    let err = Authorized::new(unconfirmed, route, w.ctx.db.clone())
        .require_with(child, "This child is not linked to your account")
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 403);

    sqlx::query("UPDATE parent_links SET confirmed_at = now() WHERE parent_id = $1")
        .bind(PARENT_B)
        .execute(&w.ctx.db)
        .await
        .unwrap();
    let now_confirmed = w.caller("parent.b@example.com").await;
    assert!(w.holds(&now_confirmed, Grant::ConfirmedParent, child).await);
    // Parents never pass attempt routes, whatever the link.
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
    assert!(
        w.holds(
            &teacher,
            Grant::TheTeacher,
            Target::teacher(seed::TEACHER_ID)
        )
        .await
    );
    assert!(
        !w.holds(&teacher, Grant::TheTeacher, Target::teacher(TEACHER_B))
            .await
    );
    // Role-only routes pass any target.
    let me = Authorized::new(teacher, policy("auth_me").unwrap(), w.ctx.db.clone());
    assert!(me.require(none).await.is_ok());
}
