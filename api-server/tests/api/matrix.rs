//! The authorization matrix: every operation of the contract, asked by every kind of caller,
//! through the running server — and the status each cell must answer is computed from the policy
//! table (`innova_domain::access::POLICIES`), not written by hand (after omicron's
//! `unauthorized.rs` and `unauthorized_coverage.rs`).
//!
//! The story:
//!
//! 1. **The world** ([`support::two_courses`]): course A (the demo course, its teacher, students
//!    1–5, the demo parent confirmed for student 1) and course B (teacher B, student B, parent B
//!    unconfirmed for student 1); plus, made through the API, one attempt of student 1 in course
//!    A and one of student B in course B. ([`matrix_world`] adds one archivable course per
//!    teacher, and `Run::make` a course with an invitation nobody teaches.)
//! 2. **The identities**: anonymous, student 1, student B, the demo teacher, teacher B, the
//!    confirmed parent, the unconfirmed parent, the admin.
//! 3. **The table** ([`cases`]): one or more requests per operation, each valid for a caller the
//!    policy lets in, with the [`Target`] it addresses and the status such a caller gets.
//! 4. **The oracle** ([`expected`]): 401 without a token where one is needed, 403 for a role the
//!    policy does not admit, else the success status when the policy has no grants or one of its
//!    grants holds *in the world as declared* ([`grant_holds`]), else the policy's denial.
//! 5. **The run**: every case × every identity, one real HTTP request each; all mismatches are
//!    reported together. A second test fails when an operation of `openapi.yaml` has no case.
//!
//! Adding a route = adding its case(s) to [`cases`].

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use innova_api_server::auth::{Profile, Role};
use innova_core::db::seed::{COURSE_ID as COURSE_A, STUDENT_IDS, TEACHER_ID as TEACHER_A};
use innova_domain::access::{Denial, Grant, Policy, policy};
use innova_domain::ids::{ParentId, StudentId, TeacherId};
use innova_testkit::World;
use innova_testkit::world::Kind;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    COURSE_B, PARENT_B_EMAIL, STUDENT_B, STUDENT_B_EMAIL, TEACHER_B, TEACHER_B_EMAIL, TestApp,
    spawn_seeded_with, two_courses,
};

// ---- 1. the world -------------------------------------------------------------------------

/// Student 1: in course A, the confirmed parent's child (and the unconfirmed parent's).
const STUDENT_1: &str = STUDENT_IDS[0];

/// What the run makes through the API before the matrix: resources whose ids the server picks.
struct Made {
    /// An attempt of student 1 in course A.
    attempt_1: String,
    /// An attempt of student B in course B.
    attempt_b: String,
    /// An alert of the demo teacher in course A.
    alert_a: String,
    /// An alert of teacher B in course B.
    alert_b: String,
    // --- Classrooms, parents, skills
    /// An invitation code to a course of its own (taught by nobody in the matrix), so that the
    /// students joining it change no grant.
    join_code: String,
    /// A topic nothing references, for `skills_delete`.
    spare_topic: String,
    // --- Guides (teacher)
    /// A guide in REVIEW of course A (and the prefix of its one-shot siblings, see `Run::guides`).
    guide_a: String,
    /// The same in course B.
    guide_b: String,
    // --- Student guides
    /// A submission of student 1 to guide A, its photo uploaded (completable).
    submission_1: String,
    /// A submission of student B to guide B, its photo uploaded.
    submission_b: String,
    /// A page photo of student 1 for guide A, uploaded under their prefix.
    scan_key_1: String,
    /// A page photo of student B for guide B.
    scan_key_b: String,
    /// An exercise made from published guide A (course A): its answer is the guide's key.
    guide_exercise_a: String,
    /// The same from published guide B (course B).
    guide_exercise_b: String,
}

impl Made {
    /// Stand-in ids, for reading the table without a server (the coverage test).
    fn placeholders() -> Self {
        Made {
            attempt_1: "attempt-of-student-1".into(),
            attempt_b: "attempt-of-student-b".into(),
            alert_a: "alert-of-teacher-a".into(),
            alert_b: "alert-of-teacher-b".into(),
            join_code: "join-code".into(),
            spare_topic: "spare-topic".into(),
            // --- Guides (teacher)
            guide_a: "matrix-guide-a".into(),
            guide_b: "matrix-guide-b".into(),
            // --- Student guides
            submission_1: "submission-of-student-1".into(),
            submission_b: "submission-of-student-b".into(),
            scan_key_1: "guide-scans/guide-a/student-1/page.jpg".into(),
            scan_key_b: "guide-scans/guide-b/student-b/page.jpg".into(),
            guide_exercise_a: "guide-exercise-of-course-a".into(),
            guide_exercise_b: "guide-exercise-of-course-b".into(),
        }
    }
}

/// The ids of resources `who` (an identity's name) may never find in a successful answer: the
/// other course's people and resources, the other student's attempts and submissions, teachers'
/// alerts for students and parents, the unconfirmed parent's "child". Compared as JSON strings
/// (`"<id>"`) in the envelope's `data` only (the envelope's `path` echoes the request).
fn foreign_ids(who: &str, made: &Made) -> Vec<String> {
    let course_a: Vec<String> = vec![
        COURSE_A.into(),
        made.attempt_1.clone(),
        made.alert_a.clone(),
        made.guide_a.clone(),
        GUIDE_A.into(),
        made.submission_1.clone(),
        made.guide_exercise_a.clone(),
    ];
    let course_b: Vec<String> = vec![
        COURSE_B.into(),
        STUDENT_B.into(),
        TEACHER_B.into(),
        made.attempt_b.clone(),
        made.alert_b.clone(),
        made.guide_b.clone(),
        GUIDE_B.into(),
        made.submission_b.clone(),
        made.guide_exercise_b.clone(),
    ];
    let alerts = vec![made.alert_a.clone(), made.alert_b.clone()];
    let guide_exercises = vec![made.guide_exercise_a.clone(), made.guide_exercise_b.clone()];
    let mut ids: Vec<String> = match who {
        "student" | "parent (confirmed)" => [course_b, alerts, guide_exercises].concat(),
        // Student B has a LEFT enrollment in course A: the course itself may show in their
        // history, nothing of its students.
        "other student" => {
            let mut a = course_a;
            a.retain(|id| id != COURSE_A);
            [a, vec![STUDENT_1.into()], alerts, guide_exercises].concat()
        }
        "teacher" => {
            let mut b = course_b;
            b.retain(|id| id != STUDENT_B); // a former student of course A
            b
        }
        "other teacher" => [course_a, vec![STUDENT_1.into()]].concat(),
        "parent (unconfirmed)" => [course_a, course_b, vec![STUDENT_1.into()]].concat(),
        "anonymous" => [course_a, course_b, vec![STUDENT_1.into()]].concat(),
        _ => Vec::new(),
    };
    ids.retain(|id| !id.is_empty());
    ids
}

/// The user whose password the `auth_login` cells use.
const LOGIN_EMAIL: &str = "matrix.login@example.com";
/// The user whose password the `auth_confirm_forgot_password` cells reset.
const RESET_EMAIL: &str = "matrix.reset@example.com";
const PASSWORD: &str = "matrix-password-1";

/// A tag the admin cells re-status to the status it has.
const ADMIN_TAG: &str = "ARITH_SUB_BORROW_FROM_ZERO_G3";

/// An error tag of the demo catalogue (for `attempts_report`).
const ERROR_TAG: &str = "ARITH_SUB_BORROW_OMITTED_TENS_G3";

// ---- 2. the identities --------------------------------------------------------------------

/// Who sends a request: their token's email, and what the server resolves from it.
struct Identity {
    name: &'static str,
    /// None: no `Authorization` header.
    email: Option<&'static str>,
    role: Option<Role>,
    profile: Profile,
}

/// Every kind of caller, with role and profile read off the world's declaration.
fn identities(world: &World) -> Vec<Identity> {
    let person = |name: &'static str, email: &'static str| {
        let p = world
            .person_by_email(email)
            .unwrap_or_else(|| panic!("{email} is not in the world"));
        let (role, profile) = match p.kind {
            Kind::Teacher => (Role::Teacher, Profile::Teacher(TeacherId::new(&p.id))),
            Kind::Student => (Role::Student, Profile::Student(StudentId::new(&p.id))),
            Kind::Parent => (Role::Parent, Profile::Parent(ParentId::new(&p.id))),
        };
        Identity {
            name,
            email: Some(email),
            role: Some(role),
            profile,
        }
    };
    vec![
        Identity {
            name: "anonymous",
            email: None,
            role: None,
            profile: Profile::None,
        },
        person("student", "student1@innova.demo"),
        person("other student", STUDENT_B_EMAIL),
        person("teacher", "teacher@innova.demo"),
        person("other teacher", TEACHER_B_EMAIL),
        person("parent (confirmed)", "parent@innova.demo"),
        person("parent (unconfirmed)", PARENT_B_EMAIL),
        Identity {
            name: "admin",
            email: Some("admin@innova.demo"),
            role: Some(Role::Admin),
            profile: Profile::None,
        },
    ]
}

// ---- 3. the table -------------------------------------------------------------------------

/// The body of a case's request.
enum Body {
    None,
    Json(Value),
    /// A JPEG in the multipart file field `image` (`attempts_ocr_extract`).
    Photo,
    /// A body good for one request only, made anew for every cell.
    Once(Once),
}

enum Once {
    /// `POST /auth/register` with an email not yet taken.
    Registration,
    /// `POST /auth/refresh` with a refresh token not yet used.
    RefreshToken,
    /// `POST /auth/confirm-forgot-password` with a reset code just issued.
    ResetCode,
}

/// The resource a case addresses, as far as ownership goes: the oracle's own copy of the
/// server's `innova_app::authz::Target`, over the world's ids as text.
#[derive(Debug, Clone, Copy, Default)]
struct Target<'a> {
    student: Option<&'a str>,
    course: Option<&'a str>,
    teacher: Option<&'a str>,
    shared: bool,
}

