//! `/student`: published guides of the caller's courses, the quiz, photo submissions, results
//! and page scans ([`innova_app::student_guides`], which loads each guide — 404 unless
//! PUBLISHED — and requires an ACTIVE enrollment in its course, and loads each submission and
//! requires it to be the caller's — 404 otherwise: existence must not leak).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::student_guides;

use crate::api::types::student_guides::{
    CreateSubmission, ScanPage, ScanPageResult, ScanPageUpload, StudentGuidePath,
    StudentGuideResults, StudentGuideSummary, StudentQuestionPath, StudentQuiz,
    StudentSubmissionPath, StudentSubmissionStatus, SubmissionCompleted, SubmissionStarted,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};

pub async fn list(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<StudentGuideSummary>> {
    let permit = auth::admit::<op::StudentGuidesList>(&rqctx).await?;
    let guides = student_guides::list(rqctx.context(), &permit).await?;
    envelope::ok(&rqctx, guides.into_iter().map(Into::into).collect())
}

pub async fn get(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<StudentQuiz> {
    let permit = auth::admit::<op::StudentGuidesGet>(&rqctx).await?;
    let id = path.into_inner().id;
    let (guide, questions) = student_guides::quiz(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, StudentQuiz::new(&guide, questions))
}

pub async fn create_submission(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentQuestionPath>,
    body: JsonBody<CreateSubmission>,
) -> ApiCreated<SubmissionStarted> {
    let permit = auth::admit::<op::StudentSubmissionsCreate>(&rqctx).await?;
    let path = path.into_inner();
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let started = student_guides::start(
        rqctx.context(),
        &permit,
        &path.id,
        &path.qid,
        body.photos(),
        &trace_id,
    )
    .await?;
    envelope::created(&rqctx, started)
}

pub async fn complete(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentSubmissionPath>,
) -> ApiAccepted<SubmissionCompleted> {
    let permit = auth::admit::<op::StudentSubmissionsComplete>(&rqctx).await?;
    let id = path.into_inner().id;
    let trace_id = envelope::trace_id(&rqctx);
    let status = student_guides::complete(rqctx.context(), &permit, &id, &trace_id).await?;
    envelope::accepted(&rqctx, SubmissionCompleted { status })
}

pub async fn status(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentSubmissionPath>,
) -> ApiOk<StudentSubmissionStatus> {
    let permit = auth::admit::<op::StudentSubmissionsStatus>(&rqctx).await?;
    let id = path.into_inner().id;
    let submission = student_guides::submission_status(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, submission.into())
}

pub async fn results(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<StudentGuideResults> {
    let permit = auth::admit::<op::StudentGuidesResults>(&rqctx).await?;
    let id = path.into_inner().id;
    let (guide, results) = student_guides::results(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, StudentGuideResults::new(&guide, results))
}

pub async fn scan_page_url(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<ScanPageUpload> {
    let permit = auth::admit::<op::StudentGuidesScanPageUrl>(&rqctx).await?;
    let id = path.into_inner().id;
    let upload = student_guides::scan_page_url(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, upload)
}

pub async fn scan_page(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
    body: JsonBody<ScanPage>,
) -> ApiOk<ScanPageResult> {
    let permit = auth::admit::<op::StudentGuidesScanPage>(&rqctx).await?;
    let id = path.into_inner().id;
    let key = body.parse()?.into_inner().photo_key;
    let trace_id = envelope::trace_id(&rqctx);
    let entries = student_guides::scan_page(rqctx.context(), &permit, &id, &key, &trace_id).await?;
    envelope::ok(&rqctx, ScanPageResult::new(key, entries))
}
