//! Wiring: the trait implementation, the in-process dropshot server on loopback, and the local
//! HTTP server that puts the edge in front of it.

use std::net::SocketAddr;

use dropshot::{
    ApiDescription, Body, ConfigDropshot, HandlerTaskMode, HttpServer, Path, RequestContext,
    ServerBuilder, UntypedBody,
};
use http::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use innova_core::config::Config;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::api::types::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, Me, RefreshRequest,
    RegisterRequest, Session,
};
use crate::api::types::common::MessageResponse;
use crate::api::types::local_objects::{LocalObjectPath, LocalObjectQuery};
use crate::api::types::meta::HealthResponse;
use crate::api::types::{admin_status, alerts, attempts, error_tags, mastery};
// --- Items, assignments, practice
use crate::api::types::{assignments, items, practice};
// --- Classrooms, parents, skills
use crate::api::types::{classrooms, parents, skills};
// --- Guides (teacher)
use crate::api::types::guides;
// --- Student guides
use crate::api::types::student_guides;
use crate::api::{InnovaApi, innova_api_mod};
use crate::body::{ImageUpload, JsonBody};
use crate::context::ApiContext;
use crate::edge::Edge;
use crate::envelope::{ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::handlers;
use crate::query::QueryParams;

/// Runs a handler inside its request's span ([`crate::trace::request_span`]), so every log line
/// of the request carries its trace id and operation; then answers for it in the request's
/// scope ([`crate::request`]): an error gets the request's `timestamp`, `path` and `traceId` and
/// leaves its extra headers for the edge.
macro_rules! traced {
    ($rqctx:ident, $handler:expr) => {{
        let scope = crate::request::scope(&$rqctx);
        let span = crate::trace::request_span(&scope, &$rqctx);
        let result = tracing::Instrument::instrument($handler, span).await;
        scope.mark_answered();
        result.map_err(|e: crate::error::ApiError| e.answered_in(&scope))
    }};
}

/// The implementation of [`InnovaApi`]: each method hands over to its handler module.
pub enum InnovaImpl {}

impl InnovaApi for InnovaImpl {
    type Context = ApiContext;

    async fn root(rqctx: RequestContext<ApiContext>) -> ApiOk<String> {
        traced!(rqctx, handlers::meta::root(rqctx))
    }

    async fn health(rqctx: RequestContext<ApiContext>) -> Result<HealthResponse, ApiError> {
        traced!(rqctx, handlers::meta::health(rqctx))
    }

    async fn openapi_yaml(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        traced!(rqctx, handlers::meta::openapi_yaml())
    }

    async fn openapi_json(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        traced!(rqctx, handlers::meta::openapi_json())
    }

    async fn docs(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        traced!(rqctx, handlers::meta::docs(rqctx))
    }

    async fn local_object_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<LocalObjectPath>,
        query: QueryParams<LocalObjectQuery>,
    ) -> Result<Response<Body>, ApiError> {
        traced!(rqctx, handlers::local_objects::get(rqctx, path, query))
    }

    async fn local_object_put(
        rqctx: RequestContext<ApiContext>,
        path: Path<LocalObjectPath>,
        query: QueryParams<LocalObjectQuery>,
        body: UntypedBody,
    ) -> Result<Response<Body>, ApiError> {
        traced!(
            rqctx,
            handlers::local_objects::put(rqctx, path, query, body)
        )
    }

    async fn auth_jwks(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        traced!(rqctx, handlers::auth::jwks(rqctx))
    }

    async fn auth_register(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<RegisterRequest>,
    ) -> ApiCreated<Session> {
        traced!(rqctx, handlers::auth::register(rqctx, body))
    }

    async fn auth_login(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<LoginRequest>,
    ) -> ApiCreated<Session> {
        traced!(rqctx, handlers::auth::login(rqctx, body))
    }

    async fn auth_refresh(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<RefreshRequest>,
    ) -> ApiCreated<Session> {
        traced!(rqctx, handlers::auth::refresh(rqctx, body))
    }

    async fn auth_forgot_password(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<ForgotPasswordRequest>,
    ) -> ApiAccepted<MessageResponse> {
        traced!(rqctx, handlers::auth::forgot_password(rqctx, body))
    }

    async fn auth_confirm_forgot_password(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<ConfirmForgotPasswordRequest>,
    ) -> ApiCreated<MessageResponse> {
        traced!(rqctx, handlers::auth::confirm_forgot_password(rqctx, body))
    }

    async fn auth_me(rqctx: RequestContext<ApiContext>) -> ApiOk<Me> {
        traced!(rqctx, handlers::auth::me(rqctx))
    }

    async fn auth_logout(rqctx: RequestContext<ApiContext>) -> ApiCreated<MessageResponse> {
        traced!(rqctx, handlers::auth::logout(rqctx))
    }

    async fn attempts_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<attempts::CreateAttempt>,
    ) -> ApiCreated<attempts::AttemptCreated> {
        traced!(rqctx, handlers::attempts::create(rqctx, body))
    }

    async fn attempts_solve_adhoc(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<attempts::SolveAdhoc>,
    ) -> ApiCreated<attempts::AttemptAccepted> {
        traced!(rqctx, handlers::attempts::solve_adhoc(rqctx, body))
    }

    async fn attempts_ocr_extract(
        rqctx: RequestContext<ApiContext>,
        body: ImageUpload<attempts::PhotoForm>,
    ) -> ApiCreated<attempts::OcrResult> {
        traced!(rqctx, handlers::attempts::ocr_extract(rqctx, body))
    }

    async fn attempts_status(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptClassification> {
        traced!(rqctx, handlers::attempts::status(rqctx, path))
    }

    async fn attempts_detail(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptDetail> {
        traced!(rqctx, handlers::attempts::detail(rqctx, path))
    }

    async fn attempts_report(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
        body: JsonBody<attempts::ReportAttempt>,
    ) -> ApiCreated<attempts::AttemptReported> {
        traced!(rqctx, handlers::attempts::report(rqctx, path, body))
    }

    async fn mastery_course(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>> {
        traced!(rqctx, handlers::mastery::course(rqctx, path))
    }

    async fn mastery_course_heatmap(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<mastery::Heatmap> {
        traced!(rqctx, handlers::mastery::heatmap(rqctx, path))
    }

    async fn mastery_classroom(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::ClassroomPath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>> {
        traced!(rqctx, handlers::mastery::classroom(rqctx, path))
    }

    async fn mastery_recommend(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::RecommendPath>,
    ) -> ApiOk<mastery::Recommendation> {
        traced!(rqctx, handlers::mastery::recommend(rqctx, path))
    }

    async fn mastery_student(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::StudentPath>,
    ) -> ApiOk<Vec<mastery::TopicMastery>> {
        traced!(rqctx, handlers::mastery::of_student(rqctx, path))
    }

    async fn alerts_list(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<alerts::AlertsQuery>,
    ) -> ApiOk<Vec<alerts::AlertView>> {
        traced!(rqctx, handlers::alerts::list(rqctx, query))
    }

    async fn alerts_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<alerts::CreateAlert>,
    ) -> ApiCreated<alerts::AlertView> {
        traced!(rqctx, handlers::alerts::create(rqctx, body))
    }

    async fn alerts_resolve(
        rqctx: RequestContext<ApiContext>,
        path: Path<alerts::AlertPath>,
    ) -> ApiOk<alerts::AlertView> {
        traced!(rqctx, handlers::alerts::resolve(rqctx, path))
    }

    async fn admin_error_tags_list(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<error_tags::ErrorTagsQuery>,
    ) -> ApiOk<error_tags::ErrorTagPage> {
        traced!(rqctx, handlers::error_tags::list(rqctx, query))
    }

    async fn admin_error_tags_set_status(
        rqctx: RequestContext<ApiContext>,
        path: Path<error_tags::ErrorTagPath>,
        body: JsonBody<error_tags::UpdateErrorTagStatus>,
    ) -> ApiOk<error_tags::ErrorTagAdminView> {
        traced!(rqctx, handlers::error_tags::set_status(rqctx, path, body))
    }

    async fn admin_status(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiOk<admin_status::AdminStatus> {
        traced!(rqctx, handlers::admin_status::status(rqctx))
    }

    async fn admin_killswitch_set(
        rqctx: RequestContext<Self::Context>,
        path: Path<admin_status::KillswitchPath>,
        body: JsonBody<admin_status::SetKillswitch>,
    ) -> ApiOk<admin_status::KillswitchView> {
        traced!(
            rqctx,
            handlers::admin_status::set_killswitch(rqctx, path, body)
        )
    }

    // --- Items, assignments, practice

    async fn items_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<items::CreateItem>,
    ) -> ApiCreated<items::Exercise> {
        traced!(rqctx, handlers::items::create(rqctx, body))
    }

    async fn items_list(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<items::ItemsQuery>,
    ) -> ApiOk<Vec<items::ItemView>> {
        traced!(rqctx, handlers::items::list(rqctx, query))
    }

    async fn items_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<items::ItemPath>,
    ) -> ApiOk<items::ItemView> {
        traced!(rqctx, handlers::items::get(rqctx, path))
    }

    async fn items_irt(
        rqctx: RequestContext<ApiContext>,
        path: Path<items::ItemPath>,
    ) -> ApiOk<Option<items::ItemIrt>> {
        traced!(rqctx, handlers::items::irt(rqctx, path))
    }

    async fn items_generate(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<items::GenerateItems>,
    ) -> ApiAccepted<items::GenerationQueued> {
        traced!(rqctx, handlers::items::generate(rqctx, body))
    }

    async fn assignments_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<assignments::CreateAssignment>,
    ) -> ApiCreated<assignments::AssignmentDetail> {
        traced!(rqctx, handlers::assignments::create(rqctx, body))
    }

    async fn assignments_recommend(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<assignments::RecommendAssignmentQuery>,
    ) -> ApiCreated<assignments::AssignmentDetail> {
        traced!(rqctx, handlers::assignments::recommend(rqctx, query))
    }

    async fn assignments_student(
        rqctx: RequestContext<ApiContext>,
        path: Path<assignments::AssignmentStudentPath>,
    ) -> ApiOk<Vec<assignments::StudentAssignment>> {
        traced!(rqctx, handlers::assignments::of_student(rqctx, path))
    }

    async fn practice_assign(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<practice::AssignPractice>,
    ) -> ApiCreated<practice::PracticeAssigned> {
        traced!(rqctx, handlers::practice::assign(rqctx, body))
    }

    async fn practice_recommend_next(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<practice::RecommendNextQuery>,
    ) -> ApiOk<practice::PracticeRecommendation> {
        traced!(rqctx, handlers::practice::recommend_next(rqctx, query))
    }

    // --- Classrooms, parents, skills

    async fn classrooms_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<classrooms::CreateClassroom>,
    ) -> ApiCreated<classrooms::Course> {
        traced!(rqctx, handlers::classrooms::create(rqctx, body))
    }

    async fn classrooms_mine(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<classrooms::CoursesQuery>,
    ) -> ApiOk<Vec<classrooms::Course>> {
        traced!(rqctx, handlers::classrooms::mine(rqctx, query))
    }

    async fn classrooms_student_mine(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<classrooms::CoursesQuery>,
    ) -> ApiOk<Vec<classrooms::Course>> {
        traced!(rqctx, handlers::classrooms::student_mine(rqctx, query))
    }

    async fn classrooms_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<classrooms::ClassroomPath>,
    ) -> ApiOk<Option<classrooms::Course>> {
        traced!(rqctx, handlers::classrooms::get(rqctx, path))
    }

    async fn classrooms_invite(
        rqctx: RequestContext<ApiContext>,
        path: Path<classrooms::ClassroomPath>,
        body: JsonBody<classrooms::CreateInvite>,
    ) -> ApiCreated<classrooms::InviteCreated> {
        traced!(rqctx, handlers::classrooms::invite(rqctx, path, body))
    }

    async fn classrooms_join(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<classrooms::JoinClassroom>,
    ) -> ApiCreated<classrooms::Course> {
        traced!(rqctx, handlers::classrooms::join(rqctx, body))
    }

    async fn classrooms_archive(
        rqctx: RequestContext<ApiContext>,
        path: Path<classrooms::ClassroomPath>,
    ) -> ApiOk<classrooms::Course> {
        traced!(rqctx, handlers::classrooms::archive(rqctx, path))
    }

    async fn parent_children(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<parents::Child>> {
        traced!(rqctx, handlers::parents::children(rqctx))
    }

    async fn parent_child(
        rqctx: RequestContext<ApiContext>,
        path: Path<parents::ChildPath>,
    ) -> ApiOk<parents::ChildSummary> {
        traced!(rqctx, handlers::parents::child(rqctx, path))
    }

    async fn skills_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<skills::CreateSkill>,
    ) -> ApiCreated<skills::Topic> {
        traced!(rqctx, handlers::skills::create(rqctx, body))
    }

    async fn skills_list(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<skills::SkillsQuery>,
    ) -> ApiOk<Vec<skills::Topic>> {
        traced!(rqctx, handlers::skills::list(rqctx, query))
    }

    async fn skills_taxonomy(
        rqctx: RequestContext<ApiContext>,
    ) -> ApiOk<Vec<skills::TaxonomyDomain>> {
        traced!(rqctx, handlers::skills::taxonomy(rqctx))
    }

    async fn skills_error_tags(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<skills::ErrorTagSearchQuery>,
    ) -> ApiOk<Vec<skills::ErrorTagHit>> {
        traced!(rqctx, handlers::skills::error_tags(rqctx, query))
    }

    async fn skills_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<skills::SkillPath>,
    ) -> ApiOk<Option<skills::Topic>> {
        traced!(rqctx, handlers::skills::get(rqctx, path))
    }

    async fn skills_update(
        rqctx: RequestContext<ApiContext>,
        path: Path<skills::SkillPath>,
        body: JsonBody<skills::UpdateSkill>,
    ) -> ApiOk<skills::Topic> {
        traced!(rqctx, handlers::skills::update(rqctx, path, body))
    }

    async fn skills_delete(
        rqctx: RequestContext<ApiContext>,
        path: Path<skills::SkillPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        traced!(rqctx, handlers::skills::delete(rqctx, path))
    }

    async fn skills_prerequisites(
        rqctx: RequestContext<ApiContext>,
        path: Path<skills::SkillPath>,
    ) -> ApiOk<skills::Prerequisites> {
        traced!(rqctx, handlers::skills::prerequisites(rqctx, path))
    }

    // --- Guides (teacher)
    async fn guides_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<guides::CreateGuide>,
    ) -> ApiCreated<guides::GuideCreated> {
        traced!(rqctx, handlers::guides::create(rqctx, body))
    }

    async fn guides_ingest(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiAccepted<guides::IngestAccepted> {
        traced!(rqctx, handlers::guides::ingest(rqctx, path))
    }

    async fn guides_list(
        rqctx: RequestContext<ApiContext>,
        query: QueryParams<guides::GuidesQuery>,
    ) -> ApiOk<guides::GuideList> {
        traced!(rqctx, handlers::guides::list(rqctx, query))
    }

    async fn guides_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::GuideDetail> {
        traced!(rqctx, handlers::guides::get(rqctx, path))
    }

    async fn guides_update(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
        body: JsonBody<guides::UpdateGuide>,
    ) -> ApiOk<guides::Guide> {
        traced!(rqctx, handlers::guides::update(rqctx, path, body))
    }

    async fn guides_update_question(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::QuestionPath>,
        body: JsonBody<guides::UpdateQuestion>,
    ) -> ApiOk<guides::GuideQuestion> {
        traced!(rqctx, handlers::guides::update_question(rqctx, path, body))
    }

    async fn guides_update_solution(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::QuestionPath>,
        body: JsonBody<guides::UpdateSolution>,
    ) -> ApiOk<guides::GuideSolution> {
        traced!(rqctx, handlers::guides::update_solution(rqctx, path, body))
    }

    async fn guides_regenerate_solution(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::QuestionPath>,
    ) -> ApiAccepted<guides::RegenerateAccepted> {
        traced!(rqctx, handlers::guides::regenerate_solution(rqctx, path))
    }

    async fn guides_publish(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiCreated<guides::GuidePublished> {
        traced!(rqctx, handlers::guides::publish(rqctx, path))
    }

    async fn guides_archive(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::Guide> {
        traced!(rqctx, handlers::guides::archive(rqctx, path))
    }

    async fn guides_source_url(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::SourceUrl> {
        traced!(rqctx, handlers::guides::source_url(rqctx, path))
    }

    async fn guides_results(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::GuidePath>,
    ) -> ApiOk<guides::GuideResults> {
        traced!(rqctx, handlers::guides::results(rqctx, path))
    }

    async fn guides_submission(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::SubmissionPath>,
    ) -> ApiOk<guides::SubmissionDrawer> {
        traced!(rqctx, handlers::guides::submission(rqctx, path))
    }

    async fn guides_submission_error_tag(
        rqctx: RequestContext<ApiContext>,
        path: Path<guides::SubmissionPath>,
        body: JsonBody<guides::OverrideErrorTag>,
    ) -> ApiOk<guides::ErrorTagOverridden> {
        traced!(
            rqctx,
            handlers::guides::submission_error_tag(rqctx, path, body)
        )
    }

    // --- Student guides

    async fn student_guides_list(
        rqctx: RequestContext<ApiContext>,
    ) -> ApiOk<Vec<student_guides::StudentGuideSummary>> {
        traced!(rqctx, handlers::student_guides::list(rqctx))
    }

    async fn student_guides_get(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::StudentQuiz> {
        traced!(rqctx, handlers::student_guides::get(rqctx, path))
    }

    async fn student_submissions_create(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentQuestionPath>,
        body: JsonBody<student_guides::CreateSubmission>,
    ) -> ApiCreated<student_guides::SubmissionStarted> {
        traced!(
            rqctx,
            handlers::student_guides::create_submission(rqctx, path, body)
        )
    }

    async fn student_submissions_complete(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentSubmissionPath>,
    ) -> ApiAccepted<student_guides::SubmissionCompleted> {
        traced!(rqctx, handlers::student_guides::complete(rqctx, path))
    }

    async fn student_submissions_status(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentSubmissionPath>,
    ) -> ApiOk<student_guides::StudentSubmissionStatus> {
        traced!(rqctx, handlers::student_guides::status(rqctx, path))
    }

    async fn student_guides_results(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::StudentGuideResults> {
        traced!(rqctx, handlers::student_guides::results(rqctx, path))
    }

    async fn student_guides_scan_page_url(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentGuidePath>,
    ) -> ApiOk<student_guides::ScanPageUpload> {
        traced!(rqctx, handlers::student_guides::scan_page_url(rqctx, path))
    }

    async fn student_guides_scan_page(
        rqctx: RequestContext<ApiContext>,
        path: Path<student_guides::StudentGuidePath>,
        body: JsonBody<student_guides::ScanPage>,
    ) -> ApiOk<student_guides::ScanPageResult> {
        traced!(
            rqctx,
            handlers::student_guides::scan_page(rqctx, path, body)
        )
    }
}

/// The API description with the real handlers.
pub fn api_description() -> ApiDescription<ApiContext> {
    innova_api_mod::api_description::<InnovaImpl>().expect("the API description is valid")
}

/// Starts dropshot on an ephemeral loopback port. Only the edge talks to it.
pub fn start_dropshot(context: ApiContext) -> anyhow::Result<HttpServer<ApiContext>> {
    let config = ConfigDropshot {
        bind_address: SocketAddr::from(([127, 0, 0, 1], 0)),
        default_request_body_max_bytes: crate::body::MAX_BODY_BYTES,
        // Handlers run to completion even if the client goes away: a write half-done because
        // a phone lost signal is worse than a wasted response.
        default_handler_task_mode: HandlerTaskMode::Detached,
        ..Default::default()
    };
    // Dropshot logs through slog: into our tracing subscriber (filtered by module,
    // `dropshot::…`; its per-request lines repeat the edge's access log, so the default filter
    // keeps only its warnings and errors; `LOG_LEVEL=dropshot=info,info` shows them).
    let log = slog::Logger::root(tracing_slog::TracingSlogDrain, slog::o!());
    ServerBuilder::new(api_description(), context, log)
        .config(config)
        .start()
        .map_err(|e| anyhow::anyhow!("cannot start the API server: {e}"))
}

/// The API serving HTTP: the edge on `addr`, dropshot behind it.
pub struct RunningApi {
    /// Where the edge listens.
    pub addr: SocketAddr,
    pub edge: Edge,
    dropshot: HttpServer<ApiContext>,
    accept_loop: JoinHandle<()>,
}

impl RunningApi {
    /// The use cases' handle the server runs on (tests drive the outbox relay with it).
    pub fn app(&self) -> &innova_app::App {
        &self.dropshot.app_private().app
    }

    /// Requests whose scope is open (in flight); none once every response is out.
    pub fn open_requests(&self) -> usize {
        self.dropshot.app_private().scopes.len()
    }

    /// Stops accepting connections and shuts dropshot down.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.accept_loop.abort();
        self.dropshot.close().await.map_err(|e| anyhow::anyhow!(e))
    }
}

/// Builds the context from `config` and serves the API on `listener`. No worker consumes the
/// embedded queues: the local composition root (`innova-api` in the `innova-cli` package)
/// registers them on the context first and calls [`serve_context`].
pub async fn serve(config: Config, listener: TcpListener) -> anyhow::Result<RunningApi> {
    serve_context(ApiContext::new(config)?, listener).await
}

/// Serves the API with an already built context on `listener`.
pub async fn serve_context(
    context: ApiContext,
    listener: TcpListener,
) -> anyhow::Result<RunningApi> {
    let cors = context.config.cors_origins.clone();
    let scopes = context.scopes.clone();
    let dropshot = start_dropshot(context)?;
    let edge = Edge::new(dropshot.local_addr(), &cors, scopes);
    let addr = listener.local_addr()?;
    let accept_loop = tokio::spawn(accept(listener, edge.clone()));
    Ok(RunningApi {
        addr,
        edge,
        dropshot,
        accept_loop,
    })
}

async fn accept(listener: TcpListener, edge: Edge) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let edge = edge.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let edge = edge.clone();
                async move { Ok::<_, std::convert::Infallible>(edge.handle(req, Some(peer.ip())).await) }
            });
            if let Err(e) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}
