//! Who may call what: the scope matrix of `docs/decisions.md` as one table, one entry per route of
//! the API trait (`api-server/src/api/mod.rs`), each also a type of [`op`] named after the
//! route's operation id.
//!
//! Every route states two things:
//!
//! * [`Callers`]: who may call it at all — anyone, any authenticated user, or some roles. The
//!   API checks this before the handler runs anything (401 without a valid token, 403 for a
//!   wrong role).
//! * [`Grant`]s: what the caller must be to the resource the request addresses (the student,
//!   course, guide… named by the path or the body). The use case checks them on the resource it
//!   loads (`permit.require(db, Target::student(&id))`, `innova_app::authz`): at least one
//!   grant must hold; otherwise the answer is the route's [`Denial`]: **404** where revealing
//!   that the resource exists would leak information (another student's attempt or
//!   submission), **403** otherwise.
//!
//! A role never passes for another: an admin is not a teacher (reference §1.6), so admins are
//! listed explicitly where the matrix lets them in.
//!
//! The table is pure data; `innova_app::authz` evaluates it against the database. A test in
//! `api-server` fails when an operation of `openapi.yaml` has no entry here, or when method and
//! path disagree.

use std::fmt;

use crate::ids::{ParentId, StudentId, TeacherId};

/// The role of a caller, from the token's `app_metadata.role` only (decision 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Student,
    Teacher,
    Parent,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Student, Role::Teacher, Role::Parent, Role::Admin];

    /// The role named by a claim: exactly `teacher`, `parent` or `admin` (case-sensitive);
    /// anything else, and no claim at all, is `student` (reference §1.5, decision 12).
    pub fn from_claim(claim: Option<&str>) -> Role {
        match claim {
            Some("teacher") => Role::Teacher,
            Some("parent") => Role::Parent,
            Some("admin") => Role::Admin,
            _ => Role::Student,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Teacher => "teacher",
            Role::Parent => "parent",
            Role::Admin => "admin",
        }
    }

    /// Roles a user may give themselves at `POST /auth/register` (never `admin`, decision 13).
    pub fn self_registrable(self) -> bool {
        !matches!(self, Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller's role profile, resolved from the token: the id of their `teachers`, `students`
/// or `parents` row for those roles. Admins have no profile table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    Teacher(TeacherId),
    Student(StudentId),
    Parent(ParentId),
    /// Admins, and users whose profile row is missing.
    None,
}

impl Profile {
    pub fn teacher_id(&self) -> Option<&TeacherId> {
        match self {
            Profile::Teacher(id) => Some(id),
            _ => None,
        }
    }

    pub fn student_id(&self) -> Option<&StudentId> {
        match self {
            Profile::Student(id) => Some(id),
            _ => None,
        }
    }

    pub fn parent_id(&self) -> Option<&ParentId> {
        match self {
            Profile::Parent(id) => Some(id),
            _ => None,
        }
    }

    /// The id of whichever profile this is.
    pub fn id(&self) -> Option<&str> {
        match self {
            Profile::Teacher(id) => Some(id),
            Profile::Student(id) => Some(id),
            Profile::Parent(id) => Some(id),
            Profile::None => None,
        }
    }
}

/// Who may call a route at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// No token needed.
    Anyone,
    /// Any valid token, whatever the role.
    Authenticated,
    /// A valid token whose role is one of these.
    Roles(&'static [Role]),
}

impl Callers {
    /// True when a caller with `role` passes (for `Anyone`/`Authenticated`, any role does).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Callers::Anyone | Callers::Authenticated => true,
            Callers::Roles(roles) => roles.contains(&role),
        }
    }

    pub fn needs_token(self) -> bool {
        !matches!(self, Callers::Anyone)
    }
}