impl<'a> Target<'a> {
    fn student(id: &'a str) -> Self {
        Target {
            student: Some(id),
            ..Target::default()
        }
    }

    fn course(id: &'a str) -> Self {
        Target {
            course: Some(id),
            ..Target::default()
        }
    }

    fn teacher(id: &'a str) -> Self {
        Target {
            teacher: Some(id),
            ..Target::default()
        }
    }

    fn student_in_course(student: &'a str, course: &'a str) -> Self {
        Target {
            student: Some(student),
            course: Some(course),
            ..Target::default()
        }
    }

    fn shared() -> Self {
        Target {
            shared: true,
            ..Target::default()
        }
    }
}

/// One request of the matrix.
struct Case {
    operation: &'static str,
    /// What the request addresses, in words (for the report).
    about: &'static str,
    method: Method,
    path: String,
    body: Body,
    /// The resource as the handler names it to the grants.
    target: Target<'static>,
    /// What a caller the policy lets in gets.
    success: u16,
}

fn case(operation: &'static str, method: Method, path: impl Into<String>) -> Case {
    let success = match method {
        Method::POST => 201,
        _ => 200,
    };
    Case {
        operation,
        about: "",
        method,
        path: path.into(),
        body: Body::None,
        target: Target::default(),
        success,
    }
}

fn get(operation: &'static str, path: impl Into<String>) -> Case {
    case(operation, Method::GET, path)
}

fn post(operation: &'static str, path: impl Into<String>, body: Value) -> Case {
    case(operation, Method::POST, path).body(Body::Json(body))
}

impl Case {
    fn about(mut self, about: &'static str) -> Self {
        self.about = about;
        self
    }

    fn on(mut self, target: Target<'static>) -> Self {
        self.target = target;
        self
    }

    fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    fn answers(mut self, status: u16) -> Self {
        self.success = status;
        self
    }
}

/// A digital attempt of `student` (53 − 26 answered 33: a borrow error, so never "recently
/// solved" for the recommender).
fn attempt_body(student: &str, course: &str) -> Value {
    json!({"studentId": student, "topicCode": "SUB", "exerciseId": "seed-ex-sub-001",
           "courseId": course, "rawSteps": [{"expression": "53 - 26", "isFinal": false},
           {"expression": "33", "isFinal": true}],
           "expectedAnswer": 27, "studentAnswer": 33, "minuend": 53, "subtrahend": 26})
}

/// An alert about `student` in `course` (the caller is its teacher).
fn alert_body(course: &str, student: &str) -> Value {
    json!({"courseId": course, "studentId": student, "alertType": "STUDENT_DROP", "severity": "LOW",
           "payload": {"daysInactive": 4}})
}

fn adhoc_body(student: &str) -> Value {
    json!({"studentId": student, "problemLatex": "\\frac{1}{2} + \\frac{1}{3}",
           "studentSteps": ["\\frac{2}{5}"], "studentFinalAnswer": "\\frac{2}{5}", "gradeLevel": 6})
}

