//! `/skills`: topics (create, list, one, change, delete, prerequisites), the error taxonomy
//! tree and the ACTIVE error-catalogue search ([`innova_app::skills`]).

use dropshot::{HttpResponseDeleted, Path, RequestContext};
use innova_app::authz::op;
use innova_app::skills;

use crate::api::types::skills::{
    CreateSkill, ErrorTagHit, ErrorTagSearchQuery, Prerequisites, SkillPath, SkillsQuery,
    TaxonomyDomain, Topic, UpdateSkill,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateSkill>,
) -> ApiCreated<Topic> {
    let permit = auth::admit::<op::SkillsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let topic = skills::create(rqctx.context(), &permit, body.into()).await?;
    envelope::created(&rqctx, topic.into())
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<SkillsQuery>,
) -> ApiOk<Vec<Topic>> {
    let permit = auth::admit::<op::SkillsList>(&rqctx).await?;
    let query = query.parse()?;
    let (limit, offset) = query.window();
    let rows = skills::list(rqctx.context(), &permit, limit, offset).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn taxonomy(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<TaxonomyDomain>> {
    let permit = auth::admit::<op::SkillsTaxonomy>(&rqctx).await?;
    let tree = skills::taxonomy(rqctx.context(), &permit).await?;
    envelope::ok(&rqctx, tree.into_iter().map(Into::into).collect())
}

pub async fn error_tags(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<ErrorTagSearchQuery>,
) -> ApiOk<Vec<ErrorTagHit>> {
    let permit = auth::admit::<op::SkillsErrorTags>(&rqctx).await?;
    let query = query.parse()?;
    let rows = skills::search_error_tags(rqctx.context(), &permit, &query.into()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(rqctx: RequestContext<ApiContext>, path: Path<SkillPath>) -> ApiOk<Option<Topic>> {
    let permit = auth::admit::<op::SkillsGet>(&rqctx).await?;
    let topic = skills::get(rqctx.context(), &permit, &path.into_inner().id).await?;
    envelope::ok(&rqctx, topic.map(Into::into))
}

pub async fn update(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
    body: JsonBody<UpdateSkill>,
) -> ApiOk<Topic> {
    let permit = auth::admit::<op::SkillsUpdate>(&rqctx).await?;
    let body = body.parse()?;
    let id = path.into_inner().id;
    let topic = skills::update(rqctx.context(), &permit, &id, body.into()).await?;
    envelope::ok(&rqctx, topic.into())
}

pub async fn delete(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let permit = auth::admit::<op::SkillsDelete>(&rqctx).await?;
    skills::delete(rqctx.context(), &permit, &path.into_inner().id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn prerequisites(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
) -> ApiOk<Prerequisites> {
    let permit = auth::admit::<op::SkillsPrerequisites>(&rqctx).await?;
    let id = path.into_inner().id;
    let prerequisites = skills::prerequisites(rqctx.context(), &permit, &id).await?;
    envelope::ok(
        &rqctx,
        Prerequisites {
            skill_id: id,
            prerequisites,
        },
    )
}
