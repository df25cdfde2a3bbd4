//! Innova's use cases, one module per resource, shared by the API (`api-server`) and the
//! workers: each function of a route takes the route's [`authz::Permit`], loads, authorizes what
//! it loaded against the route's rule ([`authz`]), decides (a pure `innova_domain` call), stores
//! what belongs together in one transaction, and publishes. Nothing here knows HTTP; errors are
//! [`AppError`].
//!
//! ```ignore
//! let permit = auth::admit::<op::AttemptsCreate>(&rqctx).await?;  // the API: 401, 403 (role)
//! let recorded = innova_app::attempts::record(&app, &permit, attempt, &trace_id).await?;
//! ```
//!
//! Ids are typed ([`innova_domain::ids`]), from the path or body that names them to the query that
//! reads them: a use case called with two ids swapped does not compile.
//!
//! ```no_run
//! # async fn f(app: &innova_app::App, permit: &innova_app::authz::Permit<innova_app::authz::op::GuidesSubmission>) {
//! use innova_domain::ids::{GuideId, SubmissionId};
//! let (guide, submission) = (GuideId::new("g-1"), SubmissionId::new("s-1"));
//! let _ = innova_app::guides::submission(app, permit, &guide, &submission).await;
//! # }
//! ```
//!
//! ```compile_fail,E0308
//! # async fn f(app: &innova_app::App, permit: &innova_app::authz::Permit<innova_app::authz::op::GuidesSubmission>) {
//! use innova_domain::ids::{GuideId, SubmissionId};
//! let (guide, submission) = (GuideId::new("g-1"), SubmissionId::new("s-1"));
//! let _ = innova_app::guides::submission(app, permit, &submission, &guide).await;
//! # }
//! ```
//!
//! So does a permit of another operation (each use case takes its route's):
//!
//! ```compile_fail,E0308
//! # async fn f(app: &innova_app::App, permit: &innova_app::authz::Permit<innova_app::authz::op::GuidesGet>) {
//! use innova_domain::ids::{GuideId, SubmissionId};
//! let (guide, submission) = (GuideId::new("g-1"), SubmissionId::new("s-1"));
//! let _ = innova_app::guides::submission(app, permit, &guide, &submission).await;
//! # }
//! ```

pub mod admin_status;
pub mod alert_generator;
pub mod alerts;
pub mod attempts;
pub mod auth;
pub mod authz;
pub mod catalog;
mod digest;
pub mod error;
pub mod error_tags;
pub mod maintenance;
pub mod mastery;
pub mod outbox;
// --- Items, assignments, practice
pub mod assignments;
pub mod items;
pub mod practice;
// --- Classrooms, parents, skills
pub mod classrooms;
pub mod parents;
pub mod skills;
// --- Guides (teacher)
pub mod guides;
// --- Student guides
pub mod student_guides;
// --- Attempt reprocess
pub mod grading;
// --- LLM classifier
pub mod classify;
pub mod reenqueue;
// --- OCR / archive
pub mod ocr_uploads;
pub mod telemetry_archive;

use std::sync::Arc;

use innova_core::config::Config;
use innova_core::db::PgPool;
use innova_core::services::Services;

pub use error::{AppError, AppResult};

/// What every use case can reach: configuration, the database, the ports' adapters. Built once
/// per process (per cold start on Lambda) and cheap to clone.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub services: Services,
    /// The catalogue, cached ([`catalog`]).
    pub catalog: catalog::Catalog,
}

impl App {
    pub fn new(config: Arc<Config>, db: PgPool, services: Services) -> Self {
        App {
            config,
            db,
            services,
            catalog: catalog::Catalog::default(),
        }
    }
}