/// Every case, one or more per operation of the contract: the request, what it addresses (`on`),
/// and, when it is not 200 for GET / 201 for POST, what an allowed caller gets (`answers`).
/// Cases that address the other course's resources are what catch a grant checked too loosely.
#[rustfmt::skip]
fn cases(made: &Made) -> Vec<Case> {
    let (a1, ab) = (&made.attempt_1, &made.attempt_b);
    let (alert_a, alert_b) = (&made.alert_a, &made.alert_b);
    let student_1 = Target::student(STUDENT_1);
    let student_b = Target::student(STUDENT_B);
    let course_a = Target::course(COURSE_A);
    let course_b = Target::course(COURSE_B);
    let report = json!({"errorTagCode": ERROR_TAG});
    // --- Guides (teacher)
    let (ga, gb) = (&made.guide_a, &made.guide_b);
    vec![
        // ---- app (public) ---------------------------------------------------------------
        get("root", "/"),
        get("health", "/health"),
        get("openapi_yaml", "/openapi.yaml"),
        get("openapi_json", "/openapi.json"),
        get("docs", "/docs"),
        // ---- auth -----------------------------------------------------------------------
        get("auth_jwks", "/auth/v1/.well-known/jwks.json"),
        case("auth_register", Method::POST, "/auth/register").body(Body::Once(Once::Registration)),
        post("auth_login", "/auth/login", json!({"email": LOGIN_EMAIL, "password": PASSWORD})),
        case("auth_refresh", Method::POST, "/auth/refresh").body(Body::Once(Once::RefreshToken)),
        post("auth_forgot_password", "/auth/forgot-password", json!({"email": RESET_EMAIL})).answers(202),
        case("auth_confirm_forgot_password", Method::POST, "/auth/confirm-forgot-password")
            .body(Body::Once(Once::ResetCode)),
        get("auth_me", "/auth/me"),
        // Revokes the caller's refresh tokens only: their access token still works in later cells.
        case("auth_logout", Method::POST, "/auth/logout"),
        // ---- attempts -------------------------------------------------------------------
        post("attempts_create", "/attempts", attempt_body(STUDENT_1, COURSE_A)).about("for student 1").on(student_1),
        post("attempts_create", "/attempts", attempt_body(STUDENT_B, COURSE_B)).about("for student B").on(student_b),
        post("attempts_solve_adhoc", "/attempts/solve-adhoc", adhoc_body(STUDENT_1)).about("for student 1").on(student_1),
        post("attempts_solve_adhoc", "/attempts/solve-adhoc", adhoc_body(STUDENT_B)).about("for student B").on(student_b),
        // 201 thanks to the fake Gemini of `Run::start` (without an OCR provider: 503).
        case("attempts_ocr_extract", Method::POST, "/attempts/ocr-extract").body(Body::Photo),
        get("attempts_status", format!("/attempts/{a1}/status")).about("attempt of student 1").on(student_1),
        get("attempts_status", format!("/attempts/{ab}/status")).about("attempt of student B").on(student_b),
        get("attempts_detail", format!("/attempts/{a1}/detail")).about("attempt of student 1").on(student_1),
        get("attempts_detail", format!("/attempts/{ab}/detail")).about("attempt of student B").on(student_b),
        post("attempts_report", format!("/attempts/{a1}/report"), report.clone()).about("attempt of student 1").on(student_1),
        post("attempts_report", format!("/attempts/{ab}/report"), report).about("attempt of student B").on(student_b),
        // ---- mastery --------------------------------------------------------------------
        get("mastery_student", format!("/mastery/{STUDENT_1}")).about("student 1").on(student_1),
        get("mastery_student", format!("/mastery/{STUDENT_B}")).about("student B").on(student_b),
        get("mastery_course", format!("/mastery/course/{COURSE_A}")).about("course A").on(course_a),
        get("mastery_course", format!("/mastery/course/{COURSE_B}")).about("course B").on(course_b),
        get("mastery_course_heatmap", format!("/mastery/course/{COURSE_A}/heatmap")).about("course A").on(course_a),
        get("mastery_course_heatmap", format!("/mastery/course/{COURSE_B}/heatmap")).about("course B").on(course_b),
        get("mastery_classroom", format!("/mastery/classroom/{COURSE_A}")).about("course A").on(course_a),
        get("mastery_classroom", format!("/mastery/classroom/{COURSE_B}")).about("course B").on(course_b),
        get("mastery_recommend", format!("/mastery/recommend/{COURSE_A}/{STUDENT_1}"))
            .about("course A, student 1 (enrolled)").on(Target::student_in_course(STUDENT_1, COURSE_A)),
        get("mastery_recommend", format!("/mastery/recommend/{COURSE_B}/{STUDENT_B}"))
            .about("course B, student B (enrolled)").on(Target::student_in_course(STUDENT_B, COURSE_B)),
        get("mastery_recommend", format!("/mastery/recommend/{COURSE_A}/{STUDENT_B}"))
            .about("course A, student B (not enrolled)").on(Target::student_in_course(STUDENT_B, COURSE_A)),
        get("mastery_recommend", format!("/mastery/recommend/{COURSE_B}/{STUDENT_1}"))
            .about("course B, student 1 (not enrolled)").on(Target::student_in_course(STUDENT_1, COURSE_B)),
        // ---- alerts ---------------------------------------------------------------------
        get("alerts_list", format!("/alerts?courseId={COURSE_A}")).about("course A").on(course_a),
        get("alerts_list", format!("/alerts?courseId={COURSE_B}")).about("course B").on(course_b),
        get("alerts_list", format!("/alerts?classroomId={COURSE_A}")).about("course A (classroomId)").on(course_a),
        post("alerts_create", "/alerts", alert_body(COURSE_A, STUDENT_1)).about("course A, student 1").on(course_a),
        post("alerts_create", "/alerts", alert_body(COURSE_B, STUDENT_B)).about("course B, student B").on(course_b),
        // Idempotent: every allowed cell answers the alert, resolved by the first.
        case("alerts_resolve", Method::PATCH, format!("/alerts/{alert_a}/resolve"))
            .about("alert of the demo teacher").on(Target::teacher(TEACHER_A)),
        case("alerts_resolve", Method::PATCH, format!("/alerts/{alert_b}/resolve"))
            .about("alert of teacher B").on(Target::teacher(TEACHER_B)),
        // ---- admin ----------------------------------------------------------------------
        get("admin_error_tags_list", "/admin/error-tags"),
        get("admin_error_tags_list", "/admin/error-tags?status=ACTIVE&domainCode=ARITH&q=borrow&limit=2")
            .about("filtered, one page"),
        // The status the tag already has: every allowed cell answers it, nothing changes.
        case("admin_error_tags_set_status", Method::PATCH, format!("/admin/error-tags/{ADMIN_TAG}/status"))
            .body(Body::Json(json!({"status": "ACTIVE"}))).about("an ACTIVE tag, to ACTIVE"),
        get("admin_status", "/admin/status"),
        // Enabling a running stage: every allowed cell answers it, nothing changes.
        case("admin_killswitch_set", Method::PATCH, "/admin/status/killswitches/ocrEnabled")
            .body(Body::Json(json!({"enabled": true}))).about("a running stage, enabled"),
        // --- Items, assignments, practice ----------------------------------------------------
        post("items_create", "/items", item_body()),
        get("items_list", "/items"),
        get("items_list", "/items?skillKey=SUB&limit=3&page=2").about("a topic's second page"),
        get("items_get", format!("/items/{EXERCISE}")).about("the shared bank").on(Target::shared()),
        get("items_get", format!("/items/{}", made.guide_exercise_a)).about("a guide's exercise, course A").on(course_a),
        get("items_get", format!("/items/{}", made.guide_exercise_b)).about("a guide's exercise, course B").on(course_b),
        get("items_irt", format!("/items/{EXERCISE}/irt")),
        // Whoever may not read it gets null, as for an unknown id.
        get("items_irt", format!("/items/{}/irt", made.guide_exercise_a)).about("a guide's exercise"),
        // Queued in-process (the matrix server has no queue URLs): 202.
        post("items_generate", "/items/generate", generate_body()).answers(202),
        post("assignments_create", "/assignments", course_assignment(COURSE_A, &[])).about("course A").on(course_a),
        post("assignments_create", "/assignments", course_assignment(COURSE_B, &[])).about("course B").on(course_b),
        post("assignments_create", "/assignments", course_assignment(COURSE_A, &[STUDENT_1]))
            .about("course A, for student 1").on(course_a),
        post("assignments_create", "/assignments", student_assignment(STUDENT_1)).about("for student 1").on(student_1),
        post("assignments_create", "/assignments", student_assignment(STUDENT_B)).about("for student B").on(student_b),
        // Both students have mastery of ARITH:SUB (the attempts of `Run::make`): 201.
        case("assignments_recommend", Method::POST, format!("/assignments/recommend?studentId={STUDENT_1}"))
            .about("for student 1").on(student_1),
        case("assignments_recommend", Method::POST, format!("/assignments/recommend?studentId={STUDENT_B}"))
            .about("for student B").on(student_b),
        get("assignments_student", format!("/assignments/student/{STUDENT_1}")).about("student 1").on(student_1),
        get("assignments_student", format!("/assignments/student/{STUDENT_B}")).about("student B").on(student_b),
        post("practice_assign", "/practice/assign", practice_body(STUDENT_1)).about("for student 1").on(student_1),
        post("practice_assign", "/practice/assign", practice_body(STUDENT_B)).about("for student B").on(student_b),
        get("practice_recommend_next", format!("/practice/recommend-next?studentId={STUDENT_1}"))
            .about("student 1").on(student_1),
        get("practice_recommend_next", format!("/practice/recommend-next?studentId={STUDENT_B}"))
            .about("student B").on(student_b),
        // --- Classrooms, parents, skills ---------------------------------------------------
        post("classrooms_create", "/classrooms", json!({"gradeLevel": 5, "letter": "c"})),
        get("classrooms_mine", "/classrooms/mine"),
        get("classrooms_mine", "/classrooms/mine?limit=1&page=1").about("one page"),
        get("classrooms_student_mine", "/classrooms/student/mine"),
        get("classrooms_get", format!("/classrooms/{COURSE_A}")).about("course A").on(course_a),
        get("classrooms_get", format!("/classrooms/{COURSE_B}")).about("course B").on(course_b),
        post("classrooms_invite", format!("/classrooms/{COURSE_A}/invite"), json!({"maxUses": 30}))
            .about("course A").on(course_a),
        case("classrooms_invite", Method::POST, format!("/classrooms/{COURSE_B}/invite"))
            .about("course B, no body").on(course_b),
        // Joining again is not an error: every allowed cell answers the course.
        post("classrooms_join", "/classrooms/join", json!({"code": made.join_code})),
        // One archivable course per teacher: only its teacher passes, once.
        case("classrooms_archive", Method::DELETE, format!("/classrooms/{ARCHIVE_A}"))
            .about("a course of the demo teacher").on(Target::course(ARCHIVE_A)),
        case("classrooms_archive", Method::DELETE, format!("/classrooms/{ARCHIVE_B}"))
            .about("a course of teacher B").on(Target::course(ARCHIVE_B)),
        get("parent_children", "/parent/children"),
        get("parent_child", format!("/parent/children/{STUDENT_1}")).about("student 1").on(student_1),
        post("skills_create", "/skills", json!({"key": "T-MATRIX", "name": "Matriz"})),
        get("skills_list", "/skills"),
        get("skills_list", "/skills?limit=10&page=2").about("one page"),
        get("skills_taxonomy", "/skills/taxonomy"),
        get("skills_error_tags", "/skills/error-tags?q=borrow&domainCode=ARITH&limit=3"),
        get("skills_get", format!("/skills/{SKILL}")),
        // The description it has: every allowed cell answers the topic, nothing changes.
        case("skills_update", Method::PATCH, format!("/skills/{SKILL}"))
            .body(Body::Json(json!({"description": "Resta con reagrupación para 3°-4° básico"}))),
        case("skills_delete", Method::DELETE, format!("/skills/{}", made.spare_topic)).answers(204),
        get("skills_prerequisites", format!("/skills/{SKILL}/prerequisites")),
        // --- Guides (teacher) ---------------------------------------------------------------
        post("guides_create", "/guides", json!({"courseId": COURSE_A, "title": "Guía A"})).about("course A").on(course_a),
        post("guides_create", "/guides", json!({"courseId": COURSE_B, "title": "Guía B"})).about("course B").on(course_b),
        get("guides_list", "/guides"),
        get("guides_list", "/guides?status=REVIEW&page=1&pageSize=5").about("filtered, one page"),
        get("guides_list", format!("/guides?courseId={COURSE_A}")).about("course A").on(course_a),
        get("guides_list", format!("/guides?courseId={COURSE_B}")).about("course B").on(course_b),
        // UPLOADED: the first allowed cell starts the extraction, the next find it running: 202.
        case("guides_ingest", Method::POST, format!("/guides/{ga}-ingest/ingest")).about("guide of course A").on(course_a).answers(202),
        case("guides_ingest", Method::POST, format!("/guides/{gb}-ingest/ingest")).about("guide of course B").on(course_b).answers(202),
        get("guides_get", format!("/guides/{ga}")).about("guide of course A").on(course_a),
        get("guides_get", format!("/guides/{gb}")).about("guide of course B").on(course_b),
        // The values it has: every allowed cell answers the guide, nothing changes.
        case("guides_update", Method::PATCH, format!("/guides/{ga}")).body(Body::Json(json!({"maxResubmissions": 2})))
            .about("guide of course A").on(course_a),
        case("guides_update", Method::PATCH, format!("/guides/{gb}")).body(Body::Json(json!({"maxResubmissions": 2})))
            .about("guide of course B").on(course_b),
        case("guides_update_question", Method::PATCH, format!("/guides/{ga}/questions/{ga}-q1"))
            .body(Body::Json(json!({"status": "APPROVED"}))).about("question of course A").on(course_a),
        case("guides_update_question", Method::PATCH, format!("/guides/{gb}/questions/{gb}-q1"))
            .body(Body::Json(json!({"status": "APPROVED"}))).about("question of course B").on(course_b),
        case("guides_update_solution", Method::PATCH, format!("/guides/{ga}/questions/{ga}-q1/solution"))
            .body(Body::Json(guide_solution_body())).about("question of course A").on(course_a),
        case("guides_update_solution", Method::PATCH, format!("/guides/{gb}/questions/{gb}-q1/solution"))
            .body(Body::Json(guide_solution_body())).about("question of course B").on(course_b),
        // Queued in-process (the matrix server has no queue URLs): 202.
        case("guides_regenerate_solution", Method::POST, format!("/guides/{ga}/questions/{ga}-q1/regenerate-solution"))
            .about("question of course A").on(course_a).answers(202),
        case("guides_regenerate_solution", Method::POST, format!("/guides/{gb}/questions/{gb}-q1/regenerate-solution"))
            .about("question of course B").on(course_b).answers(202),
        // A guide of its own in REVIEW per course: only its teacher passes, once.
        case("guides_publish", Method::POST, format!("/guides/{ga}-publish/publish")).about("guide of course A").on(course_a),
        case("guides_publish", Method::POST, format!("/guides/{gb}-publish/publish")).about("guide of course B").on(course_b),
        // A guide of its own per course: only its teacher passes, once.
        case("guides_archive", Method::DELETE, format!("/guides/{ga}-archive")).about("guide of course A").on(course_a),
        case("guides_archive", Method::DELETE, format!("/guides/{gb}-archive")).about("guide of course B").on(course_b),
        get("guides_source_url", format!("/guides/{ga}/source-url")).about("guide of course A").on(course_a),
        get("guides_source_url", format!("/guides/{gb}/source-url")).about("guide of course B").on(course_b),
        get("guides_results", format!("/guides/{ga}/results")).about("guide of course A").on(course_a),
        get("guides_results", format!("/guides/{gb}/results")).about("guide of course B").on(course_b),
        get("guides_submission", format!("/guides/{ga}/submissions/{ga}-s1")).about("submission in course A").on(course_a),
        get("guides_submission", format!("/guides/{gb}/submissions/{gb}-s1")).about("submission in course B").on(course_b),
        case("guides_submission_error_tag", Method::PATCH, format!("/guides/{ga}/submissions/{ga}-s1/error-tag"))
            .body(Body::Json(json!({"errorTagCode": ERROR_TAG}))).about("submission in course A").on(course_a),
        case("guides_submission_error_tag", Method::PATCH, format!("/guides/{gb}/submissions/{gb}-s1/error-tag"))
            .body(Body::Json(json!({"errorTagCode": ERROR_TAG}))).about("submission in course B").on(course_b),
        // --- Student guides ----------------------------------------------------------------
        get("student_guides_list", "/student/guides"),
        get("student_guides_get", format!("/student/guides/{GUIDE_A}")).about("guide of course A").on(course_a),
        get("student_guides_get", format!("/student/guides/{GUIDE_B}")).about("guide of course B").on(course_b),
        post("student_submissions_create", format!("/student/guides/{GUIDE_A}/questions/{QUESTION_A2}/submissions"),
            json!({"photoCount": 1})).about("guide of course A").on(course_a),
        post("student_submissions_create", format!("/student/guides/{GUIDE_B}/questions/{QUESTION_B1}/submissions"),
            json!({"photoCount": 1})).about("guide of course B").on(course_b),
        // Repeatable (the status stays UPLOADED); queued in-process.
        case("student_submissions_complete", Method::POST, format!("/student/submissions/{}/complete", made.submission_1))
            .about("submission of student 1").on(student_1).answers(202),
        case("student_submissions_complete", Method::POST, format!("/student/submissions/{}/complete", made.submission_b))
            .about("submission of student B").on(student_b).answers(202),
        get("student_submissions_status", format!("/student/submissions/{}/status", made.submission_1))
            .about("submission of student 1").on(student_1),
        get("student_submissions_status", format!("/student/submissions/{}/status", made.submission_b))
            .about("submission of student B").on(student_b),
        get("student_guides_results", format!("/student/guides/{GUIDE_A}/results")).about("guide of course A").on(course_a),
        get("student_guides_results", format!("/student/guides/{GUIDE_B}/results")).about("guide of course B").on(course_b),
        get("student_guides_scan_page_url", format!("/student/guides/{GUIDE_A}/scan-page-url")).about("guide of course A").on(course_a),
        get("student_guides_scan_page_url", format!("/student/guides/{GUIDE_B}/scan-page-url")).about("guide of course B").on(course_b),
        // Read by the fake Gemini of `Run::start` (one exercise: one submission to question 1).
        post("student_guides_scan_page", format!("/student/guides/{GUIDE_A}/scan-page"), json!({"photoKey": made.scan_key_1}))
            .about("guide of course A, student 1's page").on(course_a).answers(200),
        post("student_guides_scan_page", format!("/student/guides/{GUIDE_B}/scan-page"), json!({"photoKey": made.scan_key_b}))
            .about("guide of course B, student B's page").on(course_b).answers(200),
    ]
}

