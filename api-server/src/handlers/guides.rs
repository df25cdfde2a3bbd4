//! `/guides`: the teacher's side of the worksheet pipeline ([`innova_app::guides`]).
//!
//! Routes with a guide id load the guide first (404 `Guide not found` for anyone, which tells
//! nothing the reference did not) and then require the caller to teach its course (403
//! `You do not teach this guide course`).

use dropshot::{Path, RequestContext};
use innova_app::guides::{self, GuideRow};

use crate::api::types::guides::{
    CreateGuide, ErrorTagOverridden, Guide, GuideCreated, GuideDetail, GuideList, GuidePath,
    GuidePublished, GuideQuestion, GuideResults, GuideSolution, GuidesQuery, IngestAccepted,
    OverrideErrorTag, QuestionPath, RegenerateAccepted, SourceUrl, SubmissionDrawer,
    SubmissionPath, UpdateGuide, UpdateQuestion, UpdateSolution,
};
use crate::auth::{self, Authorized, Caller, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::query::QueryParams;

/// The denial for a guide of a course the caller does not teach, as the reference worded it.
const NOT_YOURS: &str = "You do not teach this guide course";

/// The guide, if the caller teaches its course.
async fn owned<'g>(
    rqctx: &RequestContext<ApiContext>,
    gate: &'g Authorized,
    id: &str,
) -> Result<(GuideRow, &'g Caller), ApiError> {
    let guide = guides::find(rqctx.context(), id).await?;
    let caller = gate
        .require_with(Target::course(&guide.course_id), NOT_YOURS)
        .await?;
    Ok((guide, caller))
}

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateGuide>,
) -> ApiCreated<GuideCreated> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let caller = gate
        .require_with(
            Target::course(&body.course_id),
            "You do not teach this course",
        )
        .await?;
    let trace_id = envelope::trace_id(&rqctx);
    let created = guides::create(
        rqctx.context(),
        caller.teacher_id()?,
        body.into(),
        &trace_id,
    )
    .await?;
    envelope::created(&rqctx, created.into())
}

pub async fn ingest(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiAccepted<IngestAccepted> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let trace_id = envelope::trace_id(&rqctx);
    let status = guides::ingest(rqctx.context(), &guide.id, &trace_id).await?;
    envelope::accepted(&rqctx, IngestAccepted { status })
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<GuidesQuery>,
) -> ApiOk<GuideList> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    let caller = gate.role_only()?;
    let ctx = rqctx.context();
    if let Some(course) = &query.course_id {
        auth::access::require_course_teacher(&ctx.db, caller, course).await?;
    }
    let (rows, total) = guides::list(ctx, caller.teacher_id()?, query.request()).await?;
    envelope::ok(
        &rqctx,
        GuideList {
            items: rows.into_iter().map(Into::into).collect(),
            total,
            page: query.page(),
            page_size: query.page_size(),
        },
    )
}

pub async fn get(rqctx: RequestContext<ApiContext>, path: Path<GuidePath>) -> ApiOk<GuideDetail> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let (guide, questions) = guides::detail(rqctx.context(), guide).await?;
    envelope::ok(
        &rqctx,
        GuideDetail {
            guide: guide.into(),
            questions: questions.into_iter().map(Into::into).collect(),
        },
    )
}

pub async fn update(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
    body: JsonBody<UpdateGuide>,
) -> ApiOk<Guide> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let updated = guides::update(rqctx.context(), &guide.id, body.into()).await?;
    envelope::ok(&rqctx, updated.into())
}

pub async fn update_question(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
    body: JsonBody<UpdateQuestion>,
) -> ApiOk<GuideQuestion> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let (guide, _) = owned(&rqctx, &gate, &path.id).await?;
    let question =
        guides::update_question(rqctx.context(), &guide.id, &path.qid, body.into()).await?;
    envelope::ok(&rqctx, question.into())
}

pub async fn update_solution(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
    body: JsonBody<UpdateSolution>,
) -> ApiOk<GuideSolution> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let (guide, caller) = owned(&rqctx, &gate, &path.id).await?;
    let solution = guides::new_solution_version(
        rqctx.context(),
        &guide.id,
        &path.qid,
        caller.teacher_id()?,
        body.into(),
    )
    .await?;
    envelope::ok(&rqctx, solution.into())
}

pub async fn regenerate_solution(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
) -> ApiAccepted<RegenerateAccepted> {
    let gate = auth::authorize(&rqctx).await?;
    let path = path.into_inner();
    let (guide, _) = owned(&rqctx, &gate, &path.id).await?;
    let trace_id = envelope::trace_id(&rqctx);
    guides::regenerate_solution(rqctx.context(), &guide.id, &path.qid, &trace_id).await?;
    envelope::accepted(&rqctx, RegenerateAccepted { enqueued: true })
}

pub async fn publish(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiCreated<GuidePublished> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, caller) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let published = guides::publish(rqctx.context(), &guide.id, caller.teacher_id()?).await?;
    envelope::created(&rqctx, published.into())
}

pub async fn archive(rqctx: RequestContext<ApiContext>, path: Path<GuidePath>) -> ApiOk<Guide> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let archived = guides::archive(rqctx.context(), &guide.id).await?;
    envelope::ok(&rqctx, archived.into())
}

pub async fn source_url(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiOk<SourceUrl> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let url = guides::source_url(rqctx.context(), &guide).await?;
    envelope::ok(&rqctx, SourceUrl { url })
}

pub async fn results(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiOk<GuideResults> {
    let gate = auth::authorize(&rqctx).await?;
    let (guide, _) = owned(&rqctx, &gate, &path.into_inner().id).await?;
    let results = guides::results(rqctx.context(), guide).await?;
    envelope::ok(&rqctx, results.into())
}

pub async fn submission(
    rqctx: RequestContext<ApiContext>,
    path: Path<SubmissionPath>,
) -> ApiOk<SubmissionDrawer> {
    let gate = auth::authorize(&rqctx).await?;
    let path = path.into_inner();
    let (guide, _) = owned(&rqctx, &gate, &path.id).await?;
    let detail = guides::submission(rqctx.context(), &guide.id, &path.sid).await?;
    envelope::ok(&rqctx, detail.into())
}

pub async fn submission_error_tag(
    rqctx: RequestContext<ApiContext>,
    path: Path<SubmissionPath>,
    body: JsonBody<OverrideErrorTag>,
) -> ApiOk<ErrorTagOverridden> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let (guide, caller) = owned(&rqctx, &gate, &path.id).await?;
    let submission = guides::override_error_tag(
        rqctx.context(),
        &guide.id,
        &path.sid,
        caller.teacher_id()?,
        body.error_tag_code.as_deref(),
    )
    .await?;
    envelope::ok(&rqctx, submission.into())
}
