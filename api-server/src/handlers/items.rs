//! `/items`: the exercise bank — writing an item, the list, one item, its IRT parameters, and
//! generation queued for the AI engine ([`innova_app::items`]).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::items;

use crate::api::types::items::{
    CreateItem, Exercise, GenerateItems, GenerationQueued, ItemIrt, ItemPath, ItemView, ItemsQuery,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateItem>,
) -> ApiCreated<Exercise> {
    let permit = auth::admit::<op::ItemsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let created = items::create(rqctx.context(), &permit, body.into()).await?;
    envelope::created(&rqctx, created.into())
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<ItemsQuery>,
) -> ApiOk<Vec<ItemView>> {
    let permit = auth::admit::<op::ItemsList>(&rqctx).await?;
    let query = query.parse()?;
    let rows = items::list(rqctx.context(), &permit, &query.filter()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(rqctx: RequestContext<ApiContext>, path: Path<ItemPath>) -> ApiOk<ItemView> {
    let permit = auth::admit::<op::ItemsGet>(&rqctx).await?;
    let item = items::get(rqctx.context(), &permit, &path.into_inner().id).await?;
    envelope::ok(&rqctx, item.into())
}

pub async fn irt(
    rqctx: RequestContext<ApiContext>,
    path: Path<ItemPath>,
) -> ApiOk<Option<ItemIrt>> {
    let permit = auth::admit::<op::ItemsIrt>(&rqctx).await?;
    let id = path.into_inner().id;
    let params = items::irt(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, params)
}

pub async fn generate(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<GenerateItems>,
) -> ApiAccepted<GenerationQueued> {
    let permit = auth::admit::<op::ItemsGenerate>(&rqctx).await?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let queued = items::generate(rqctx.context(), &permit, body.into(), &trace_id).await?;
    envelope::accepted(&rqctx, queued)
}