// --- Classrooms, parents, skills: the world's extra courses and the made resources --------------

/// Courses only `classrooms_archive` addresses, taught by the demo teacher and by teacher B.
const ARCHIVE_A: &str = "matrix-archive-a";
const ARCHIVE_B: &str = "matrix-archive-b";
/// A seeded topic (T-SUB-BORROW).
const SKILL: &str = "seed-topic-001";

/// The two-course world plus the archivable courses, and student B's LEFT enrollment in course A.
fn matrix_world() -> World {
    two_courses()
        // Not ACTIVE: "enrolled" grants must not count it.
        .enroll_as(COURSE_A, STUDENT_B, "LEFT")
        .course(ARCHIVE_A, "Archivable A")
        .taught_by(ARCHIVE_A, TEACHER_A)
        .course(ARCHIVE_B, "Archivable B")
        .taught_by(ARCHIVE_B, TEACHER_B)
}

impl Run {
    /// A code to a course of its own, with no teacher and no use limit.
    async fn join_code(&self) -> String {
        use innova_core::db::classrooms::{self, NewCourse, NewInvite};
        use innova_core::db::seed::{SCHOOL_ID, SUBJECT_ID};
        let pool = self.app.pool();
        let course = NewCourse {
            school_id: SCHOOL_ID,
            subject_id: SUBJECT_ID,
            name: "Matrix join",
            grade_level: 6,
            letter: None,
            academic_year: 2026,
        };
        let course = classrooms::insert_course(pool, &course).await.unwrap();
        let invite = NewInvite {
            course_id: &course.id,
            created_by: TEACHER_A,
            ttl_seconds: Some(3600),
            max_uses: None,
        };
        classrooms::insert_invite(pool, &invite).await.unwrap().code
    }

    /// A topic created by the admin, referenced by nothing.
    async fn spare_topic(&self) -> String {
        let body = json!({"key": "T-SPARE", "name": "De repuesto"});
        let data = self
            .expect_ok(Some("admin@innova.demo"), Method::POST, "/skills", &body)
            .await;
        data["id"].as_str().unwrap().to_owned()
    }
}

// --- Items, assignments, practice: the cases' bodies -------------------------------------------

/// A seeded exercise (ARITH:SUB, ACTIVE).
const EXERCISE: &str = "seed-ex-sub-001";

fn item_body() -> Value {
    json!({"skillId": "seed-topic-001", "content": {"prompt": "91 - 46 = ?"}, "irtA": 1.1, "irtB": 0.2})
}

fn generate_body() -> Value {
    json!({"subdomainCode": "SUB", "gradeLevel": 3, "targetErrorCodes": [ERROR_TAG], "count": 2})
}

fn course_assignment(course: &str, students: &[&str]) -> Value {
    json!({"courseId": course, "studentIds": students, "exerciseIds": [EXERCISE],
           "title": "Restas", "reason": "TEACHER_MANUAL", "dueAt": "2026-06-01T12:00:00Z"})
}

fn student_assignment(student: &str) -> Value {
    json!({"studentIds": [student], "exerciseIds": [EXERCISE], "title": "Restas", "reason": "TEACHER_MANUAL"})
}

fn practice_body(student: &str) -> Value {
    json!({"studentId": student, "itemIds": [EXERCISE], "dueAt": "2026-06-01"})
}

// --- Guides (teacher): the world's guides -------------------------------------------------------

/// A canonical solution with one checkpoint (`guides_update_solution`).
fn guide_solution_body() -> Value {
    json!({"finalAnswer": "7", "stepsJson": {"final_answer": "7", "points": 1,
           "steps": [{"idx": 0, "latex": "12 - 5 = 7", "checkpoint": true}]}})
}

impl Run {
    /// Per course: a guide in REVIEW (one approved question with a submission of a student of
    /// the course), and guides of their own for the one-shot cells: `-publish` (REVIEW),
    /// `-archive` and `-ingest` (UPLOADED). Answers the main guide's id, the others' prefix.
    async fn guides(&self, id: &str, course: &str, teacher: &str, student: &str) -> String {
        use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
        let pool = self.app.pool();
        let question = |g: &str| {
            QuestionFixture::approved(&format!("{g}-q1"), 1, "12 - 5")
                .topic("SUB")
                .answer("7")
        };
        let main = GuideFixture::new(id, course, teacher).question(question(id));
        main.insert(pool).await;
        SubmissionFixture::new(&format!("{id}-s1"), &main, &format!("{id}-q1"), student)
            .insert(pool)
            .await;
        let publish = format!("{id}-publish");
        GuideFixture::new(&publish, course, teacher)
            .question(question(&publish))
            .insert(pool)
            .await;
        for suffix in ["archive", "ingest"] {
            GuideFixture::new(&format!("{id}-{suffix}"), course, teacher)
                .status("UPLOADED")
                .insert(pool)
                .await;
        }
        id.to_owned()
    }
}

// --- Student guides: the published guides and the made submissions and page photos ------------

/// A published guide of course A (two APPROVED questions) and one of course B (one).
const GUIDE_A: &str = "matrix-published-a";
const GUIDE_B: &str = "matrix-published-b";
const QUESTION_A1: &str = "matrix-published-a-q1";
const QUESTION_A2: &str = "matrix-published-a-q2";
const QUESTION_B1: &str = "matrix-published-b-q1";
const STUDENT_1_EMAIL: &str = "student1@innova.demo";

impl Run {
    /// Inserts both guides (once), then starts a one-photo submission as `email` to `question`
    /// and uploads the photo; the submission's id.
    async fn guides_and_submission(&self, email: &str, guide: &str, question: &str) -> String {
        use innova_testkit::guides::{GuideFixture, QuestionFixture};
        if guide == GUIDE_A {
            GuideFixture::new(GUIDE_A, COURSE_A, TEACHER_A)
                .status("PUBLISHED")
                .question(QuestionFixture::approved(QUESTION_A1, 1, "52 - 17").answer("35"))
                .question(QuestionFixture::approved(QUESTION_A2, 2, "30 - 18").answer("12"))
                .insert(self.app.pool())
                .await;
            GuideFixture::new(GUIDE_B, COURSE_B, TEACHER_B)
                .status("PUBLISHED")
                .question(QuestionFixture::approved(QUESTION_B1, 1, "9 - 4").answer("5"))
                .insert(self.app.pool())
                .await;
        }
        let path = format!("/student/guides/{guide}/questions/{question}/submissions");
        let data = self
            .expect_ok(Some(email), Method::POST, &path, &json!({"photoCount": 1}))
            .await;
        self.upload(data["presignedPutUrls"][0].as_str().unwrap())
            .await;
        data["submissionId"].as_str().unwrap().to_owned()
    }

    /// A page photo uploaded by `email` through `scan-page-url`; its key.
    async fn scan_page(&self, email: &str, guide: &str) -> String {
        let path = format!("/student/guides/{guide}/scan-page-url");
        let data = self
            .expect_ok(Some(email), Method::GET, &path, &Value::Null)
            .await;
        self.upload(data["presignedUrl"].as_str().unwrap()).await;
        data["photoKey"].as_str().unwrap().to_owned()
    }

