//! Wiring: the trait implementation, the in-process dropshot server on loopback, and the local
//! HTTP server that puts the edge in front of it.

use std::net::SocketAddr;

use dropshot::{
    ApiDescription, Body, ConfigDropshot, HandlerTaskMode, HttpServer, MultipartBody, Path,
    RequestContext, ServerBuilder, TypedBody,
};
use http::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use innova_core::config::Config;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::api::{InnovaApi, innova_api_mod};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::edge::Edge;
use crate::envelope::{ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::handlers::auth::{
    ConfirmForgotPasswordRequest, ForgotPasswordRequest, LoginRequest, Me, MessageResponse,
    RefreshRequest, RegisterRequest, Session,
};
use crate::handlers::{self, attempts, mastery, meta::HealthResponse};

/// Largest JSON body accepted, as the reference's body parser (100 kB). Routes taking uploads
/// raise it for themselves.
pub const MAX_BODY_BYTES: usize = 100 * 1024;

/// The implementation of [`InnovaApi`]: each method hands over to its handler module.
pub enum InnovaImpl {}

impl InnovaApi for InnovaImpl {
    type Context = ApiContext;

    async fn root(rqctx: RequestContext<ApiContext>) -> ApiOk<String> {
        handlers::meta::root(rqctx).await
    }

    async fn health(rqctx: RequestContext<ApiContext>) -> Result<HealthResponse, ApiError> {
        handlers::meta::health(rqctx).await
    }

    async fn openapi_yaml(_rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        handlers::meta::openapi_yaml().await
    }

    async fn openapi_json(_rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        handlers::meta::openapi_json().await
    }

    async fn docs(_rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        handlers::meta::docs().await
    }

    async fn local_object_get(
        rqctx: RequestContext<ApiContext>,
        path: dropshot::Path<handlers::local_objects::LocalObjectPath>,
        query: dropshot::Query<handlers::local_objects::LocalObjectQuery>,
    ) -> Result<Response<Body>, ApiError> {
        handlers::local_objects::get(rqctx, path, query).await
    }

    async fn local_object_put(
        rqctx: RequestContext<ApiContext>,
        path: dropshot::Path<handlers::local_objects::LocalObjectPath>,
        query: dropshot::Query<handlers::local_objects::LocalObjectQuery>,
        body: dropshot::UntypedBody,
    ) -> Result<Response<Body>, ApiError> {
        handlers::local_objects::put(rqctx, path, query, body).await
    }

    async fn auth_jwks(rqctx: RequestContext<ApiContext>) -> Result<Response<Body>, ApiError> {
        handlers::auth::jwks(rqctx).await
    }

    async fn auth_register(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<RegisterRequest>,
    ) -> ApiCreated<Session> {
        handlers::auth::register(rqctx, body).await
    }

    async fn auth_login(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<LoginRequest>,
    ) -> ApiCreated<Session> {
        handlers::auth::login(rqctx, body).await
    }

    async fn auth_refresh(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<RefreshRequest>,
    ) -> ApiCreated<Session> {
        handlers::auth::refresh(rqctx, body).await
    }

    async fn auth_forgot_password(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<ForgotPasswordRequest>,
    ) -> ApiAccepted<MessageResponse> {
        handlers::auth::forgot_password(rqctx, body).await
    }

    async fn auth_confirm_forgot_password(
        rqctx: RequestContext<ApiContext>,
        body: TypedBody<ConfirmForgotPasswordRequest>,
    ) -> ApiCreated<MessageResponse> {
        handlers::auth::confirm_forgot_password(rqctx, body).await
    }

    async fn auth_me(rqctx: RequestContext<ApiContext>) -> ApiOk<Me> {
        handlers::auth::me(rqctx).await
    }

    async fn auth_logout(rqctx: RequestContext<ApiContext>) -> ApiCreated<MessageResponse> {
        handlers::auth::logout(rqctx).await
    }

    async fn attempts_create(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<attempts::CreateAttempt>,
    ) -> ApiCreated<attempts::AttemptCreated> {
        handlers::attempts::create(rqctx, body).await
    }

    async fn attempts_solve_adhoc(
        rqctx: RequestContext<ApiContext>,
        body: JsonBody<attempts::SolveAdhoc>,
    ) -> ApiCreated<attempts::AttemptAccepted> {
        handlers::attempts::solve_adhoc(rqctx, body).await
    }

    async fn attempts_ocr_extract(
        rqctx: RequestContext<ApiContext>,
        body: MultipartBody,
    ) -> ApiCreated<attempts::OcrResult> {
        handlers::attempts::ocr_extract(rqctx, body).await
    }

    async fn attempts_status(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptStatus> {
        handlers::attempts::status(rqctx, path).await
    }

    async fn attempts_detail(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
    ) -> ApiOk<attempts::AttemptDetail> {
        handlers::attempts::detail(rqctx, path).await
    }

    async fn attempts_report(
        rqctx: RequestContext<ApiContext>,
        path: Path<attempts::AttemptPath>,
        body: JsonBody<attempts::ReportAttempt>,
    ) -> ApiCreated<attempts::AttemptReported> {
        handlers::attempts::report(rqctx, path, body).await
    }

    async fn mastery_course(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>> {
        handlers::mastery::course(rqctx, path).await
    }

    async fn mastery_course_heatmap(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::CoursePath>,
    ) -> ApiOk<mastery::Heatmap> {
        handlers::mastery::heatmap(rqctx, path).await
    }

    async fn mastery_classroom(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::ClassroomPath>,
    ) -> ApiOk<Vec<mastery::StudentCourseMastery>> {
        handlers::mastery::classroom(rqctx, path).await
    }

    async fn mastery_recommend(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::RecommendPath>,
    ) -> ApiOk<mastery::Recommendation> {
        handlers::mastery::recommend(rqctx, path).await
    }

    async fn mastery_student(
        rqctx: RequestContext<ApiContext>,
        path: Path<mastery::StudentPath>,
    ) -> ApiOk<Vec<mastery::TopicMastery>> {
        handlers::mastery::of_student(rqctx, path).await
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
        default_request_body_max_bytes: MAX_BODY_BYTES,
        // Handlers run to completion even if the client goes away: a write half-done because
        // a phone lost signal is worse than a wasted response.
        default_handler_task_mode: HandlerTaskMode::Detached,
        ..Default::default()
    };
    // Dropshot logs through slog; our access log comes from the edge, so discard its own.
    let log = slog::Logger::root(slog::Discard, slog::o!());
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
    /// Stops accepting connections and shuts dropshot down.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.accept_loop.abort();
        self.dropshot.close().await.map_err(|e| anyhow::anyhow!(e))
    }
}

/// Builds the context from `config` and serves the API on `listener`, with the workers consuming
/// the embedded queues in-process (the Lambda entry has none: there the workers are their own
/// functions, and the `bootstrap` binary does not link them).
pub async fn serve(config: Config, listener: TcpListener) -> anyhow::Result<RunningApi> {
    let cors = config.cors_origins.clone();
    let context = ApiContext::new(config)?;
    innova_workers::register_embedded(&context.config, &context.services, &context.db);
    let dropshot = start_dropshot(context)?;
    let edge = Edge::new(dropshot.local_addr(), &cors);
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
