//! `/items`: the exercise bank — writing an item, the list, one item, its IRT parameters, and
//! generation queued for the AI engine ([`innova_app::items`]).

use dropshot::{Path, RequestContext};
use innova_app::items::{self, Owner};

use crate::api::types::items::{
    CreateItem, Exercise, GenerateItems, GenerationQueued, ItemIrt, ItemPath, ItemView, ItemsQuery,
};
use crate::auth::{self, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiAccepted, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateItem>,
) -> ApiCreated<Exercise> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let caller = gate.role_only()?;
    let item = body.into_new_item(caller.profile.teacher_id());
    let created = items::create(rqctx.context(), item).await?;
    envelope::created(&rqctx, created.into())
}

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<ItemsQuery>,
) -> ApiOk<Vec<ItemView>> {
    let gate = auth::authorize(&rqctx).await?;
    let caller = gate.role_only()?;
    let query = query.parse()?;
    let rows = items::list(rqctx.context(), caller.bank_reader(), &query.filter()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(rqctx: RequestContext<ApiContext>, path: Path<ItemPath>) -> ApiOk<ItemView> {
    let gate = auth::authorize(&rqctx).await?;
    let (item, owner) = items::get(rqctx.context(), &path.into_inner().id).await?;
    let target = match &owner {
        Owner::Bank => Target::shared(),
        Owner::Guide(Some(course)) => Target::course(course),
        Owner::Guide(None) => Target::default(),
    };
    gate.require_with(target, items::EXERCISE_NOT_FOUND).await?;
    envelope::ok(&rqctx, item.into())
}

pub async fn irt(
    rqctx: RequestContext<ApiContext>,
    path: Path<ItemPath>,
) -> ApiOk<Option<ItemIrt>> {
    let gate = auth::authorize(&rqctx).await?;
    let caller = gate.role_only()?;
    let id = path.into_inner().id;
    let params = items::irt(rqctx.context(), &id, caller.bank_reader()).await?;
    envelope::ok(&rqctx, params.map(Into::into))
}

pub async fn generate(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<GenerateItems>,
) -> ApiAccepted<GenerationQueued> {
    auth::authorize(&rqctx).await?.role_only()?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let queued = items::generate(rqctx.context(), body.into(), &trace_id).await?;
    envelope::accepted(&rqctx, queued.into())
}
