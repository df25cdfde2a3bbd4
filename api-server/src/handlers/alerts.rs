//! `/alerts`: a course's unresolved teacher alerts, raising one, resolving one
//! ([`innova_app::alerts`]).

use dropshot::{Path, RequestContext};
use innova_app::alerts;
use innova_app::authz::op;

use crate::api::types::alerts::{AlertPath, AlertView, AlertsQuery, CreateAlert};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<AlertsQuery>,
) -> ApiOk<Vec<AlertView>> {
    let permit = auth::admit::<op::AlertsList>(&rqctx).await?;
    let query = query.parse()?;
    let rows = alerts::unresolved(rqctx.context(), &permit, query.course()?).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAlert>,
) -> ApiCreated<AlertView> {
    let permit = auth::admit::<op::AlertsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let created = alerts::create(rqctx.context(), &permit, body.into()).await?;
    envelope::created(&rqctx, created.into())
}

pub async fn resolve(rqctx: RequestContext<ApiContext>, path: Path<AlertPath>) -> ApiOk<AlertView> {
    let permit = auth::admit::<op::AlertsResolve>(&rqctx).await?;
    let id = path.into_inner().id;
    let resolved = alerts::resolve(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, resolved.into())
}
