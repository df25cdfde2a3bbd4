//! The HTTP contract: one dropshot API trait and its wire types ([`types`]). `openapi.yaml` at
//! the repository root is generated from it (`innova openapi > openapi.yaml`) and a test fails
//! when the two differ. The handlers implementing it live apart, in `crate::handlers`.

pub mod types;

use dropshot::{Body, Path, RequestContext, UntypedBody};
use http::Response;

use crate::body::{ImageUpload, JsonBody};
use crate::envelope::{ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::query::QueryParams;
use types::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, Me, RefreshRequest,
    RegisterRequest, Session,
};
use types::common::MessageResponse;
// --- Classrooms, parents, skills
use dropshot::HttpResponseDeleted;
use types::local_objects::{self, LocalObjectPath, LocalObjectQuery};
use types::meta::HealthResponse;
use types::{admin_status, alerts, attempts, error_tags, mastery};
use types::{classrooms, parents, skills};
// --- Items, assignments, practice
use types::{assignments, items, practice};
// --- Guides (teacher)
use types::guides;
// --- Student guides
use types::student_guides;

/// The Innova API.
#[dropshot::api_description]
pub trait InnovaApi {
    type Context;

    /// Liveness.
    ///
    /// Answers as long as the process runs, without touching any dependency.
    #[endpoint { method = GET, path = "/", tags = ["app"] }]
    async fn root(rqctx: RequestContext<Self::Context>) -> ApiOk<String>;

    /// Readiness of the service and its database.
    ///
    /// 200 `{status: "ok", db: "ok"}` when the database answers within one second,
    /// 503 `{status: "degraded", db: "unavailable"}` when it does not.
    #[endpoint { method = GET, path = "/health", tags = ["app"] }]
    async fn health(rqctx: RequestContext<Self::Context>) -> Result<HealthResponse, ApiError>;

    /// This OpenAPI document, as YAML.
    #[endpoint { method = GET, path = "/openapi.yaml", tags = ["app"] }]
    async fn openapi_yaml(rqctx: RequestContext<Self::Context>)
    -> Result<Response<Body>, ApiError>;

    /// This OpenAPI document, as JSON.
    #[endpoint { method = GET, path = "/openapi.json", tags = ["app"] }]
    async fn openapi_json(rqctx: RequestContext<Self::Context>)
    -> Result<Response<Body>, ApiError>;

    /// A readable API reference (HTML) rendering this OpenAPI document.
    #[endpoint { method = GET, path = "/docs", tags = ["app"] }]
    async fn docs(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;

    /// Download from the local object store through a signed URL (local mode only; unpublished).
    #[endpoint { method = GET, path = "/local-objects/{bucket}/{key:.*}", unpublished = true }]
    async fn local_object_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<LocalObjectPath>,
        query: QueryParams<LocalObjectQuery>,
    ) -> Result<Response<Body>, ApiError>;