    /// The exercise publishing makes of a guide question (as `guides::publish` does): source
    /// GUIDE_EXTRACTED, the answer in its content, linked from the question.
    async fn guide_exercise(&self, question: &str, answer: &str) -> String {
        let id = format!("{question}-exercise");
        sqlx::query(
            "INSERT INTO exercises (id, topic_id, source, content, status)
             VALUES ($1, 'seed-topic-001', 'GUIDE_EXTRACTED',
                     jsonb_build_object('prompt', '', 'statement_latex', 'x', 'final_answer', $2::text),
                     'ACTIVE')",
        )
        .bind(&id)
        .bind(answer)
        .execute(self.app.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE guide_questions SET exercise_id = $1 WHERE id = $2")
            .bind(&id)
            .bind(question)
            .execute(self.app.pool())
            .await
            .unwrap();
        id
    }

    async fn upload(&self, url: &str) {
        let resp = self
            .app
            .http
            .put(url)
            .header("content-type", "image/jpeg")
            .body(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0])
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "PUT {url}: {}", resp.status());
    }
}

// ---- 4. the oracle ------------------------------------------------------------------------

/// What one role may do on a route, in the scope matrix's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The role is refused (403; 401 without a token).
    No,
    /// The role passes on any resource.
    All,
    /// The role passes when one of these relations to the resource holds, else the route's
    /// denial.
    If(&'static [Grant]),
}

/// One route of the scope matrix, role by role.
struct Scope {
    operation: &'static str,
    /// No token needed.
    anonymous: bool,
    student: Rule,
    teacher: Rule,
    parent: Rule,
    admin: Rule,
    denial: Denial,
}

impl Scope {
    fn of(&self, role: Role) -> Rule {
        match role {
            Role::Student => self.student,
            Role::Teacher => self.teacher,
            Role::Parent => self.parent,
            Role::Admin => self.admin,
        }
    }
}

const fn public(operation: &'static str) -> Scope {
    Scope {
        operation,
        anonymous: true,
        student: All,
        teacher: All,
        parent: All,
        admin: All,
        denial: Forbidden,
    }
}

const fn signed_in(operation: &'static str) -> Scope {
    Scope {
        operation,
        anonymous: false,
        student: All,
        teacher: All,
        parent: All,
        admin: All,
        denial: Forbidden,
    }
}

/// A route for these roles (`student`, `teacher`, `parent`, `admin`), refused to anonymous.
const fn roles(
    operation: &'static str,
    student: Rule,
    teacher: Rule,
    parent: Rule,
    admin: Rule,
) -> Scope {
    Scope {
        operation,
        anonymous: false,
        student,
        teacher,
        parent,
        admin,
        denial: Forbidden,
    }
}

impl Scope {
    /// Denied resources answer 404 (their existence must not leak).
    const fn hidden(mut self) -> Scope {
        self.denial = NotFound;
        self
    }
}

use Denial::{Forbidden, NotFound};
use Grant::*;
use Rule::{All, If, No};