/// One relation between the caller and the resource a request addresses; a route's grants
/// are alternatives (any one suffices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The caller is an admin.
    Admin,
    /// The caller is the target student (their own student profile).
    TheStudent,
    /// The caller is the target student and has an ACTIVE enrollment in the target course.
    TheStudentEnrolled,
    /// The caller teaches a course in which the target student has an ACTIVE enrollment.
    TeacherOfStudent,
    /// The caller is a parent with a **confirmed** link to the target student.
    ConfirmedParent,
    /// The caller teaches the target course (a `course_teachers` row, any role there).
    CourseTeacher,
    /// The caller is a student with an ACTIVE enrollment in the target course.
    EnrolledStudent,
    /// The caller is the target teacher (e.g. the teacher an alert belongs to).
    TheTeacher,
    /// The caller teaches the target course **and** the target student has an ACTIVE
    /// enrollment in it (a course teacher may not read about a student outside the course).
    CourseTeacherOfEnrolled,
    /// The target belongs to the shared exercise bank (no course's guide): open to any caller
    /// the role rule admits.
    SharedBank,
    /// The request names no course (what it reads is limited to the caller's own courses by the
    /// query itself), or the caller teaches the course it names.
    OwnCourses,
}

/// What a caller who is denied a resource gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// 403: the resource's existence is no secret (a course, a guide, a student id the caller
    /// typed).
    Forbidden,
    /// 404: answering 403 would confirm that someone else's resource exists (an attempt, a
    /// submission, an alert).
    NotFound,
}

/// The access rule of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The operation id: the method name in the API trait.
    pub operation: &'static str,
    pub method: &'static str,
    /// The path as in the API trait (`{param}` placeholders; their names do not matter).
    pub path: &'static str,
    pub callers: Callers,
    /// Empty: the role check is all. Otherwise the handler names the resource and one of
    /// these must hold.
    pub grants: &'static [Grant],
    pub denial: Denial,
    /// The rule in words, as in the scope matrix.
    pub rule: &'static str,
}

impl Policy {
    /// True when the route needs no ownership check beyond the role.
    pub fn role_only(&self) -> bool {
        self.grants.is_empty()
    }
}

use Callers::{Anyone, Authenticated, Roles};
use Denial::{Forbidden, NotFound};
use Grant::*;

const STUDENT: &[Role] = &[Role::Student];
const TEACHER: &[Role] = &[Role::Teacher];
const PARENT: &[Role] = &[Role::Parent];
const ADMIN: &[Role] = &[Role::Admin];
const TEACHER_ADMIN: &[Role] = &[Role::Teacher, Role::Admin];
const STUDENT_TEACHER_ADMIN: &[Role] = &[Role::Student, Role::Teacher, Role::Admin];
const ALL_ROLES: &[Role] = &[Role::Student, Role::Teacher, Role::Parent, Role::Admin];

const fn route(
    operation: &'static str,
    method: &'static str,
    path: &'static str,
    callers: Callers,
    grants: &'static [Grant],
    denial: Denial,
    rule: &'static str,
) -> Policy {
    Policy {
        operation,
        method,
        path,
        callers,
        grants,
        denial,
        rule,
    }
}

const fn public(operation: &'static str, method: &'static str, path: &'static str) -> Policy {
    route(operation, method, path, Anyone, &[], Forbidden, "anyone")
}

/// Grants shared by the "attempt of a student" routes.
const ATTEMPT_READERS: &[Grant] = &[TheStudent, TeacherOfStudent, Admin];
const COURSE_TEACHER_OR_ADMIN: &[Grant] = &[CourseTeacher, Admin];

/// An operation of the API, as a type: what a permit to run it is checked against (the API
/// admits a caller to it, the use case requires it), so the pairing is checked by the compiler
/// rather than by looking a string up at run time.
pub trait Operation: 'static {
    const POLICY: Policy;
}

