//! `/student`: published guides of the caller's courses, the quiz, photo submissions, results
//! and page scans ([`innova_app::student_guides`]).
//!
//! Guide routes load the guide first (404 `Guide not found` unless PUBLISHED), then require an
//! ACTIVE enrollment in its course (403). Submission routes load the submission and require it
//! to be the caller's (404 `Submission not found` otherwise: existence must not leak).

use dropshot::{Path, RequestContext};
use innova_app::student_guides::{self, PublishedGuide, SubmissionRow};

use crate::api::types::student_guides::{
    CreateSubmission, ScanPage, ScanPageResult, ScanPageUpload, StudentGuidePath,
    StudentGuideResults, StudentGuideSummary, StudentQuestionPath, StudentQuiz,
    StudentSubmissionPath, StudentSubmissionStatus, SubmissionCompleted, SubmissionStarted,
};
use crate::auth::{self, Authorized, Caller, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;

/// The 403 of a student outside the guide's course.
const NOT_ENROLLED: &str = "You are not enrolled in this guide course";

pub async fn list(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<StudentGuideSummary>> {
    let gate = auth::authorize(&rqctx).await?;
    let student = gate.role_only()?.student_id()?;
    let guides = student_guides::list(rqctx.context(), student).await?;
    envelope::ok(&rqctx, guides.into_iter().map(Into::into).collect())
}

pub async fn get(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<StudentQuiz> {
    let gate = auth::authorize(&rqctx).await?;
    let (caller, guide) = enrolled_guide(&rqctx, &gate, &path.into_inner().id).await?;
    let questions = student_guides::quiz(rqctx.context(), &guide, caller.student_id()?).await?;
    envelope::ok(&rqctx, StudentQuiz::new(&guide, questions))
}

pub async fn create_submission(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentQuestionPath>,
    body: JsonBody<CreateSubmission>,
) -> ApiCreated<SubmissionStarted> {
    let gate = auth::authorize(&rqctx).await?;
    let path = path.into_inner();
    let (caller, guide) = enrolled_guide(&rqctx, &gate, &path.id).await?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let (student, photos) = (caller.student_id()?, body.photos());
    let started = student_guides::start(
        rqctx.context(),
        &guide,
        &path.qid,
        student,
        photos,
        &trace_id,
    )
    .await?;
    envelope::created(&rqctx, started.into())
}

pub async fn complete(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentSubmissionPath>,
) -> ApiAccepted<SubmissionCompleted> {
    let gate = auth::authorize(&rqctx).await?;
    let submission = own_submission(&rqctx, &gate, &path.into_inner().id).await?;
    let trace_id = envelope::trace_id(&rqctx);
    let status = student_guides::complete(rqctx.context(), &submission, &trace_id).await?;
    envelope::accepted(&rqctx, SubmissionCompleted { status })
}

pub async fn status(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentSubmissionPath>,
) -> ApiOk<StudentSubmissionStatus> {
    let gate = auth::authorize(&rqctx).await?;
    let submission = own_submission(&rqctx, &gate, &path.into_inner().id).await?;
    envelope::ok(&rqctx, submission.into())
}

pub async fn results(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<StudentGuideResults> {
    let gate = auth::authorize(&rqctx).await?;
    let (caller, guide) = enrolled_guide(&rqctx, &gate, &path.into_inner().id).await?;
    let results = student_guides::results(rqctx.context(), &guide, caller.student_id()?).await?;
    envelope::ok(&rqctx, StudentGuideResults::new(&guide, results))
}

pub async fn scan_page_url(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
) -> ApiOk<ScanPageUpload> {
    let gate = auth::authorize(&rqctx).await?;
    let (caller, guide) = enrolled_guide(&rqctx, &gate, &path.into_inner().id).await?;
    let upload =
        student_guides::scan_page_url(rqctx.context(), &guide, caller.student_id()?).await?;
    envelope::ok(&rqctx, upload.into())
}

pub async fn scan_page(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentGuidePath>,
    body: JsonBody<ScanPage>,
) -> ApiOk<ScanPageResult> {
    let gate = auth::authorize(&rqctx).await?;
    let (caller, guide) = enrolled_guide(&rqctx, &gate, &path.into_inner().id).await?;
    let key = body.parse()?.photo_key;
    let trace_id = envelope::trace_id(&rqctx);
    let student = caller.student_id()?;
    let entries =
        student_guides::scan_page(rqctx.context(), &guide, student, &key, &trace_id).await?;
    envelope::ok(&rqctx, ScanPageResult::new(key, entries))
}

/// A PUBLISHED guide of a course the caller has an ACTIVE enrollment in.
async fn enrolled_guide<'g>(
    rqctx: &RequestContext<ApiContext>,
    gate: &'g Authorized,
    id: &str,
) -> Result<(&'g Caller, PublishedGuide), ApiError> {
    let guide = student_guides::published_guide(rqctx.context(), id).await?;
    let caller = gate
        .require_with(Target::course(&guide.course_id), NOT_ENROLLED)
        .await?;
    Ok((caller, guide))
}

/// One of the caller's own submissions: someone else's is the same 404 as a missing one.
async fn own_submission(
    rqctx: &RequestContext<ApiContext>,
    gate: &Authorized,
    id: &str,
) -> Result<SubmissionRow, ApiError> {
    let submission = student_guides::find_submission(rqctx.context(), id).await?;
    let denied = student_guides::submission_not_found().to_string();
    gate.require_with(Target::student(&submission.student_id), &denied)
        .await?;
    Ok(submission)
}
