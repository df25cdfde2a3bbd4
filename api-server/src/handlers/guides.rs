//! `/guides`: the teacher's side of the worksheet pipeline ([`innova_app::guides`], which loads
//! each guide and checks its course against the caller).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::guides;

use crate::api::types::guides::{
    CreateGuide, ErrorTagOverridden, Guide, GuideCreated, GuideDetail, GuideList, GuidePath,
    GuidePublished, GuideQuestion, GuideResults, GuideSolution, GuidesQuery, IngestAccepted,
    OverrideErrorTag, QuestionPath, RegenerateAccepted, SourceUrl, SubmissionDrawer,
    SubmissionPath, UpdateGuide, UpdateQuestion, UpdateSolution,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateGuide>,
) -> ApiCreated<GuideCreated> {
    let permit = auth::admit::<op::GuidesCreate>(&rqctx).await?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let created = guides::create(rqctx.context(), &permit, body.into(), &trace_id).await?;
    envelope::created(&rqctx, created)
}

pub async fn ingest(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiAccepted<IngestAccepted> {
    let permit = auth::admit::<op::GuidesIngest>(&rqctx).await?;
    let trace_id = envelope::trace_id(&rqctx);
    let id = path.into_inner().id;
    let status = guides::ingest(rqctx.context(), &permit, &id, &trace_id).await?;
    envelope::accepted(&rqctx, IngestAccepted { status })
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<GuidesQuery>,
) -> ApiOk<GuideList> {
    let permit = auth::admit::<op::GuidesList>(&rqctx).await?;
    let query = query.parse()?;
    let (rows, total) = guides::list(rqctx.context(), &permit, query.request()).await?;
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
    let permit = auth::admit::<op::GuidesGet>(&rqctx).await?;
    let id = path.into_inner().id;
    let (guide, questions) = guides::detail(rqctx.context(), &permit, &id).await?;
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
    let permit = auth::admit::<op::GuidesUpdate>(&rqctx).await?;
    let body = body.parse()?;
    let id = path.into_inner().id;
    let updated = guides::update(rqctx.context(), &permit, &id, body.into()).await?;
    envelope::ok(&rqctx, updated.into())
}

pub async fn update_question(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
    body: JsonBody<UpdateQuestion>,
) -> ApiOk<GuideQuestion> {
    let permit = auth::admit::<op::GuidesUpdateQuestion>(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let question =
        guides::update_question(rqctx.context(), &permit, &path.id, &path.qid, body.into()).await?;
    envelope::ok(&rqctx, question.into())
}

pub async fn update_solution(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
    body: JsonBody<UpdateSolution>,
) -> ApiOk<GuideSolution> {
    let permit = auth::admit::<op::GuidesUpdateSolution>(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let solution =
        guides::new_solution_version(rqctx.context(), &permit, &path.id, &path.qid, body.into())
            .await?;
    envelope::ok(&rqctx, solution.into())
}

pub async fn regenerate_solution(
    rqctx: RequestContext<ApiContext>,
    path: Path<QuestionPath>,
) -> ApiAccepted<RegenerateAccepted> {
    let permit = auth::admit::<op::GuidesRegenerateSolution>(&rqctx).await?;
    let path = path.into_inner();
    let trace_id = envelope::trace_id(&rqctx);
    guides::regenerate_solution(rqctx.context(), &permit, &path.id, &path.qid, &trace_id).await?;
    envelope::accepted(&rqctx, RegenerateAccepted { enqueued: true })
}

pub async fn publish(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiCreated<GuidePublished> {
    let permit = auth::admit::<op::GuidesPublish>(&rqctx).await?;
    let id = path.into_inner().id;
    let published = guides::publish(rqctx.context(), &permit, &id).await?;
    envelope::created(&rqctx, published.into())
}

pub async fn archive(rqctx: RequestContext<ApiContext>, path: Path<GuidePath>) -> ApiOk<Guide> {
    let permit = auth::admit::<op::GuidesArchive>(&rqctx).await?;
    let id = path.into_inner().id;
    let archived = guides::archive(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, archived.into())
}

pub async fn source_url(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiOk<SourceUrl> {
    let permit = auth::admit::<op::GuidesSourceUrl>(&rqctx).await?;
    let id = path.into_inner().id;
    let url = guides::source_url(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, SourceUrl { url })
}

pub async fn results(
    rqctx: RequestContext<ApiContext>,
    path: Path<GuidePath>,
) -> ApiOk<GuideResults> {
    let permit = auth::admit::<op::GuidesResults>(&rqctx).await?;
    let id = path.into_inner().id;
    let results = guides::results(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, results.into())
}

pub async fn submission(
    rqctx: RequestContext<ApiContext>,
    path: Path<SubmissionPath>,
) -> ApiOk<SubmissionDrawer> {
    let permit = auth::admit::<op::GuidesSubmission>(&rqctx).await?;
    let path = path.into_inner();
    let detail = guides::submission(rqctx.context(), &permit, &path.id, &path.sid).await?;
    envelope::ok(&rqctx, detail.into())
}

pub async fn submission_error_tag(
    rqctx: RequestContext<ApiContext>,
    path: Path<SubmissionPath>,
    body: JsonBody<OverrideErrorTag>,
) -> ApiOk<ErrorTagOverridden> {
    let permit = auth::admit::<op::GuidesSubmissionErrorTag>(&rqctx).await?;
    let body = body.parse()?;
    let path = path.into_inner();
    let submission = guides::override_error_tag(
        rqctx.context(),
        &permit,
        &path.id,
        &path.sid,
        body.error_tag_code.as_deref(),
    )
    .await?;
    envelope::ok(&rqctx, submission.into())
}
