//! `/alerts`: a course's unresolved teacher alerts, raising one, resolving one
//! ([`innova_app::alerts`]).

use dropshot::{Path, RequestContext};
use innova_app::alerts;

use crate::api::types::alerts::{AlertPath, AlertView, AlertsQuery, CreateAlert};
use crate::auth::{self, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<AlertsQuery>,
) -> ApiOk<Vec<AlertView>> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    gate.require(Target::course(query.course())).await?;
    let rows = alerts::unresolved(rqctx.context(), query.course()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAlert>,
) -> ApiCreated<AlertView> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let caller = gate.require(Target::course(&body.course_id)).await?;
    let alert = body.into_new_alert(caller.teacher_id()?)?;
    let created = alerts::create(rqctx.context(), alert).await?;
    envelope::created(&rqctx, created.into())
}

pub async fn resolve(rqctx: RequestContext<ApiContext>, path: Path<AlertPath>) -> ApiOk<AlertView> {
    let gate = auth::authorize(&rqctx).await?;
    let id = path.into_inner().id;
    let alert = alerts::find(rqctx.context(), &id).await?;
    let denied = alerts::not_found(&id).to_string();
    let caller = gate
        .require_with(Target::teacher(&alert.teacher_id), &denied)
        .await?;
    let resolved = alerts::resolve(rqctx.context(), &id, &caller.user_id).await?;
    envelope::ok(&rqctx, resolved.into())
}