    /// Upload to the local object store through a signed URL (local mode only; unpublished).
    #[endpoint {
        method = PUT,
        path = "/local-objects/{bucket}/{key:.*}",
        unpublished = true,
        request_body_max_bytes = local_objects::MAX_UPLOAD_BYTES,
    }]
    async fn local_object_put(
        rqctx: RequestContext<Self::Context>,
        path: Path<LocalObjectPath>,
        query: QueryParams<LocalObjectQuery>,
        body: UntypedBody,
    ) -> Result<Response<Body>, ApiError>;

    /// The embedded identity provider's public keys (JWKS).
    ///
    /// The keys that sign the tokens this server issues when no Supabase project is configured
    /// (local use). With Supabase, the keys are Supabase's and this route answers 404. The
    /// document is a bare JWKS (`{keys: [...]}`), not wrapped in the envelope.
    #[endpoint { method = GET, path = "/auth/v1/.well-known/jwks.json", tags = ["auth"] }]
    async fn auth_jwks(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;

    /// Create an account and sign in.
    ///
    /// Creates the account at the identity provider with the role `student`, `teacher` or
    /// `parent` (never `admin`), then signs it in. An email that already has an account is
    /// 409: nothing is overwritten. Rate-limited per client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/register", tags = ["auth"] }]
    async fn auth_register(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<RegisterRequest>,
    ) -> ApiCreated<Session>;

    /// Sign in with email and password.
    ///
    /// A wrong password and an unknown email get the same 401. Rate-limited per client IP and
    /// per email (429).
    #[endpoint { method = POST, path = "/auth/login", tags = ["auth"] }]
    async fn auth_login(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<LoginRequest>,
    ) -> ApiCreated<Session>;

    /// Exchange a refresh token for new tokens.
    ///
    /// Refresh tokens are single use: the answer carries a new one. An unknown, expired,
    /// revoked or malformed refresh token is 401. Rate-limited per client IP (429).
    #[endpoint { method = POST, path = "/auth/refresh", tags = ["auth"] }]
    async fn auth_refresh(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<RefreshRequest>,
    ) -> ApiCreated<Session>;

    /// Ask for a password-reset e-mail.
    ///
    /// Always 202 with the same message, whether or not the email has an account. For an
    /// account, an e-mail with a single-use link valid 15 minutes is sent. Rate-limited per
    /// client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/forgot-password", tags = ["auth"] }]
    async fn auth_forgot_password(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<ForgotPasswordRequest>,
    ) -> ApiAccepted<MessageResponse>;

    /// Set a new password with a reset code.
    ///
    /// The code comes from the reset link. It works once, for 15 minutes; any invalid, used or
    /// expired code is 401. The account's existing sessions are revoked. Rate-limited per
    /// client IP and per email (429).
    #[endpoint { method = POST, path = "/auth/confirm-forgot-password", tags = ["auth"] }]
    async fn auth_confirm_forgot_password(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<ConfirmForgotPasswordRequest>,
    ) -> ApiCreated<MessageResponse>;

    /// The current user.
    ///
    /// The caller's user id, email, display name, role (from the token's `app_metadata.role`)
    /// and profile id. The first authenticated request of a user creates their user and
    /// profile rows.
    #[endpoint { method = GET, path = "/auth/me", tags = ["auth"] }]
    async fn auth_me(rqctx: RequestContext<Self::Context>) -> ApiOk<Me>;

    /// Sign out everywhere.
    ///
    /// Revokes the caller's refresh tokens at the identity provider. Access tokens already
    /// issued stay valid until they expire.
    #[endpoint { method = POST, path = "/auth/logout", tags = ["auth"] }]
    async fn auth_logout(rqctx: RequestContext<Self::Context>) -> ApiCreated<MessageResponse>;

    // ---- attempts ----------------------------------------------------------------------------

    /// Submit a digital attempt.
    ///
    /// The rule engine names the procedural error (or `CORRECT`); the attempt, its steps and the
    /// student's mastery (BKT) are stored together; the attempt is published to the telemetry
    /// stream and, when no rule explains a wrong answer (`UNCLASSIFIED`), to the LLM classifier.
    /// Students only, for their own `studentId`. When `exerciseId` names an exercise that stores
    /// its answer, that answer decides correctness and `expectedAnswer` is ignored (it serves
    /// exercises without one); an unknown exercise, a guide's exercise (answered through the
    /// guide), one whose stored answer is not a number, and a `courseId` the student is not
    /// ACTIVE in are 422 naming the field. Safe to retry: a request repeated with the same
    /// `x-trace-id` header answers the attempt the first one stored (mastery is applied once);
    /// the same trace id with a different request is 409.
    #[endpoint { method = POST, path = "/attempts", tags = ["attempts"] }]
    async fn attempts_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<attempts::CreateAttempt>,
    ) -> ApiCreated<attempts::AttemptCreated>;

    /// Queue an ad-hoc problem for the solver.
    ///
    /// Stores a PENDING attempt and its message to the ad-hoc solve queue together (published
    /// at once, or by the outbox relay when the queue is unreachable); poll
    /// `GET /attempts/{id}/status` (`FAILED` when the solver gave up). A `courseId` the student is
    /// not ACTIVE in is 422. Safe to retry: a request repeated with the same `x-trace-id` header
    /// answers the attempt the first one stored and queues nothing more, also when the repeats
    /// race; the same trace id with a different request is 409.
    #[endpoint { method = POST, path = "/attempts/solve-adhoc", tags = ["attempts"] }]
    async fn attempts_solve_adhoc(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<attempts::SolveAdhoc>,
    ) -> ApiCreated<attempts::AttemptAccepted>;

    /// Read the exercises on a worksheet photo.
    ///
    /// `multipart/form-data` with the photo in the file field `image` (JPEG, PNG, WebP, HEIC or
    /// GIF, at most 10 MiB). 503 when no OCR provider is configured.
    #[endpoint {
        method = POST,
        path = "/attempts/ocr-extract",
        tags = ["attempts"],
        content_type = "multipart/form-data",
        request_body_max_bytes = attempts::MAX_UPLOAD_BYTES,
    }]
    async fn attempts_ocr_extract(
        rqctx: RequestContext<Self::Context>,
        body: ImageUpload<attempts::PhotoForm>,
    ) -> ApiCreated<attempts::OcrResult>;

    /// An attempt's classification.
    ///
    /// For the owning student, a teacher of a course the student is enrolled in, or an admin;
    /// anyone else gets 404.
    #[endpoint { method = GET, path = "/attempts/by-id/{id}/status", tags = ["attempts"] }]
    async fn attempts_status(
        rqctx: RequestContext<Self::Context>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptClassification>;

    /// An attempt with its steps and photos.
    ///
    /// Photo URLs are short-lived. Never for parents.
    #[endpoint { method = GET, path = "/attempts/by-id/{id}/detail", tags = ["attempts"] }]
    async fn attempts_detail(
        rqctx: RequestContext<Self::Context>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptDetail>;

    /// Dispute an attempt's error tag.
    ///
    /// Records the tag the reporter thinks is right; the attempt is not changed.
    #[endpoint { method = POST, path = "/attempts/by-id/{id}/report", tags = ["attempts"] }]
    async fn attempts_report(
        rqctx: RequestContext<Self::Context>,
        path: Path<attempts::AttemptPath>,
        body: JsonBody<attempts::ReportAttempt>,
    ) -> ApiCreated<attempts::AttemptReported>;

    // ---- mastery -----------------------------------------------------------------------------

    /// Per-student mastery of a course.
    ///
    /// One entry per active student: mastery per taxonomy subdomain, the 20 latest attempts in
    /// the course and the frequency of their error tags. Teachers of the course and admins.
    #[endpoint { method = GET, path = "/mastery/course/{courseId}", tags = ["mastery"] }]
    async fn mastery_course(
        rqctx: RequestContext<Self::Context>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>>;

    /// Students × domains heatmap of a course.
    #[endpoint { method = GET, path = "/mastery/course/{courseId}/heatmap", tags = ["mastery"] }]
    async fn mastery_course_heatmap(
        rqctx: RequestContext<Self::Context>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<mastery::Heatmap>;

    /// Per-student mastery of a course (alias of `/mastery/course/{courseId}`).
    #[endpoint { method = GET, path = "/mastery/classroom/{classroomId}", tags = ["mastery"] }]
    async fn mastery_classroom(
        rqctx: RequestContext<Self::Context>,
        path: Path<mastery::ClassroomPath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>>;

    /// The next exercise for a student.
    ///
    /// The most informative (Fisher) active exercise of the student's weakest topic that has
    /// one, skipping exercises answered correctly in the course in the last 7 days. 404 when
    /// there is none.
    #[endpoint { method = GET, path = "/mastery/recommend/{courseId}/{studentId}", tags = ["mastery"] }]
    async fn mastery_recommend(
        rqctx: RequestContext<Self::Context>,
        path: Path<mastery::RecommendPath>,
    ) -> ApiOk<mastery::Recommendation>;

    /// A student's mastery per topic.
    ///
    /// For the student, their teachers, their confirmed parents and admins.
    #[endpoint { method = GET, path = "/mastery/by-id/{studentId}", tags = ["mastery"] }]
    async fn mastery_student(
        rqctx: RequestContext<Self::Context>,
        path: Path<mastery::StudentPath>,
    ) -> ApiOk<Vec<mastery::TopicMastery>>;

    // ---- alerts ------------------------------------------------------------------------------

    /// A course's unresolved alerts.
    ///
    /// The alerts of `courseId` (or its alias `classroomId`) not yet resolved, newest first.
    /// Teachers of the course only (403 otherwise). A missing course or an unknown query
    /// parameter is 400 naming it (after authentication: without a token, 401).
    #[endpoint { method = GET, path = "/alerts", tags = ["alerts"] }]
    async fn alerts_list(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<alerts::AlertsQuery>,
    ) -> ApiOk<Vec<alerts::AlertView>>;

    /// Raise an alert.
    ///
    /// The alert's teacher is the caller, who must teach `courseId` (403 otherwise); a
    /// `teacherId` naming anyone else is 422. `topicId` must be a topic of the course's
    /// curriculum and `studentId` a student with an ACTIVE enrollment in the course, else 422
    /// naming the field. `severity` defaults to `MED`, `payload` to `{}`.
    #[endpoint { method = POST, path = "/alerts", tags = ["alerts"] }]
    async fn alerts_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<alerts::CreateAlert>,
    ) -> ApiCreated<alerts::AlertView>;

    /// Resolve an alert.
    ///
    /// Records when and by whom. Resolving an alert already resolved answers it as stored and
    /// changes nothing. The alert's teacher only: for anyone else, as for an unknown id, 404.
    #[endpoint { method = PATCH, path = "/alerts/{id}/resolve", tags = ["alerts"] }]
    async fn alerts_resolve(
        rqctx: RequestContext<Self::Context>,
        path: Path<alerts::AlertPath>,
    ) -> ApiOk<alerts::AlertView>;

    // ---- admin -------------------------------------------------------------------------------

    /// Browse the error catalogue.
    ///
    /// Tags ordered by code, `limit` (1–100, default 50) per page, strictly after `cursor` (the
    /// previous page's `nextCursor`; `null` on the last page). Filters: `status`, `source`,
    /// `domainCode`, and `q` (trimmed; a case-insensitive substring of the code, the name or
    /// the description). `total` counts the filtered tags over all pages; `statusCounts` and
    /// `domains` describe the whole catalogue, unfiltered. Admins only (403 otherwise). An
    /// unknown parameter, an unknown enum value or a malformed cursor is 400 naming it.
    #[endpoint { method = GET, path = "/admin/error-tags", tags = ["admin"] }]
    async fn admin_error_tags_list(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<error_tags::ErrorTagsQuery>,
    ) -> ApiOk<error_tags::ErrorTagPage>;

    /// Set an error tag's status.
    ///
    /// Any status to any (no transition rules); setting the status a tag already has changes
    /// nothing. Only the status changes (a deprecated tag's successor link is kept). Admins
    /// only (403 otherwise); an unknown code is 404 `Error tag <code> not found`.
    #[endpoint { method = PATCH, path = "/admin/error-tags/{code}/status", tags = ["admin"] }]
    async fn admin_error_tags_set_status(
        rqctx: RequestContext<Self::Context>,
        path: Path<error_tags::ErrorTagPath>,
        body: JsonBody<error_tags::UpdateErrorTagStatus>,
    ) -> ApiOk<error_tags::ErrorTagAdminView>;

    /// The pipeline snapshot.
    ///
    /// Queue depths (`ApproximateNumberOfMessages`) and dead-letter depths of the guide-ingest,
    /// attempt-reprocess, llm-classify and hourly-alerts queues; attempts, submissions and
    /// classifications of the last hour and the guides waiting in the pipeline; today's model
    /// cost by model and this month's total (UTC); whether each stage runs, and the AI engine's
    /// grader cheap mode; who runs LLM classification and OCR (`backend` or `engine`, chosen at
    /// deploy); what waits in the transactional outbox. Never fails because SQS or SSM is
    /// unreachable: an unreadable depth is `-1`, an unreadable killswitch is reported enabled
    /// (fail-open), and `warnings` names each. Admins only (403 otherwise).
    #[endpoint { method = GET, path = "/admin/status", tags = ["admin"] }]
    async fn admin_status(rqctx: RequestContext<Self::Context>)
    -> ApiOk<admin_status::AdminStatus>;

    /// Pause or resume a stage.
    ///
    /// Writes the stage's SSM parameter (`"false"` when `enabled`, `"true"` when paused): the
    /// grader (`/innova/guides/grading_paused`), the classifier (`/innova/llm/paused`), the
    /// solution generator (`/innova/guides/solution_paused`), OCR (`/innova/ocr/paused`), the
    /// hourly alerts (`/innova/alerts/paused`) and the AI engine's guide ingest
    /// (`/innova/guides/ingest_paused`); `gradingCheapMode` is a mode, not a pause: `enabled`
    /// writes `"true"` to `/innova/guides/grading_cheap_mode`. Workers see the change within
    /// 30 s (their cache).
    /// An unknown key is 400 listing the valid ones; a parameter store that cannot be written is
    /// 503 (retry). Admins only (403 otherwise).
    #[endpoint { method = PATCH, path = "/admin/status/killswitches/{key}", tags = ["admin"] }]
    async fn admin_killswitch_set(
        rqctx: RequestContext<Self::Context>,
        path: Path<admin_status::KillswitchPath>,
        body: JsonBody<admin_status::SetKillswitch>,
    ) -> ApiOk<admin_status::KillswitchView>;

    // --- Items, assignments, practice ---------------------------------------------------------

    /// Write an exercise.
    ///
    /// Teachers and admins. Stores an ACTIVE, `TEACHER_AUTHORED` exercise with content
    /// `{prompt}` on the topic `skillId` (a teacher is recorded as its author). A blank prompt is
    /// 400; an unknown topic 404 naming `skillId`.
    #[endpoint { method = POST, path = "/items", tags = ["items"] }]
    async fn items_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<items::CreateItem>,
    ) -> ApiCreated<items::Exercise>;

    /// The exercise bank.
    ///
    /// ACTIVE exercises, oldest first, `limit` (1–100, default 32) per `page` (from 1), only
    /// those of topics with the code `skillKey` (or its alias `topic`) when given. Any
    /// authenticated user. A non-numeric or out-of-range number, a blank filter or an unknown
    /// parameter is 400 naming it.
    #[endpoint { method = GET, path = "/items", tags = ["items"] }]
    async fn items_list(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<items::ItemsQuery>,
    ) -> ApiOk<Vec<items::ItemView>>;

    /// One exercise, whatever its status.
    ///
    /// 404 `Exercise not found` for an unknown id.
    #[endpoint { method = GET, path = "/items/by-id/{id}", tags = ["items"] }]
    async fn items_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<items::ItemPath>,
    ) -> ApiOk<items::ItemView>;

    /// An exercise's IRT parameters.
    ///
    /// `{irtA, irtB}`; `null` (still 200) for an unknown id, as the reference answered.
    #[endpoint { method = GET, path = "/items/by-id/{id}/irt", tags = ["items"] }]
    async fn items_irt(
        rqctx: RequestContext<Self::Context>,
        path: Path<items::ItemPath>,
    ) -> ApiOk<Option<items::ItemIrt>>;

    /// Ask the AI engine for new exercises.
    ///
    /// Teachers and admins. Publishes `{subdomain_code, grade_level, target_error_codes, count,
    /// trace_id}` (the request's trace id) to the exercise-generate queue; the exercises reach
    /// the bank in a few minutes. The body is validated (grade 1–12, 1–50 target codes, count
    /// 1–10: 400 naming the field); a subdomain code or target codes that exist nowhere are 422.
    /// The message is stored before it is sent (the outbox): once answered 202 it reaches the
    /// queue, at once or through the outbox relay.
    #[endpoint { method = POST, path = "/items/generate", tags = ["items"] }]
    async fn items_generate(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<items::GenerateItems>,
    ) -> ApiAccepted<items::GenerationQueued>;

    /// Create an assignment.
    ///
    /// Teachers: for a course they teach (`courseId`; targets, if any, must be ACTIVE in it), or
    /// for students they teach (`studentIds`, each in a course of the caller; 403 otherwise).
    /// The assignment, its exercises (sequence 0, 1, … in the order given) and its targets
    /// (PENDING) are stored together. A student named twice, neither course nor students, or
    /// an unparsable `dueAt` is 400; unknown exercises or students, or students not enrolled in
    /// the course, 422 naming the field.
    #[endpoint { method = POST, path = "/assignments", tags = ["assignments"] }]
    async fn assignments_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<assignments::CreateAssignment>,
    ) -> ApiCreated<assignments::AssignmentDetail>;

    /// Create a recommended assignment for a student.
    ///
    /// A teacher of the student. The five most informative ACTIVE exercises of the topics the
    /// student has a mastery estimate for — topics whose prerequisites all stand at pKnown ≥ 0.6,
    /// items scored with θ = pKnown as the reference did — stored as a `PRACTICE_RECOMMENDER` assignment for the
    /// student, titled `Práctica recomendada — <topic code>`. 404 when nothing qualifies, or
    /// for an unknown `topicId`.
    #[endpoint { method = POST, path = "/assignments/recommend", tags = ["assignments"] }]
    async fn assignments_recommend(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<assignments::RecommendAssignmentQuery>,
    ) -> ApiCreated<assignments::AssignmentDetail>;

    /// A student's assignments.
    ///
    /// Assignments addressed to the student (not guides'), newest first, with their exercises
    /// and topics. For the student, their teachers, their confirmed parents and admins; 404 for
    /// an unknown student.
    #[endpoint { method = GET, path = "/assignments/student/{id}", tags = ["assignments"] }]
    async fn assignments_student(
        rqctx: RequestContext<Self::Context>,
        path: Path<assignments::AssignmentStudentPath>,
    ) -> ApiOk<Vec<assignments::StudentAssignment>>;

    /// Assign practice exercises to one student.
    ///
    /// A teacher of the student: `POST /assignments` for that student, titled `Práctica
    /// asignada`, reason `TEACHER_MANUAL`. Unknown exercises are 422 naming `itemIds`; an
    /// unparsable `dueAt` is 400.
    #[endpoint { method = POST, path = "/practice/assign", tags = ["practice"] }]
    async fn practice_assign(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<practice::AssignPractice>,
    ) -> ApiCreated<practice::PracticeAssigned>;

    /// The next practice exercise for a student.
    ///
    /// Among the first 500 ACTIVE exercises (oldest first; of the domain `domainId` when
    /// given), the one with the most Fisher information at θ = logit(clamp(pKnown, 0.05, 0.95))
    /// of its topic (pKnown 0.3 where the student has none). For the student, their teachers
    /// and admins; 404 for an unknown student or when there is no exercise.
    #[endpoint { method = GET, path = "/practice/recommend-next", tags = ["practice"] }]
    async fn practice_recommend_next(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<practice::RecommendNextQuery>,
    ) -> ApiOk<practice::PracticeRecommendation>;

    // --- Classrooms, parents, skills ---------------------------------------------------------

    /// Create a course.
    ///
    /// Teachers. The caller teaches it (as LEAD). It belongs to the caller's school (that of
    /// the course they joined last) and to the current year; `gradeLevel` defaults to 4 and
    /// `subjectCode` to `MATH`. Without a `name` (or with a blank one) it is named after its
    /// grade, letter and subject: `4° básico · Matemáticas`, `III medio B · Matemáticas`. An
    /// unknown subject is 404 naming `subjectCode`.
    #[endpoint { method = POST, path = "/classrooms", tags = ["classrooms"] }]
    async fn classrooms_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<classrooms::CreateClassroom>,
    ) -> ApiCreated<classrooms::Course>;

    /// The caller's courses.
    ///
    /// Teachers: the courses they teach that are not archived, in the order they were added
    /// to them, `limit` (1–100, default 100) per `page`.
    #[endpoint { method = GET, path = "/classrooms/mine", tags = ["classrooms"] }]
    async fn classrooms_mine(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<classrooms::CoursesQuery>,
    ) -> ApiOk<Vec<classrooms::Course>>;

    /// The courses the caller studies in.
    ///
    /// Students: the courses they have an ACTIVE enrollment in, archived ones included, in the
    /// order they joined them, `limit` (1–100, default 100) per `page`.
    #[endpoint { method = GET, path = "/classrooms/student/mine", tags = ["classrooms"] }]
    async fn classrooms_student_mine(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<classrooms::CoursesQuery>,
    ) -> ApiOk<Vec<classrooms::Course>>;

    /// One course.
    ///
    /// For the course's teachers, its ACTIVE students and admins (403 otherwise). `null` (200)
    /// for an id that is no course, as the reference answered (only an admin can get there).
    #[endpoint { method = GET, path = "/classrooms/by-id/{id}", tags = ["classrooms"] }]
    async fn classrooms_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<classrooms::ClassroomPath>,
    ) -> ApiOk<Option<classrooms::Course>>;

    /// Invite students to a course.
    ///
    /// A teacher of the course (403 `You do not own this course` otherwise). A new code and the
    /// link to send: valid for `expiresInDays` (default 7), for at most `maxUses` joins when
    /// given. The body may be omitted. An archived course is 409.
    #[endpoint { method = POST, path = "/classrooms/by-id/{id}/invite", tags = ["classrooms"] }]
    async fn classrooms_invite(
        rqctx: RequestContext<Self::Context>,
        path: Path<classrooms::ClassroomPath>,
        body: JsonBody<classrooms::CreateInvite>,
    ) -> ApiCreated<classrooms::InviteCreated>;

    /// Join a course with an invitation code.
    ///
    /// Students. The enrollment becomes ACTIVE (a student who left is back) and the code's use
    /// is counted, in one transaction: concurrent joins never exceed a code's use limit. A
    /// student already in the course gets it again without using the code up. An unknown code
    /// is 404 `Invalid invitation code`; an expired one 400 `Invitation code has expired`; one
    /// used up 400 `Invitation code has reached its usage limit`; an archived course 409.
    #[endpoint { method = POST, path = "/classrooms/join", tags = ["classrooms"] }]
    async fn classrooms_join(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<classrooms::JoinClassroom>,
    ) -> ApiCreated<classrooms::Course>;

    /// Archive a course.
    ///
    /// A teacher of the course (403 `You do not own this course` otherwise). The course leaves
    /// its teachers' lists; students keep seeing it; its codes stop admitting joins. Answers the
    /// archived course (`archivedAt` set), as the apps parse it. Archiving it again is 409.
    #[endpoint { method = DELETE, path = "/classrooms/by-id/{id}", tags = ["classrooms"] }]
    async fn classrooms_archive(
        rqctx: RequestContext<Self::Context>,
        path: Path<classrooms::ClassroomPath>,
    ) -> ApiOk<classrooms::Course>;

    /// The caller's children.
    ///
    /// Parents: the students they have a confirmed link to, by name.
    #[endpoint { method = GET, path = "/parent/children", tags = ["parent"] }]
    async fn parent_children(rqctx: RequestContext<Self::Context>) -> ApiOk<Vec<parents::Child>>;

    /// A child's summary.
    ///
    /// Parents with a confirmed link to the student (403 `This child is not linked to your
    /// account` otherwise). No numbers: per unit of the child's curriculum a band (`high`,
    /// `mid`, `low`) of the mean mastery estimate; the 8 guides most recently published in the
    /// child's courses with the child's progress; the 5 newest open alerts about the child.
    /// Never photos or attempt steps.
    #[endpoint { method = GET, path = "/parent/children/{studentId}", tags = ["parent"] }]
    async fn parent_child(
        rqctx: RequestContext<Self::Context>,
        path: Path<parents::ChildPath>,
    ) -> ApiOk<parents::ChildSummary>;

    /// Create a topic.
    ///
    /// Admins. In `unitId` (default: the first unit in teaching order), attached to the
    /// taxonomy through `subdomainId` when given, with the default BKT priors. A code already
    /// used in the unit is 409; an unknown unit or subdomain 422 naming the field.
    #[endpoint { method = POST, path = "/skills", tags = ["skills"] }]
    async fn skills_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<skills::CreateSkill>,
    ) -> ApiCreated<skills::Topic>;

    /// The curriculum's topics.
    ///
    /// Any authenticated user. Ordered by unit, `limit` (1–1000, default 1000) per `page`.
    #[endpoint { method = GET, path = "/skills", tags = ["skills"] }]
    async fn skills_list(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<skills::SkillsQuery>,
    ) -> ApiOk<Vec<skills::Topic>>;

    /// The error taxonomy.
    ///
    /// Every domain by code, each with its subdomains by code.
    #[endpoint { method = GET, path = "/skills/taxonomy", tags = ["skills"] }]
    async fn skills_taxonomy(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiOk<Vec<skills::TaxonomyDomain>>;

    /// Search the ACTIVE error catalogue.
    ///
    /// ACTIVE tags by code, at most `limit` (1–50, default 20): those whose code, name or
    /// description contains `q` (trimmed, case-insensitive), of the domain `domainCode` when
    /// given. A non-numeric or out-of-range `limit` or an unknown parameter is 400 naming it.
    #[endpoint { method = GET, path = "/skills/error-tags", tags = ["skills"] }]
    async fn skills_error_tags(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<skills::ErrorTagSearchQuery>,
    ) -> ApiOk<Vec<skills::ErrorTagHit>>;

    /// One topic.
    ///
    /// `null` (still 200) for an unknown id, as the reference answered.
    #[endpoint { method = GET, path = "/skills/by-id/{id}", tags = ["skills"] }]
    async fn skills_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<skills::SkillPath>,
    ) -> ApiOk<Option<skills::Topic>>;

    /// Change a topic.
    ///
    /// Admins. The fields given change (`description: null` removes the description). An
    /// unknown topic is 404; a code already used in its unit 409.
    #[endpoint { method = PATCH, path = "/skills/by-id/{id}", tags = ["skills"] }]
    async fn skills_update(
        rqctx: RequestContext<Self::Context>,
        path: Path<skills::SkillPath>,
        body: JsonBody<skills::UpdateSkill>,
    ) -> ApiOk<skills::Topic>;

    /// Delete a topic.
    ///
    /// Admins. 204, also when there was no such topic. Its own prerequisite links go with it; a
    /// topic that exercises, students' mastery estimates or other topics' prerequisites still
    /// reference is 409 saying which, and stays.
    #[endpoint { method = DELETE, path = "/skills/by-id/{id}", tags = ["skills"] }]
    async fn skills_delete(
        rqctx: RequestContext<Self::Context>,
        path: Path<skills::SkillPath>,
    ) -> Result<HttpResponseDeleted, ApiError>;

    /// A topic's prerequisites.
    ///
    /// The codes of the topics that come before it, ordered. 404 for an unknown topic.
    #[endpoint { method = GET, path = "/skills/by-id/{id}/prerequisites", tags = ["skills"] }]
    async fn skills_prerequisites(
        rqctx: RequestContext<Self::Context>,
        path: Path<skills::SkillPath>,
    ) -> ApiOk<skills::Prerequisites>;

    // --- Guides (teacher) ---------------------------------------------------------------------

    /// Create a guide and get where to upload its PDF.
    ///
    /// The caller must teach `courseId` (403 `You do not teach this course`). The guide starts
    /// UPLOADED; `presignedPutUrl` is a short-lived (`GUIDES_PRESIGNED_PUT_TTL`, default 600 s)
    /// PUT of `sourcePdfKey` that must be sent with `Content-Type: application/pdf`. Without a
    /// guides bucket the answer is 503 naming `S3_GUIDES_BUCKET`, and nothing is written.
    #[endpoint { method = POST, path = "/guides", tags = ["guides"] }]
    async fn guides_create(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<guides::CreateGuide>,
    ) -> ApiCreated<guides::GuideCreated>;

    /// Start (or retry) the extraction of a guide.
    ///
    /// From UPLOADED, EXTRACTION_FAILED or GENERATION_FAILED: the guide moves to EXTRACTING and
    /// the AI engine's guide-ingest message is queued with this request's trace id. Already
    /// EXTRACTING or GENERATING_SOLUTIONS: nothing happens, the current status is answered.
    /// From REVIEW, PUBLISHED or ARCHIVED: 409 naming both states. The status and the message
    /// are stored together and the message sent after (the outbox): once answered 202 the work
    /// reaches the queue, at once or through the outbox relay.
    #[endpoint { method = POST, path = "/guides/{id}/ingest", tags = ["guides"] }]
    async fn guides_ingest(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiAccepted<guides::IngestAccepted>;

    /// The caller's guides.
    ///
    /// Unarchived guides of the caller's courses (or of `courseId`, which must be one of them:
    /// 403 otherwise), optionally of one `status`, newest first, `pageSize` (1–100, default 20)
    /// per `page` (default 1), each with its question and submission counts. A bad parameter is
    /// 400 naming it.
    #[endpoint { method = GET, path = "/guides", tags = ["guides"] }]
    async fn guides_list(
        rqctx: RequestContext<Self::Context>,
        query: QueryParams<guides::GuidesQuery>,
    ) -> ApiOk<guides::GuideList>;

    /// A guide for the review wizard.
    ///
    /// The guide with its questions by sequence, each with its topic, domain and subdomain
    /// (`{id, code, name}` or null) and its current answer key (`solutions`: zero or one).
    #[endpoint { method = GET, path = "/guides/{id}", tags = ["guides"] }]
    async fn guides_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::GuideDetail>;

    /// Change a guide's metadata.
    ///
    /// The fields given change, in any status (published guides too).
    #[endpoint { method = PATCH, path = "/guides/{id}", tags = ["guides"] }]
    async fn guides_update(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
        body: JsonBody<guides::UpdateGuide>,
    ) -> ApiOk<guides::Guide>;

    /// Edit, classify, approve or exclude a question.
    ///
    /// `subdomainId` classifies under a subdomain and its domain (wins over `topicId`, the topic
    /// stays); `topicId` under a topic, its domain and subdomain; either records the teacher as
    /// the source with confidence 1. Unknown ids are 404 (`Subdomain not found`, `Topic not
    /// found`); a question of another guide is 404 `Question not found in guide`.
    #[endpoint { method = PATCH, path = "/guides/{id}/questions/{qid}", tags = ["guides"] }]
    async fn guides_update_question(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::QuestionPath>,
        body: JsonBody<guides::UpdateQuestion>,
    ) -> ApiOk<guides::GuideQuestion>;

    /// Write a new version of a question's answer key.
    ///
    /// `stepsJson` must be a canonical solution (ADR-118) with at least one checkpoint step;
    /// every problem is a 400 naming its field (`stepsJson.steps[0].latex: …`) and nothing is
    /// written. The new version (highest + 1, source TEACHER_EDITED) becomes the only current one,
    /// in one transaction; unknown keys of `stepsJson` are dropped.
    #[endpoint { method = PATCH, path = "/guides/{id}/questions/{qid}/solution", tags = ["guides"] }]
    async fn guides_update_solution(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::QuestionPath>,
        body: JsonBody<guides::UpdateSolution>,
    ) -> ApiOk<guides::GuideSolution>;

    /// Ask the AI engine for a new answer key of a question.
    ///
    /// Queues the solution-generation message with this request's trace id (through the
    /// outbox: once answered 202 it reaches the queue); nothing else changes here.
    #[endpoint { method = POST, path = "/guides/{id}/questions/{qid}/regenerate-solution", tags = ["guides"] }]
    async fn guides_regenerate_solution(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::QuestionPath>,
    ) -> ApiAccepted<guides::RegenerateAccepted>;

    /// Publish a guide.
    ///
    /// Only from REVIEW (409 naming both states otherwise), with every question APPROVED or
    /// EXCLUDED and at least one APPROVED (400 otherwise). In one transaction: an assignment
    /// (kind GUIDE) with a PENDING target per ACTIVE student of the course, an exercise (source
    /// GUIDE_EXTRACTED) per APPROVED question with a topic, in order, and the guide PUBLISHED.
    /// Of two concurrent publishes one succeeds, the other is 409.
    #[endpoint { method = POST, path = "/guides/{id}/publish", tags = ["guides"] }]
    async fn guides_publish(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiCreated<guides::GuidePublished>;

    /// Archive a guide.
    ///
    /// From any status but ARCHIVED (409). Archived guides leave the list.
    #[endpoint { method = DELETE, path = "/guides/{id}", tags = ["guides"] }]
    async fn guides_archive(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::Guide>;

    /// A download URL of the guide's PDF.
    ///
    /// Short-lived (`GUIDES_PRESIGNED_GET_TTL`, default 300 s). Without a guides bucket: 503
    /// naming `S3_GUIDES_BUCKET`.
    #[endpoint { method = GET, path = "/guides/{id}/source-url", tags = ["guides"] }]
    async fn guides_source_url(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::SourceUrl>;

    /// The student × question matrix of a guide.
    ///
    /// ACTIVE students by display name, APPROVED questions by sequence, a cell per student's
    /// latest try at a question (its effective error tag: the teacher's override, else the
    /// attempt's; late when handed in after `dueAt`), and per question its most frequent error
    /// tags among the cells that are not correct (top 5).
    #[endpoint { method = GET, path = "/guides/{id}/results", tags = ["guides"] }]
    async fn guides_results(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::GuideResults>;

    /// A submission of the guide, for the teacher's drawer.
    ///
    /// With short-lived download URLs of its photos (`SUBMISSIONS_PRESIGNED_GET_TTL`, default
    /// 300 s; without a submissions bucket: 503 naming `S3_SUBMISSIONS_BUCKET`). A submission of
    /// another guide is 404 `Submission not found`.
    #[endpoint { method = GET, path = "/guides/{id}/submissions/{sid}", tags = ["guides"] }]
    async fn guides_submission(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::SubmissionPath>,
    ) -> ApiOk<guides::SubmissionDrawer>;

    /// Override (or clear) a submission's error tag.
    ///
    /// `errorTagCode` names a tag of the catalogue (any status; 404 `Error tag <code> not found`
    /// otherwise); `null` or absent clears the override. The linked attempt does not change.
    #[endpoint { method = PATCH, path = "/guides/{id}/submissions/{sid}/error-tag", tags = ["guides"] }]
    async fn guides_submission_error_tag(
        rqctx: RequestContext<Self::Context>,
        path: Path<guides::SubmissionPath>,
        body: JsonBody<guides::OverrideErrorTag>,
    ) -> ApiOk<guides::ErrorTagOverridden>;

    // --- Student guides ----------------------------------------------------------------------

    /// The caller's guides.
    ///
    /// Students: the PUBLISHED guides of the courses they have an ACTIVE enrollment in, soonest
    /// due first (no due date last), then most recently published; each with its APPROVED
    /// questions and how many of them the caller has a GRADED submission for.
    #[endpoint { method = GET, path = "/student/guides", tags = ["student"] }]
    async fn student_guides_list(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiOk<Vec<student_guides::StudentGuideSummary>>;

    /// A guide's quiz.
    ///
    /// The guide and its APPROVED questions by sequence — statements and figure keys, never an
    /// answer or a solution — each with the caller's submissions, newest first. A guide that is
    /// not PUBLISHED is 404 `Guide not found`, like a missing one; a student not enrolled
    /// (ACTIVE) in its course gets 403.
    #[endpoint { method = GET, path = "/student/guides/{id}", tags = ["student"] }]
    async fn student_guides_get(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::StudentQuiz>;

    /// Start a photo submission to a question.
    ///
    /// For an APPROVED question of a published guide of the caller's course (404 `Question not
    /// found or not part of this guide` otherwise). `photoCount` (1–3) short-lived upload URLs,
    /// to be used with `PUT` and `Content-Type: image/jpeg`. 1 + `maxResubmissions` submissions
    /// that are not FAILED are allowed per question (400 `Re-submission limit reached (<n>)`
    /// beyond), also under concurrent requests. 503 naming `S3_SUBMISSIONS_BUCKET` when photo
    /// storage is not configured (nothing is written).
    #[endpoint {
        method = POST,
        path = "/student/guides/{id}/questions/{qid}/submissions",
        tags = ["student"]
    }]
    async fn student_submissions_create(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentQuestionPath>,
        body: JsonBody<student_guides::CreateSubmission>,
    ) -> ApiCreated<student_guides::SubmissionStarted>;

    /// Complete a submission: queue it for grading.
    ///
    /// The caller's own UPLOADED submission (someone else's is 404 `Submission not found`; one
    /// already past UPLOADED 409). Every photo must have been uploaded (400 otherwise). Queues
    /// the submission-grade message with the request's trace id; the status stays `UPLOADED`
    /// until the grader moves it, so the call may be repeated. The message is stored with the
    /// submission and sent after the commit (the outbox): once answered 202 it reaches the
    /// grader's queue, at once or through the outbox relay.
    #[endpoint { method = POST, path = "/student/submissions/{id}/complete", tags = ["student"] }]
    async fn student_submissions_complete(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentSubmissionPath>,
    ) -> ApiAccepted<student_guides::SubmissionCompleted>;

    /// A submission's status and grade.
    ///
    /// The caller's own submission (404 `Submission not found` otherwise), with the graded
    /// attempt's procedural error when there is one.
    #[endpoint { method = GET, path = "/student/submissions/{id}/status", tags = ["student"] }]
    async fn student_submissions_status(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentSubmissionPath>,
    ) -> ApiOk<student_guides::StudentSubmissionStatus>;

    /// The caller's results in a guide.
    ///
    /// Per APPROVED question the caller's latest submission (`NOT_SUBMITTED` without one). The
    /// question's current solution only when the guide has `showSolutionAfterGrade` and that
    /// latest submission is GRADED; `null` otherwise.
    #[endpoint { method = GET, path = "/student/guides/{id}/results", tags = ["student"] }]
    async fn student_guides_results(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::StudentGuideResults>;

    /// An upload URL for a photo of a whole page.
    ///
    /// A short-lived `PUT` URL (`Content-Type: image/jpeg`) for a new key under
    /// `guide-scans/<guideId>/<the caller's student id>/`. Nothing is written.
    #[endpoint { method = GET, path = "/student/guides/{id}/scan-page-url", tags = ["student"] }]
    async fn student_guides_scan_page_url(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::ScanPageUpload>;

    /// Read a page photo and submit each exercise on it.
    ///
    /// `photoKey` must be a key of `scan-page-url` for this guide and the caller (400 naming
    /// it otherwise) and uploaded (400). The OCR reads the exercises; exercise *i* is paired
    /// with the *i*-th APPROVED question by sequence, and each pair under the re-submission cap
    /// becomes an UPLOADED submission queued for grading (the others are listed as skipped,
    /// `limit_reached`). 404 when the guide has no APPROVED question; 503 when no OCR provider
    /// is configured or reachable. The submissions and their grading messages are stored
    /// together, the messages sent after the commit (the outbox).
    #[endpoint { method = POST, path = "/student/guides/{id}/scan-page", tags = ["student"] }]
    async fn student_guides_scan_page(
        rqctx: RequestContext<Self::Context>,
        path: Path<student_guides::StudentGuidePath>,
        body: JsonBody<student_guides::ScanPage>,
    ) -> ApiOk<student_guides::ScanPageResult>;
}