/// The scope matrix of the docs (`docs/decisions.md`, "Authorization"), written once more by
/// hand, role by role — **not** computed from `POLICIES`, the table the server enforces. Each
/// cell's expected status comes from here, and [`the_scope_table_and_the_policy_table_agree`]
/// fails where the two tables disagree: a wrong policy entry can no longer make the server and
/// its oracle wrong together.
#[rustfmt::skip]
const SCOPE: &[Scope] = &[
    public("root"), public("health"), public("openapi_yaml"), public("openapi_json"), public("docs"),
    public("auth_jwks"), public("auth_register"), public("auth_login"), public("auth_refresh"),
    public("auth_forgot_password"), public("auth_confirm_forgot_password"),
    signed_in("auth_me"), signed_in("auth_logout"),
    //     operation                 student                       teacher                                  parent                  admin
    roles("attempts_create",         If(&[TheStudent]),            No,                                      No,                     No),
    roles("attempts_solve_adhoc",    If(&[TheStudent]),            No,                                      No,                     No),
    roles("attempts_ocr_extract",    All,                          No,                                      No,                     No),
    roles("attempts_status",         If(&[TheStudent]),            If(&[TeacherOfStudent]),                 No,                     All).hidden(),
    roles("attempts_detail",         If(&[TheStudent]),            If(&[TeacherOfStudent]),                 No,                     All).hidden(),
    roles("attempts_report",         If(&[TheStudent]),            If(&[TeacherOfStudent]),                 No,                     All).hidden(),
    roles("mastery_course",          No,                           If(&[CourseTeacher]),                    No,                     All),
    roles("mastery_course_heatmap",  No,                           If(&[CourseTeacher]),                    No,                     All),
    roles("mastery_classroom",       No,                           If(&[CourseTeacher]),                    No,                     All),
    roles("mastery_recommend",       If(&[TheStudentEnrolled]),    If(&[CourseTeacherOfEnrolled]),          No,                     All),
    roles("mastery_student",         If(&[TheStudent]),            If(&[TeacherOfStudent]),                 If(&[ConfirmedParent]), All),
    roles("items_create",            No,                           All,                                     No,                     All),
    signed_in("items_list"),
    // The shared bank for everyone; a guide's exercise (its answer is the guide's key) for the
    // guide's course teachers and admins.
    roles("items_get",               If(&[SharedBank]),            If(&[SharedBank, CourseTeacher]),        If(&[SharedBank]),      All).hidden(),
    signed_in("items_irt"),
    roles("items_generate",          No,                           All,                                     No,                     All),
    roles("skills_create",           No,                           No,                                      No,                     All),
    signed_in("skills_list"), signed_in("skills_taxonomy"), signed_in("skills_error_tags"),
    signed_in("skills_get"), signed_in("skills_prerequisites"),
    roles("skills_update",           No,                           No,                                      No,                     All),
    roles("skills_delete",           No,                           No,                                      No,                     All),
    roles("guides_create",           No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_ingest",           No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_list",             No,                           If(&[OwnCourses]),                       No,                     No),
    roles("guides_get",              No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_update",           No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_update_question",  No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_update_solution",  No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_regenerate_solution", No,                        If(&[CourseTeacher]),                    No,                     No),
    roles("guides_publish",          No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_archive",          No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_source_url",       No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_results",          No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_submission",       No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("guides_submission_error_tag", No,                       If(&[CourseTeacher]),                    No,                     No),
    roles("student_guides_list",     All,                          No,                                      No,                     No),
    roles("student_guides_get",      If(&[EnrolledStudent]),       No,                                      No,                     No),
    roles("student_submissions_create", If(&[EnrolledStudent]),    No,                                      No,                     No),
    roles("student_submissions_complete", If(&[TheStudent]),       No,                                      No,                     No).hidden(),
    roles("student_submissions_status", If(&[TheStudent]),         No,                                      No,                     No).hidden(),
    roles("student_guides_results",  If(&[EnrolledStudent]),       No,                                      No,                     No),
    roles("student_guides_scan_page_url", If(&[EnrolledStudent]),  No,                                      No,                     No),
    roles("student_guides_scan_page", If(&[EnrolledStudent]),      No,                                      No,                     No),
    roles("assignments_create",      No,                           If(&[CourseTeacher, TeacherOfStudent]),  No,                     No),
    roles("assignments_recommend",   No,                           If(&[CourseTeacher, TeacherOfStudent]),  No,                     No),
    roles("assignments_student",     If(&[TheStudent]),            If(&[TeacherOfStudent]),                 If(&[ConfirmedParent]), All),
    roles("practice_assign",         No,                           If(&[TeacherOfStudent]),                 No,                     No),
    roles("practice_recommend_next", If(&[TheStudent]),            If(&[TeacherOfStudent]),                 No,                     All),
    roles("alerts_list",             No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("alerts_create",           No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("alerts_resolve",          No,                           If(&[TheTeacher]),                       No,                     No).hidden(),
    roles("classrooms_create",       No,                           All,                                     No,                     No),
    roles("classrooms_mine",         No,                           All,                                     No,                     No),
    roles("classrooms_student_mine", All,                          No,                                      No,                     No),
    roles("classrooms_get",          If(&[EnrolledStudent]),       If(&[CourseTeacher]),                    No,                     All),
    roles("classrooms_invite",       No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("classrooms_join",         All,                          No,                                      No,                     No),
    roles("classrooms_archive",      No,                           If(&[CourseTeacher]),                    No,                     No),
    roles("parent_children",         No,                           No,                                      All,                    No),
    roles("parent_child",            No,                           No,                                      If(&[ConfirmedParent]), No),
    roles("admin_error_tags_list",   No,                           No,                                      No,                     All),
    roles("admin_error_tags_set_status", No,                       No,                                      No,                     All),
    roles("admin_status",            No,                           No,                                      No,                     All),
    roles("admin_killswitch_set",    No,                           No,                                      No,                     All),
];

fn scope(operation: &str) -> &'static Scope {
    SCOPE
        .iter()
        .find(|s| s.operation == operation)
        .unwrap_or_else(|| panic!("{operation}: not in the scope table of this test"))
}

/// The status `who` must get for `case`, from the scope table and the world's facts.
fn expected(world: &World, who: &Identity, case: &Case) -> u16 {
    let scope = scope(case.operation);
    let Some(role) = who.role else {
        return if scope.anonymous { case.success } else { 401 };
    };
    let granted = match scope.of(role) {
        No => return 403,
        All => true,
        If(grants) => grants
            .iter()
            .any(|grant| grant_holds(world, who, *grant, &case.target)),
    };
    match (granted, scope.denial) {
        (true, _) => case.success,
        (false, Forbidden) => 403,
        (false, NotFound) => 404,
    }
}

/// The role a grant can hold for (a relation of that role's profile to the resource); `None`:
/// any role.
fn grant_role(grant: Grant) -> Option<Role> {
    match grant {
        Grant::Admin => Some(Role::Admin),
        TheStudent | TheStudentEnrolled | EnrolledStudent => Some(Role::Student),
        TeacherOfStudent | CourseTeacher | TheTeacher | CourseTeacherOfEnrolled => {
            Some(Role::Teacher)
        }
        ConfirmedParent => Some(Role::Parent),
        OwnCourses => Some(Role::Teacher),
        SharedBank => None,
    }
}

/// What a policy of the server's table says of one role, in the scope table's terms.
fn policy_rule(policy: &Policy, role: Role) -> Rule {
    if !policy.callers.admits(role) {
        return No;
    }
    if policy.role_only() || (role == Role::Admin && policy.grants.contains(&Grant::Admin)) {
        return All;
    }
    let mine: Vec<Grant> = policy
        .grants
        .iter()
        .copied()
        .filter(|g| grant_role(*g).is_none_or(|r| r == role))
        .collect();
    If(Vec::leak(mine))
}

/// Rules are equal when they admit the same way (grants in any order).
fn same_rule(a: Rule, b: Rule) -> bool {
    match (a, b) {
        (If(x), If(y)) => {
            let (x, y): (BTreeSet<_>, BTreeSet<_>) = (
                x.iter().map(|g| format!("{g:?}")).collect(),
                y.iter().map(|g| format!("{g:?}")).collect(),
            );
            x == y
        }
        (a, b) => a == b,
    }
}

#[test]
fn the_scope_table_and_the_policy_table_agree() {
    let mut problems = Vec::new();
    for p in innova_domain::access::POLICIES {
        let Some(s) = SCOPE.iter().find(|s| s.operation == p.operation) else {
            problems.push(format!(
                "{}: in POLICIES, not in the scope table",
                p.operation
            ));
            continue;
        };
        if s.anonymous == p.callers.needs_token() {
            problems.push(format!("{}: anonymous callers", p.operation));
        }
        for role in Role::ALL {
            let (written, enforced) = (s.of(role), policy_rule(p, role));
            if !same_rule(written, enforced) {
                problems.push(format!(
                    "{} as {role}: the scope table says {written:?}, POLICIES enforces {enforced:?}",
                    p.operation
                ));
            }
        }
        if s.denial != p.denial && !p.role_only() {
            problems.push(format!(
                "{}: denial {:?} vs {:?}",
                p.operation, s.denial, p.denial
            ));
        }
    }
    for s in SCOPE {
        if policy(s.operation).is_none() {
            problems.push(format!(
                "{}: in the scope table, not in POLICIES",
                s.operation
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the tables disagree:\n{}",
        problems.join("\n")
    );
}

/// Whether one grant holds for `who` on `target`, from the world as declared (the server asks
/// its database; this asks the declaration). No `_` arm: a new grant must be taught here.
fn grant_holds(world: &World, who: &Identity, grant: Grant, target: &Target) -> bool {
    let p = &who.profile;
    let (student, course, teacher) = (target.student, target.course, target.teacher);
    let (my_student, my_teacher) = (
        p.student_id().map(StudentId::as_str),
        p.teacher_id().map(TeacherId::as_str),
    );
    match grant {
        Grant::Admin => who.role == Some(Role::Admin),
        TheStudent => my_student.is_some() && my_student == student,
        TheStudentEnrolled => match (p.student_id(), student, course) {
            (Some(me), Some(s), Some(c)) => me == s && world.active_in(me, c),
            _ => false,
        },
        TeacherOfStudent => match (p.teacher_id(), student) {
            (Some(me), Some(s)) => world.teaches_student(me, s),
            _ => false,
        },
        ConfirmedParent => match (p.parent_id(), student) {
            (Some(me), Some(s)) => world.confirmed_parent(me, s),
            _ => false,
        },
        CourseTeacher => match (p.teacher_id(), course) {
            (Some(me), Some(c)) => world.teaches(me, c),
            _ => false,
        },
        EnrolledStudent => match (p.student_id(), course) {
            (Some(me), Some(c)) => world.active_in(me, c),
            _ => false,
        },
        TheTeacher => my_teacher.is_some() && my_teacher == teacher,
        CourseTeacherOfEnrolled => match (p.teacher_id(), student, course) {
            (Some(me), Some(s), Some(c)) => world.teaches(me, c) && world.active_in(s, c),
            _ => false,
        },
        SharedBank => target.shared,
        OwnCourses => match (p.teacher_id(), course) {
            (_, None) => true,
            (Some(me), Some(c)) => world.teaches(me, c),
            (None, Some(_)) => false,
        },
    }
}

// ---- 5. the run ---------------------------------------------------------------------------

/// The server, the world in its database, and what the cells need.
struct Run {
    app: TestApp,
    /// Tokens by email.
    tokens: Vec<(&'static str, String)>,
    fresh: AtomicUsize,
    _gemini: wiremock::MockServer,
}

impl Run {
    async fn start(world: &World) -> Run {
        // OCR: a fake Gemini reading one exercise off any photo.
        use wiremock::matchers::method;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let gemini = MockServer::start().await;
        let read = json!({"exercises": [{"problem": "52 - 17 = ?", "latex_steps": ["52 - 17", "35"],
            "final_answer": "35", "overall_confidence": 0.9, "topic_hint": "resta"}]});
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "candidates": [{"content": {"role": "model", "parts": [{"text": read.to_string()}]},
                                "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10}
            })))
            .mount(&gemini)
            .await;
        let app = spawn_seeded_with(&[
            ("AUTH_RATE_LIMIT_PER_IP", "0"),
            ("AUTH_RATE_LIMIT_PER_EMAIL", "0"),
            ("GEMINI_API_KEY", "test-key"),
            ("GEMINI_BASE_URL", &gemini.uri()),
        ])
        .await;
        world.insert(app.pool()).await;
        let mut tokens = Vec::new();
        for who in identities(world) {
            if let Some(email) = who.email {
                tokens.push((email, app.token_for(email).await));
            }
        }
        let run = Run {
            app,
            tokens,
            fresh: AtomicUsize::new(0),
            _gemini: gemini,
        };
        for email in [LOGIN_EMAIL, RESET_EMAIL] {
            let body = json!({"email": email, "password": PASSWORD, "role": "student"});
            run.expect_ok(None, Method::POST, "/auth/register", &body)
                .await;
        }
        run
    }

    fn token(&self, email: &str) -> &str {
        &self.tokens.iter().find(|(e, _)| *e == email).unwrap().1
    }

    /// A request that must succeed (setting the world up); its `data`.
    async fn expect_ok(
        &self,
        email: Option<&str>,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Value {
        let mut req = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.base_url))
            .json(body);
        if let Some(email) = email {
            req = req.bearer_auth(self.token(email));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body["data"].clone()
    }

    /// The resources the table addresses that only the server can make.
    async fn make(&self) -> Made {
        Made {
            attempt_1: self
                .attempt("student1@innova.demo", STUDENT_1, COURSE_A)
                .await,
            attempt_b: self.attempt(STUDENT_B_EMAIL, STUDENT_B, COURSE_B).await,
            alert_a: self.alert("teacher@innova.demo", COURSE_A, STUDENT_1).await,
            alert_b: self.alert(TEACHER_B_EMAIL, COURSE_B, STUDENT_B).await,
            join_code: self.join_code().await,
            spare_topic: self.spare_topic().await,
            // --- Guides (teacher)
            guide_a: self
                .guides("matrix-guide-a", COURSE_A, TEACHER_A, STUDENT_1)
                .await,
            guide_b: self
                .guides("matrix-guide-b", COURSE_B, TEACHER_B, STUDENT_B)
                .await,
            // --- Student guides
            submission_1: self
                .guides_and_submission(STUDENT_1_EMAIL, GUIDE_A, QUESTION_A1)
                .await,
            submission_b: self
                .guides_and_submission(STUDENT_B_EMAIL, GUIDE_B, QUESTION_B1)
                .await,
            scan_key_1: self.scan_page(STUDENT_1_EMAIL, GUIDE_A).await,
            scan_key_b: self.scan_page(STUDENT_B_EMAIL, GUIDE_B).await,
            guide_exercise_a: self.guide_exercise(QUESTION_A1, "35").await,
            guide_exercise_b: self.guide_exercise(QUESTION_B1, "5").await,
        }
    }

    /// An alert raised by the teacher `email` about `student` in `course`.
    async fn alert(&self, email: &str, course: &str, student: &str) -> String {
        let body = alert_body(course, student);
        let data = self
            .expect_ok(Some(email), Method::POST, "/alerts", &body)
            .await;
        data["id"].as_str().unwrap().to_owned()
    }

    /// An attempt posted by `email` for `student` in `course` (it also gives the student mastery
    /// rows, which `mastery_recommend` needs to answer 200).
    async fn attempt(&self, email: &str, student: &str, course: &str) -> String {
        let body = attempt_body(student, course);
        let data = self
            .expect_ok(Some(email), Method::POST, "/attempts", &body)
            .await;
        data["attemptId"].as_str().unwrap().to_owned()
    }

    async fn once(&self, once: &Once) -> Value {
        let n = self.fresh.fetch_add(1, Ordering::Relaxed);
        match once {
            Once::Registration => json!({"email": format!("matrix.{n}@example.com"),
                                         "password": PASSWORD, "role": "student"}),
            Once::RefreshToken => {
                let login = json!({"email": LOGIN_EMAIL, "password": PASSWORD});
                let session = self
                    .expect_ok(None, Method::POST, "/auth/login", &login)
                    .await;
                json!({"refreshToken": session["refreshToken"]})
            }
            Once::ResetCode => {
                use innova_core::db::{accounts, users};
                let pool = self.app.pool();
                let user = users::user_by_email(pool, RESET_EMAIL)
                    .await
                    .unwrap()
                    .unwrap();
                let code = format!("matrix-reset-code-{n}");
                let expires = innova_core::db::now() + chrono::Duration::minutes(15);
                let hash = innova_core::identity::password::sha256_hex(&code);
                accounts::set_reset_code(pool, &user.id, &hash, expires)
                    .await
                    .unwrap();
                json!({"email": RESET_EMAIL, "code": code, "newPassword": PASSWORD})
            }
        }
    }

    /// One cell: the case's request as `who`; the status, the start of the body, and the
    /// success envelope's `data` as JSON text (2xx only).
    async fn send(&self, case: &Case, who: &Identity) -> (u16, String, Option<String>) {
        let url = format!("{}{}", self.app.base_url, case.path);
        let mut req = self.app.http.request(case.method.clone(), url);
        if let Some(email) = who.email {
            req = req.bearer_auth(self.token(email));
        }
        req = match &case.body {
            Body::None => req,
            Body::Json(body) => req.json(body),
            Body::Photo => {
                let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
                jpeg.extend_from_slice(&[0u8; 64]);
                let part = reqwest::multipart::Part::bytes(jpeg)
                    .file_name("photo.jpg")
                    .mime_str("image/jpeg")
                    .unwrap();
                req.multipart(reqwest::multipart::Form::new().part("image", part))
            }
            Body::Once(once) => req.json(&self.once(once).await),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        // The error's message says most; otherwise the start of the body.
        let parsed = serde_json::from_str::<Value>(&text).ok();
        let message = parsed
            .as_ref()
            .and_then(|v| v.get("message").map(Value::to_string));
        let data = parsed
            .as_ref()
            .filter(|_| (200..300).contains(&status))
            .and_then(|v| v.get("data"))
            .map(Value::to_string);
        let excerpt = message.unwrap_or(text).chars().take(120).collect();
        (status, excerpt, data)
    }
}

/// One cell that answered otherwise than the policy says.
struct Mismatch {
    operation: &'static str,
    about: &'static str,
    identity: &'static str,
    expected: u16,
    got: u16,
    body: String,
}

#[tokio::test]
async fn every_cell_of_the_authorization_matrix_answers_as_the_policy_says() {
    let world = matrix_world();
    let run = Run::start(&world).await;
    let made = run.make().await;
    let identities = identities(&world);
    let started = Instant::now();
    let mut cells = 0;
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    let mut mismatches = Vec::new();
    for case in cases(&made) {
        for who in &identities {
            let expected = expected(&world, who, &case);
            let (got, body, data) = run.send(&case, who).await;
            cells += 1;
            *by_status.entry(expected).or_default() += 1;
            if got != expected {
                mismatches.push(Mismatch {
                    operation: case.operation,
                    about: case.about,
                    identity: who.name,
                    expected,
                    got,
                    body,
                });
                continue;
            }
            // A 200 may still carry someone else's rows: the ids this caller must never see.
            if let Some(data) = data {
                for id in foreign_ids(who.name, &made) {
                    if data.contains(&format!("\"{id}\"")) {
                        mismatches.push(Mismatch {
                            operation: case.operation,
                            about: case.about,
                            identity: who.name,
                            expected,
                            got,
                            body: format!("the answer holds {id}, which this caller may not see"),
                        });
                    }
                }
            }
        }
    }
    let by_status: Vec<String> = by_status.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    // Straight to the process's stderr, past the test harness's capture: the count belongs in
    // every run's output (CI's included), not only in a failing test's.
    let _ = writeln!(
        std::io::stderr(),
        "authorization matrix: {cells} cells checked in {:.1?} (expected {})",
        started.elapsed(),
        by_status.join(", ")
    );
    if !mismatches.is_empty() {
        let mut table = format!(
            "{} of {cells} cells answered otherwise than the policy says:\n\
             {:<30} {:<42} {:<22} {:>8} {:>4}  body\n",
            mismatches.len(),
            "operation",
            "case",
            "identity",
            "expected",
            "got"
        );
        for m in &mismatches {
            table.push_str(&format!(
                "{:<30} {:<42} {:<22} {:>8} {:>4}  {}\n",
                m.operation, m.about, m.identity, m.expected, m.got, m.body
            ));
        }
        panic!("{table}");
    }
}

/// Every operation of the contract has at least one case, and every case names one of its
/// operations (routes not published in `openapi.yaml` are not in the matrix).
#[test]
fn every_operation_of_the_contract_has_a_case_in_the_matrix() {
    let doc: serde_yaml::Value = serde_yaml::from_str(innova_api_server::openapi::YAML).unwrap();
    let mut contract = BTreeSet::new();
    for (_, item) in doc["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            contract.insert(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    let table: HashSet<String> = cases(&Made::placeholders())
        .iter()
        .map(|c| c.operation.to_owned())
        .collect();
    let missing: Vec<_> = contract.iter().filter(|op| !table.contains(*op)).collect();
    assert!(
        missing.is_empty(),
        "operations of openapi.yaml without a case in the authorization matrix: {missing:?}"
    );
    let unknown: Vec<_> = table.iter().filter(|op| !contract.contains(*op)).collect();
    assert!(
        unknown.is_empty(),
        "cases naming operations that openapi.yaml does not publish: {unknown:?}"
    );
    // Each case is allowed to someone: its request is valid, and the matrix sees it succeed.
    let world = matrix_world();
    let identities = identities(&world);
    for c in cases(&Made::placeholders()) {
        assert!(
            identities
                .iter()
                .any(|who| expected(&world, who, &c) == c.success),
            "{} ({}): no identity of the matrix is allowed; the case checks denials only",
            c.operation,
            c.about
        );
    }
    // Each case's method and path are the operation's.
    let fits = |template: &str, path: &str| {
        let path = path.split('?').next().unwrap_or_default();
        let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len()
            && t.iter()
                .zip(&p)
                .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
    };
    for c in cases(&Made::placeholders()) {
        let p = policy(c.operation).unwrap();
        assert_eq!(c.method.as_str(), p.method, "{}: method", c.operation);
        assert!(
            fits(p.path, &c.path),
            "{}: {} is not {}",
            c.operation,
            c.path,
            p.path
        );
    }
}

// ---- 6. no answer key outside its rule -------------------------------------------------------

/// The answers of the keyed guide (distinctive, so any body holding them is a leak).
const ANSWER_KEYS: [&str; 2] = ["7301.4159", "8812.7733"];
const KEYED_GUIDE: &str = "matrix-keyed-guide";

impl Run {
    /// A guide of course A with two APPROVED questions whose answers are [`ANSWER_KEYS`],
    /// solutions hidden (`showSolutionAfterGrade = false`), published by its teacher through the
    /// API — which makes an exercise of each question — and nothing graded.
    async fn keyed_guide(&self) {
        use innova_testkit::guides::{GuideFixture, QuestionFixture};
        GuideFixture::new(KEYED_GUIDE, COURSE_A, TEACHER_A)
            .show_solution_after_grade(false)
            .question(
                QuestionFixture::approved(&format!("{KEYED_GUIDE}-q1"), 1, "41 - 19")
                    .topic("SUB")
                    .answer(ANSWER_KEYS[0]),
            )
            .question(
                QuestionFixture::approved(&format!("{KEYED_GUIDE}-q2"), 2, "63 - 27")
                    .topic("SUB")
                    .answer(ANSWER_KEYS[1]),
            )
            .insert(self.app.pool())
            .await;
        let path = format!("/guides/{KEYED_GUIDE}/publish");
        self.expect_ok(Some("teacher@innova.demo"), Method::POST, &path, &json!({}))
            .await;
    }
}

/// The hard rule (docs/decisions.md): a guide's answer key reaches a student only in its graded
/// results with `showSolutionAfterGrade`, and the exercises publishing makes of it are read only
/// by the course's teachers and admins. Every case of the matrix — so every operation of the
/// contract, new ones included, by the coverage test above — is sent as each caller who is not
/// the guide's course teacher nor an admin, on a world holding a published guide with hidden
/// solutions and nothing graded; no successful answer may hold one of its answers.
#[tokio::test]
async fn no_answer_key_reaches_anyone_outside_its_rule() {
    let world = matrix_world();
    let run = Run::start(&world).await;
    let made = run.make().await;
    run.keyed_guide().await;
    // The control: its teacher does read the key (so the search below can find it).
    let control = run
        .expect_ok(
            Some("teacher@innova.demo"),
            Method::GET,
            &format!("/guides/{KEYED_GUIDE}"),
            &Value::Null,
        )
        .await
        .to_string();
    assert!(ANSWER_KEYS.iter().all(|k| control.contains(k)), "{control}");
    let items = run
        .expect_ok(
            Some("teacher@innova.demo"),
            Method::GET,
            "/items?limit=100",
            &Value::Null,
        )
        .await
        .to_string();
    assert!(
        ANSWER_KEYS.iter().all(|k| items.contains(k)),
        "the teacher lists the guide's exercises"
    );

    let outsiders = [
        "student",
        "other student",
        "other teacher",
        "parent (confirmed)",
        "parent (unconfirmed)",
    ];
    let identities = identities(&world);
    let mut leaks = Vec::new();
    let mut answered = 0;
    for case in cases(&made) {
        for who in identities.iter().filter(|w| outsiders.contains(&w.name)) {
            let (status, _, data) = run.send(&case, who).await;
            let Some(data) = data else { continue };
            answered += 1;
            if let Some(key) = ANSWER_KEYS.iter().find(|k| data.contains(*k)) {
                leaks.push(format!(
                    "{} ({}) as {} → {status} holds {key}",
                    case.operation, case.about, who.name
                ));
            }
        }
    }
    // The routes that list exercises, once more with a page large enough to hold every one.
    for who in identities.iter().filter(|w| outsiders.contains(&w.name)) {
        for path in ["/items?limit=100", "/items?skillKey=SUB&limit=100"] {
            let case = get("items_list", path);
            let (status, _, data) = run.send(&case, who).await;
            if let Some(key) =
                data.and_then(|d| ANSWER_KEYS.iter().find(|k| d.contains(*k)).copied())
            {
                leaks.push(format!("GET {path} as {} → {status} holds {key}", who.name));
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "answer keys: {answered} successful answers to outsiders searched"
    );
    assert!(
        leaks.is_empty(),
        "answer keys leaked:\n{}",
        leaks.join("\n")
    );
}

// ---- 7. objects only where objects are declared ------------------------------------------------

/// Every operation with a JSON body (every case of the matrix that sends one) refuses any other
/// top-level JSON value than an object, as a caller it admits: 400 naming the body, before
/// anything is read or written. (serde's derived `Deserialize` takes a struct's positional
/// form: `["name", "desc", 4]` once created a course.)
#[tokio::test]
async fn every_json_body_must_be_an_object() {
    let world = matrix_world();
    let run = Run::start(&world).await;
    let made = run.make().await;
    let identities = identities(&world);
    let before = run.app.count("courses").await;
    let mut wrong = Vec::new();
    let mut operations = BTreeSet::new();
    for case in cases(&made) {
        if !matches!(case.body, Body::Json(_) | Body::Once(_)) {
            continue;
        }
        let Some(who) = identities
            .iter()
            .find(|who| expected(&world, who, &case) == case.success)
        else {
            continue;
        };
        operations.insert(case.operation);
        for not_an_object in [
            "[]",
            "[null, null]",
            r#"["a", "b", 4, "Z", "MATH"]"#,
            "\"x\"",
            "1",
            "null",
            "true",
        ] {
            let mut req = run
                .app
                .http
                .request(
                    case.method.clone(),
                    format!("{}{}", run.app.base_url, case.path),
                )
                .header("content-type", "application/json")
                .body(not_an_object);
            if let Some(email) = who.email {
                req = req.bearer_auth(run.token(email));
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let named = body["message"]
                .to_string()
                .contains("request body must be a JSON object");
            if status != 400 || !named {
                wrong.push(format!(
                    "{} {} as {}: {status} {body}",
                    case.operation, not_an_object, who.name
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "non-object bodies accepted:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        run.app.count("courses").await,
        before,
        "nothing was created"
    );
    // Every operation of the contract with a JSON body was probed.
    let doc: serde_yaml::Value = serde_yaml::from_str(innova_api_server::openapi::YAML).unwrap();
    for (_, item) in doc["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            if !op["requestBody"]["content"]["application/json"].is_null() {
                let id = op["operationId"].as_str().unwrap();
                assert!(
                    operations.contains(id),
                    "{id} has a JSON body but was not probed"
                );
            }
        }
    }
}

// ---- statement budgets ----------------------------------------------------------------------

/// The most statements one successful request of each operation may issue, on the matrix's
/// world (BEGIN and COMMIT count: each statement is a round trip to PostgreSQL). The caller is
/// already provisioned and the catalogue loaded (both happen once per process). A route that
/// starts reading per row (an N+1) exceeds its budget; a budget is lowered when a route gets
/// cheaper, never raised to let a change land without saying why here.
#[rustfmt::skip]
const BUDGETS: &[(&str, u32)] = &[
    // Public, and the caller's own.
    ("root", 0), ("health", 1), ("openapi_yaml", 0), ("openapi_json", 0), ("docs", 0),
    ("auth_jwks", 0), ("auth_register", 8), ("auth_login", 4), ("auth_refresh", 9),
    ("auth_forgot_password", 2), ("auth_confirm_forgot_password", 6), ("auth_me", 0),
    ("auth_logout", 1),
    // POST /attempts: BEGIN, open, store, COMMIT (issue 27).
    ("attempts_create", 4), ("attempts_solve_adhoc", 6), ("attempts_ocr_extract", 0),
    ("attempts_status", 1), ("attempts_detail", 3), ("attempts_report", 3),
    // The routes the apps poll (mastery, the course heatmap, alerts, guide results, student
    // guides): 1–3.
    ("mastery_student", 1), ("mastery_course", 3), ("mastery_course_heatmap", 3),
    ("mastery_classroom", 3), ("mastery_recommend", 4),
    ("items_create", 2), ("items_list", 1), ("items_get", 2), ("items_irt", 1),
    ("items_generate", 3),
    ("skills_create", 2), ("skills_list", 1), ("skills_taxonomy", 2), ("skills_error_tags", 1),
    ("skills_get", 1), ("skills_update", 1), ("skills_delete", 6), ("skills_prerequisites", 2),
    ("guides_create", 2), ("guides_ingest", 8), ("guides_list", 3), ("guides_get", 4),
    ("guides_update", 3), ("guides_update_question", 4), ("guides_update_solution", 7),
    ("guides_regenerate_solution", 5), ("guides_publish", 13), ("guides_archive", 5),
    ("guides_source_url", 2), ("guides_results", 3), ("guides_submission", 4),
    ("guides_submission_error_tag", 6),
    ("student_guides_list", 1), ("student_guides_get", 4), ("student_submissions_create", 7),
    ("student_submissions_complete", 8), ("student_submissions_status", 1),
    ("student_guides_results", 4), ("student_guides_scan_page_url", 2),
    ("student_guides_scan_page", 11),
    ("assignments_create", 10), ("assignments_recommend", 12), ("assignments_student", 5),
    ("practice_assign", 10), ("practice_recommend_next", 3),
    ("alerts_list", 2), ("alerts_create", 3), ("alerts_resolve", 2),
    ("classrooms_create", 6), ("classrooms_mine", 1), ("classrooms_student_mine", 1),
    ("classrooms_get", 2), ("classrooms_invite", 3), ("classrooms_join", 7),
    ("classrooms_archive", 2),
    ("parent_children", 1), ("parent_child", 5),
    ("admin_error_tags_list", 7), ("admin_error_tags_set_status", 1), ("admin_status", 4),
    ("admin_killswitch_set", 0),
];

/// Statements the database has counted for this database since the last reset. Left out: the
/// reading and resetting statements themselves; PostgreSQL's own foreign-key checks (a deferred
/// constraint checks at COMMIT: no statement of ours, no round trip); and sqlx's look-ups of a
/// custom type (`pg_type`, `pg_enum`), made once per connection and then cached by it.
async fn statements(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(calls), 0)::bigint FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%' 
           AND query NOT LIKE 'SELECT % FROM ONLY %FOR KEY SHARE OF x'
           AND query NOT LIKE '%pg_catalog.pg_type%' AND query NOT LIKE '%pg_catalog.pg_enum%'
           AND query NOT LIKE 'SELECT $1::regtype::oid'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn reset_statements(pool: &sqlx::PgPool) {
    sqlx::query(
        "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database
                                              WHERE datname = current_database()), 0)",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_operation_stays_within_its_statement_budget() {
    let world = matrix_world();
    let run = Run::start(&world).await;
    let made = run.make().await;
    let pool = run.app.pool().clone();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&pool)
        .await
        .expect("pg_stat_statements (scripts/lib/services.sh preloads it)");
    let identities = identities(&world);
    // Once per process, not per request: each caller provisioned, the catalogue loaded.
    for who in identities.iter().filter(|w| w.email.is_some()) {
        run.send(&get("auth_me", "/auth/me"), who).await;
    }
    let cases = cases(&made);
    for case in cases.iter().filter(|c| c.operation == "attempts_create") {
        for who in &identities {
            if expected(&world, who, case) == case.success {
                run.send(case, who).await;
            }
        }
    }

    let mut worst = std::collections::BTreeMap::<&str, (u32, &str)>::new();
    let mut unmeasured = Vec::new();
    for case in &cases {
        let Some(who) = identities
            .iter()
            .find(|w| expected(&world, w, case) == case.success)
        else {
            continue;
        };
        // Requests in flight from the previous case are over: the count is this request's.
        reset_statements(&pool).await;
        let (status, body, _) = run.send(case, who).await;
        let n = statements(&pool).await as u32;
        if std::env::var("INNOVA_BUDGET_QUERIES").is_ok_and(|o| o == case.operation) {
            let queries: Vec<(i64, String)> = sqlx::query_as(
                "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_statements
                 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND query NOT LIKE '%pg_stat_statements%' 
           AND query NOT LIKE 'SELECT % FROM ONLY %FOR KEY SHARE OF x'
           AND query NOT LIKE '%pg_catalog.pg_type%' AND query NOT LIKE '%pg_catalog.pg_enum%'
           AND query NOT LIKE 'SELECT $1::regtype::oid'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let _ = writeln!(
                std::io::stderr(),
                "{} ({}): {queries:#?}",
                case.operation,
                case.about
            );
        }
        if !(200..300).contains(&status) {
            unmeasured.push(format!(
                "{} ({}): {status} {body}",
                case.operation, case.about
            ));
            continue;
        }
        let entry = worst.entry(case.operation).or_insert((0, case.about));
        if n >= entry.0 {
            *entry = (n, case.about);
        }
    }
    let mut report = String::from("statements per request (the case that issued most):\n");
    let mut problems = Vec::new();
    for (operation, (n, about)) in &worst {
        let budget = BUDGETS
            .iter()
            .find(|(o, _)| o == operation)
            .map(|(_, b)| *b);
        report.push_str(&format!(
            "  {operation:<32} {n:>3} / {:>3}  {about}\n",
            budget.map_or("?".into(), |b| b.to_string())
        ));
        match budget {
            None => problems.push(format!("{operation}: no budget in BUDGETS")),
            Some(b) if *n > b => problems.push(format!("{operation}: {n} statements, budget {b}")),
            Some(_) => {}
        }
    }
    for (operation, _) in BUDGETS {
        if !worst.contains_key(operation) {
            problems.push(format!("{operation}: not measured (no successful case)"));
        }
    }
    let _ = writeln!(std::io::stderr(), "{report}");
    assert!(
        problems.is_empty(),
        "{report}\n{}\nunmeasured cases:\n{}",
        problems.join("\n"),
        unmeasured.join("\n")
    );
}