/// Declares each route's policy as a type of [`op`] (its operation id in camel case) and lists
/// them all in [`POLICIES`].
macro_rules! policies {
    ($($name:ident = $policy:expr;)+) => {
        /// One type per operation of the API, each carrying its [`Policy`].
        pub mod op {
            use super::*;
            $(
                #[doc = concat!("The operation `", stringify!($name), "`.")]
                #[derive(Debug, Clone, Copy)]
                pub struct $name;

                impl Operation for $name {
                    const POLICY: Policy = $policy;
                }
            )+
        }

        /// Every route's policy.
        pub const POLICIES: &[Policy] = &[$(<op::$name as Operation>::POLICY),+];
    };
}

// The scope matrix (decisions.md), one entry per route: the 75 reference routes and ours
// (`/health`, `/openapi.*`, `/docs`, the JWKS). Each entry is also a type of [`op`], named after
// its operation id, through which the API and the use cases name the route's rule.
#[rustfmt::skip]
policies! {
    // ---- app -----------------------------------------------------------------------------
    Root = public("root", "GET", "/");
    Health = public("health", "GET", "/health");
    OpenapiYaml = public("openapi_yaml", "GET", "/openapi.yaml");
    OpenapiJson = public("openapi_json", "GET", "/openapi.json");
    Docs = public("docs", "GET", "/docs");
    // ---- auth ----------------------------------------------------------------------------
    AuthJwks = public("auth_jwks", "GET", "/auth/v1/.well-known/jwks.json");
    AuthRegister = public("auth_register", "POST", "/auth/register");
    AuthLogin = public("auth_login", "POST", "/auth/login");
    AuthRefresh = public("auth_refresh", "POST", "/auth/refresh");
    AuthForgotPassword = public("auth_forgot_password", "POST", "/auth/forgot-password");
    AuthConfirmForgotPassword = public("auth_confirm_forgot_password", "POST", "/auth/confirm-forgot-password");
    AuthMe = route("auth_me", "GET", "/auth/me", Authenticated, &[], Forbidden, "any authenticated user");
    AuthLogout = route("auth_logout", "POST", "/auth/logout", Authenticated, &[], Forbidden, "any authenticated user");
    // ---- attempts ------------------------------------------------------------------------
    AttemptsCreate = route("attempts_create", "POST", "/attempts", Roles(STUDENT), &[TheStudent], Forbidden,
        "student, for their own studentId only");
    AttemptsSolveAdhoc = route("attempts_solve_adhoc", "POST", "/attempts/solve-adhoc", Roles(STUDENT), &[TheStudent], Forbidden,
        "student, for their own studentId only");
    AttemptsOcrExtract = route("attempts_ocr_extract", "POST", "/attempts/ocr-extract", Roles(STUDENT), &[], Forbidden,
        "student");
    AttemptsStatus = route("attempts_status", "GET", "/attempts/{id}/status", Roles(STUDENT_TEACHER_ADMIN), ATTEMPT_READERS, NotFound,
        "the owning student; a teacher of a course the student is enrolled in; admin");
    AttemptsDetail = route("attempts_detail", "GET", "/attempts/{id}/detail", Roles(STUDENT_TEACHER_ADMIN), ATTEMPT_READERS, NotFound,
        "the owning student; a teacher of the student; admin — never parents (photo URLs)");
    AttemptsReport = route("attempts_report", "POST", "/attempts/{id}/report", Roles(STUDENT_TEACHER_ADMIN), ATTEMPT_READERS, NotFound,
        "the owning student; a teacher of a course the student is enrolled in; admin");
    // ---- mastery -------------------------------------------------------------------------
    MasteryCourse = route("mastery_course", "GET", "/mastery/course/{courseId}", Roles(TEACHER_ADMIN), COURSE_TEACHER_OR_ADMIN, Forbidden,
        "teachers of that course; admin");
    MasteryCourseHeatmap = route("mastery_course_heatmap", "GET", "/mastery/course/{courseId}/heatmap", Roles(TEACHER_ADMIN), COURSE_TEACHER_OR_ADMIN, Forbidden,
        "teachers of that course; admin");
    MasteryClassroom = route("mastery_classroom", "GET", "/mastery/classroom/{classroomId}", Roles(TEACHER_ADMIN), COURSE_TEACHER_OR_ADMIN, Forbidden,
        "teachers of that course; admin");
    MasteryRecommend = route("mastery_recommend", "GET", "/mastery/recommend/{courseId}/{studentId}", Roles(STUDENT_TEACHER_ADMIN),
        &[TheStudentEnrolled, CourseTeacherOfEnrolled, Admin], Forbidden,
        "that student if enrolled; teachers of the course the student is enrolled in; admin");
    MasteryStudent = route("mastery_student", "GET", "/mastery/{studentId}", Roles(ALL_ROLES),
        &[TheStudent, TeacherOfStudent, ConfirmedParent, Admin], Forbidden,
        "the student; their teachers; confirmed parents; admin");
    // ---- items ---------------------------------------------------------------------------
    ItemsCreate = route("items_create", "POST", "/items", Roles(TEACHER_ADMIN), &[], Forbidden, "teacher, admin");
    ItemsList = route("items_list", "GET", "/items", Authenticated, &[], Forbidden,
        "any authenticated user (lists the shared bank, and the guide exercises of the caller's courses; admin: all)");
    ItemsGet = route("items_get", "GET", "/items/{id}", Authenticated, &[SharedBank, CourseTeacher, Admin], NotFound,
        "any authenticated user for the shared bank; an exercise made from a guide (its answer is the guide's key): \
         teachers of the guide's course, admin");
    ItemsIrt = route("items_irt", "GET", "/items/{id}/irt", Authenticated, &[], Forbidden,
        "any authenticated user (a guide's exercise answers null to whoever may not read it, as an unknown id)");
    ItemsGenerate = route("items_generate", "POST", "/items/generate", Roles(TEACHER_ADMIN), &[], Forbidden, "teacher, admin");
    // ---- skills --------------------------------------------------------------------------
    SkillsCreate = route("skills_create", "POST", "/skills", Roles(ADMIN), &[], Forbidden, "admin");
    SkillsList = route("skills_list", "GET", "/skills", Authenticated, &[], Forbidden, "any authenticated user");
    SkillsTaxonomy = route("skills_taxonomy", "GET", "/skills/taxonomy", Authenticated, &[], Forbidden, "any authenticated user");
    SkillsErrorTags = route("skills_error_tags", "GET", "/skills/error-tags", Authenticated, &[], Forbidden, "any authenticated user");
    SkillsGet = route("skills_get", "GET", "/skills/{id}", Authenticated, &[], Forbidden, "any authenticated user");
    SkillsUpdate = route("skills_update", "PATCH", "/skills/{id}", Roles(ADMIN), &[], Forbidden, "admin");
    SkillsDelete = route("skills_delete", "DELETE", "/skills/{id}", Roles(ADMIN), &[], Forbidden, "admin");
    SkillsPrerequisites = route("skills_prerequisites", "GET", "/skills/{id}/prerequisites", Authenticated, &[], Forbidden, "any authenticated user");
    // ---- guides (teacher of the guide's course) ------------------------------------------
    GuidesCreate = route("guides_create", "POST", "/guides", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the course the guide is created in");
    GuidesIngest = route("guides_ingest", "POST", "/guides/{id}/ingest", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesList = route("guides_list", "GET", "/guides", Roles(TEACHER), &[OwnCourses], Forbidden,
        "teacher (lists the guides of their own courses; a courseId filter must be one of them)");
    GuidesGet = route("guides_get", "GET", "/guides/{id}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesUpdate = route("guides_update", "PATCH", "/guides/{id}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesUpdateQuestion = route("guides_update_question", "PATCH", "/guides/{id}/questions/{qid}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesUpdateSolution = route("guides_update_solution", "PATCH", "/guides/{id}/questions/{qid}/solution", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesRegenerateSolution = route("guides_regenerate_solution", "POST", "/guides/{id}/questions/{qid}/regenerate-solution", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesPublish = route("guides_publish", "POST", "/guides/{id}/publish", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesArchive = route("guides_archive", "DELETE", "/guides/{id}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesSourceUrl = route("guides_source_url", "GET", "/guides/{id}/source-url", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesResults = route("guides_results", "GET", "/guides/{id}/results", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesSubmission = route("guides_submission", "GET", "/guides/{id}/submissions/{sid}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    GuidesSubmissionErrorTag = route("guides_submission_error_tag", "PATCH", "/guides/{id}/submissions/{sid}/error-tag", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the guide's course");
    // ---- student guides ------------------------------------------------------------------
    StudentGuidesList = route("student_guides_list", "GET", "/student/guides", Roles(STUDENT), &[], Forbidden,
        "student: published guides of courses with an ACTIVE enrollment");
    StudentGuidesGet = route("student_guides_get", "GET", "/student/guides/{id}", Roles(STUDENT), &[EnrolledStudent], Forbidden,
        "student with an ACTIVE enrollment in the guide's course; published guides only");
    StudentSubmissionsCreate = route("student_submissions_create", "POST", "/student/guides/{id}/questions/{qid}/submissions", Roles(STUDENT), &[EnrolledStudent], Forbidden,
        "student with an ACTIVE enrollment in the guide's course; published guides only");
    StudentSubmissionsComplete = route("student_submissions_complete", "POST", "/student/submissions/{id}/complete", Roles(STUDENT), &[TheStudent], NotFound,
        "student: own submissions only");
    StudentSubmissionsStatus = route("student_submissions_status", "GET", "/student/submissions/{id}/status", Roles(STUDENT), &[TheStudent], NotFound,
        "student: own submissions only");
    StudentGuidesResults = route("student_guides_results", "GET", "/student/guides/{id}/results", Roles(STUDENT), &[EnrolledStudent], Forbidden,
        "student with an ACTIVE enrollment in the guide's course; published guides only");
    StudentGuidesScanPageUrl = route("student_guides_scan_page_url", "GET", "/student/guides/{id}/scan-page-url", Roles(STUDENT), &[EnrolledStudent], Forbidden,
        "student with an ACTIVE enrollment in the guide's course; published guides only");
    StudentGuidesScanPage = route("student_guides_scan_page", "POST", "/student/guides/{id}/scan-page", Roles(STUDENT), &[EnrolledStudent], Forbidden,
        "student with an ACTIVE enrollment in the guide's course; keys under their own upload prefix only");
    // ---- assignments and practice --------------------------------------------------------
    AssignmentsCreate = route("assignments_create", "POST", "/assignments", Roles(TEACHER), &[CourseTeacher, TeacherOfStudent], Forbidden,
        "teacher of the course / of a course every target student is enrolled in");
    AssignmentsRecommend = route("assignments_recommend", "POST", "/assignments/recommend", Roles(TEACHER), &[CourseTeacher, TeacherOfStudent], Forbidden,
        "teacher of the course / of a course every target student is enrolled in");
    AssignmentsStudent = route("assignments_student", "GET", "/assignments/student/{id}", Roles(ALL_ROLES),
        &[TheStudent, TeacherOfStudent, ConfirmedParent, Admin], Forbidden,
        "the student; their teachers; confirmed parents; admin");
    PracticeAssign = route("practice_assign", "POST", "/practice/assign", Roles(TEACHER), &[TeacherOfStudent], Forbidden,
        "teacher of a course the student is enrolled in");
    PracticeRecommendNext = route("practice_recommend_next", "GET", "/practice/recommend-next", Roles(STUDENT_TEACHER_ADMIN),
        &[TheStudent, TeacherOfStudent, Admin], Forbidden,
        "the student; their teachers; admin");
    // ---- alerts --------------------------------------------------------------------------
    AlertsList = route("alerts_list", "GET", "/alerts", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the course");
    AlertsCreate = route("alerts_create", "POST", "/alerts", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the course (teacherId is the caller)");
    AlertsResolve = route("alerts_resolve", "PATCH", "/alerts/{id}/resolve", Roles(TEACHER), &[TheTeacher], NotFound,
        "the alert's teacher");
    // ---- classrooms ----------------------------------------------------------------------
    ClassroomsCreate = route("classrooms_create", "POST", "/classrooms", Roles(TEACHER), &[], Forbidden, "teacher");
    ClassroomsMine = route("classrooms_mine", "GET", "/classrooms/mine", Roles(TEACHER), &[], Forbidden, "teacher");
    ClassroomsStudentMine = route("classrooms_student_mine", "GET", "/classrooms/student/mine", Roles(STUDENT), &[], Forbidden, "student");
    ClassroomsGet = route("classrooms_get", "GET", "/classrooms/{id}", Roles(STUDENT_TEACHER_ADMIN),
        &[CourseTeacher, EnrolledStudent, Admin], Forbidden,
        "teachers of the course; enrolled students; admin");
    ClassroomsInvite = route("classrooms_invite", "POST", "/classrooms/{id}/invite", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the course");
    ClassroomsJoin = route("classrooms_join", "POST", "/classrooms/join", Roles(STUDENT), &[], Forbidden, "student");
    ClassroomsArchive = route("classrooms_archive", "DELETE", "/classrooms/{id}", Roles(TEACHER), &[CourseTeacher], Forbidden,
        "teacher of the course");
    // ---- parent --------------------------------------------------------------------------
    ParentChildren = route("parent_children", "GET", "/parent/children", Roles(PARENT), &[], Forbidden,
        "parent (confirmed links only)");
    ParentChild = route("parent_child", "GET", "/parent/children/{studentId}", Roles(PARENT), &[ConfirmedParent], Forbidden,
        "parent with a confirmed link; never photo URLs or step detail");
    // ---- admin ---------------------------------------------------------------------------
    AdminErrorTagsList = route("admin_error_tags_list", "GET", "/admin/error-tags", Roles(ADMIN), &[], Forbidden, "admin");
    AdminErrorTagsSetStatus = route("admin_error_tags_set_status", "PATCH", "/admin/error-tags/{code}/status", Roles(ADMIN), &[], Forbidden, "admin");
    AdminStatus = route("admin_status", "GET", "/admin/status", Roles(ADMIN), &[], Forbidden, "admin");
    AdminKillswitchSet = route("admin_killswitch_set", "PATCH", "/admin/status/killswitches/{key}", Roles(ADMIN), &[], Forbidden, "admin");
}

/// The policy of an operation.
pub fn policy(operation: &str) -> Option<&'static Policy> {
    POLICIES.iter().find(|p| p.operation == operation)
}

/// A path with its `{param}` names erased (`/a/{id}/b` → `/a/{}/b`), to compare route shapes.
pub fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn roles_come_from_the_exact_claim_and_default_to_student() {
        assert_eq!(Role::from_claim(Some("teacher")), Role::Teacher);
        assert_eq!(Role::from_claim(Some("parent")), Role::Parent);
        assert_eq!(Role::from_claim(Some("admin")), Role::Admin);
        for other in [
            None,
            Some(""),
            Some("Teacher"),
            Some("ADMIN"),
            Some("superuser"),
            Some("student"),
        ] {
            assert_eq!(Role::from_claim(other), Role::Student, "{other:?}");
        }
        for role in Role::ALL {
            assert_eq!(Role::from_claim(Some(role.as_str())), role);
        }
        assert!(!Role::Admin.self_registrable() && Role::Teacher.self_registrable());
    }

    #[test]
    fn the_table_covers_the_75_reference_routes_and_ours_once_each() {
        // 75 reference routes (api.md §7) + /health, /openapi.yaml, /openapi.json, /docs, JWKS.
        assert_eq!(POLICIES.len(), 80);
        let ops: HashSet<_> = POLICIES.iter().map(|p| p.operation).collect();
        assert_eq!(ops.len(), POLICIES.len(), "operation ids are unique");
        let routes: HashSet<_> = POLICIES
            .iter()
            .map(|p| (p.method, path_shape(p.path)))
            .collect();
        assert_eq!(routes.len(), POLICIES.len(), "method + path are unique");
    }

    #[test]
    fn public_routes_are_exactly_the_matrix_first_row() {
        let public: HashSet<_> = POLICIES
            .iter()
            .filter(|p| p.callers == Callers::Anyone)
            .map(|p| p.path)
            .collect();
        let expected: HashSet<_> = [
            "/",
            "/health",
            "/openapi.yaml",
            "/openapi.json",
            "/docs",
            "/auth/v1/.well-known/jwks.json",
            "/auth/register",
            "/auth/login",
            "/auth/refresh",
            "/auth/forgot-password",
            "/auth/confirm-forgot-password",
        ]
        .into_iter()
        .collect();
        assert_eq!(public, expected);
    }

    #[test]
    fn prefixes_keep_their_roles() {
        for p in POLICIES {
            let only = |roles: &'static [Role]| p.callers == Callers::Roles(roles);
            if p.path.starts_with("/guides") {
                assert!(only(TEACHER), "{}", p.operation);
            }
            if p.path.starts_with("/student/") {
                assert!(only(STUDENT), "{}", p.operation);
            }
            if p.path.starts_with("/parent/") {
                assert!(only(PARENT), "{}", p.operation);
            }
            if p.path.starts_with("/admin/") {
                assert!(only(ADMIN), "{}", p.operation);
            }
            // Parents never see attempt details (photo URLs, steps).
            if p.path.starts_with("/attempts") {
                assert!(!p.callers.admits(Role::Parent), "{}", p.operation);
                assert!(!p.grants.contains(&ConfirmedParent), "{}", p.operation);
            }
            // A grant for admins is pointless unless admins pass the role check.
            if p.grants.contains(&Admin) {
                assert!(p.callers.admits(Role::Admin), "{}", p.operation);
            }
        }
    }

    #[test]
    fn someone_elses_attempt_or_submission_is_not_found() {
        for op in [
            "attempts_status",
            "attempts_detail",
            "attempts_report",
            "student_submissions_status",
        ] {
            assert_eq!(policy(op).unwrap().denial, Denial::NotFound, "{op}");
        }
        assert_eq!(policy("mastery_student").unwrap().denial, Denial::Forbidden);
        assert!(policy("nope").is_none());
    }

    #[test]
    fn callers_admit_by_role() {
        assert!(Callers::Anyone.admits(Role::Parent) && !Callers::Anyone.needs_token());
        assert!(Callers::Authenticated.admits(Role::Admin) && Callers::Authenticated.needs_token());
        assert!(Callers::Roles(TEACHER_ADMIN).admits(Role::Admin));
        assert!(
            !Callers::Roles(TEACHER).admits(Role::Admin),
            "admin is not a teacher"
        );
    }

    #[test]
    fn path_shapes_ignore_parameter_names() {
        assert_eq!(
            path_shape("/guides/{id}/questions/{qid}"),
            "/guides/{}/questions/{}"
        );
        assert_eq!(
            path_shape("/guides/{guideId}/questions/{questionId}"),
            "/guides/{}/questions/{}"
        );
        assert_eq!(path_shape("/"), "/");
    }

    #[test]
    fn profiles_expose_their_ids() {
        let t = Profile::Teacher(TeacherId::new("t1"));
        assert_eq!(
            (t.teacher_id(), t.student_id(), t.id()),
            (Some(&TeacherId::new("t1")), None, Some("t1"))
        );
        assert_eq!(Profile::None.id(), None);
        let p = Profile::Parent(ParentId::new("p"));
        assert_eq!(p.parent_id(), Some(&ParentId::new("p")));
        let s = Profile::Student(StudentId::new("s"));
        assert_eq!(s.student_id(), Some(&StudentId::new("s")));
    }
}
