//! `/skills`: topics (create, list, one, change, delete, prerequisites), the error taxonomy
//! tree and the ACTIVE error-catalogue search ([`innova_app::skills`]).

use dropshot::{HttpResponseDeleted, Path, RequestContext};
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
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    gate.role_only()?;
    let topic = skills::create(rqctx.context(), body.into()).await?;
    envelope::created(&rqctx, topic.into())
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<SkillsQuery>,
) -> ApiOk<Vec<Topic>> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    gate.role_only()?;
    let (limit, offset) = query.window();
    let rows = skills::list(rqctx.context(), limit, offset).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn taxonomy(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<TaxonomyDomain>> {
    auth::authorize(&rqctx).await?.role_only()?;
    let tree = skills::taxonomy(rqctx.context()).await?;
    envelope::ok(&rqctx, tree.into_iter().map(Into::into).collect())
}

pub async fn error_tags(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<ErrorTagSearchQuery>,
) -> ApiOk<Vec<ErrorTagHit>> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    gate.role_only()?;
    let rows = skills::search_error_tags(rqctx.context(), &query.into()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(rqctx: RequestContext<ApiContext>, path: Path<SkillPath>) -> ApiOk<Option<Topic>> {
    auth::authorize(&rqctx).await?.role_only()?;
    let topic = skills::get(rqctx.context(), &path.into_inner().id).await?;
    envelope::ok(&rqctx, topic.map(Into::into))
}

pub async fn update(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
    body: JsonBody<UpdateSkill>,
) -> ApiOk<Topic> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    gate.role_only()?;
    let topic = skills::update(rqctx.context(), &path.into_inner().id, body.into()).await?;
    envelope::ok(&rqctx, topic.into())
}

pub async fn delete(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    auth::authorize(&rqctx).await?.role_only()?;
    skills::delete(rqctx.context(), &path.into_inner().id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn prerequisites(
    rqctx: RequestContext<ApiContext>,
    path: Path<SkillPath>,
) -> ApiOk<Prerequisites> {
    auth::authorize(&rqctx).await?.role_only()?;
    let id = path.into_inner().id;
    let prerequisites = skills::prerequisites(rqctx.context(), &id).await?;
    envelope::ok(
        &rqctx,
        Prerequisites {
            skill_id: id,
            prerequisites,
        },
    )
}
