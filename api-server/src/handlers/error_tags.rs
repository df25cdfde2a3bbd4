//! `/admin/error-tags`: the admin error catalogue, browsed and re-statused
//! ([`innova_app::error_tags`]).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::error_tags;

use crate::api::types::error_tags::{
    ErrorTagAdminView, ErrorTagPage, ErrorTagPath, ErrorTagsQuery, UpdateErrorTagStatus,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};
use crate::query::QueryParams;

pub async fn list(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<ErrorTagsQuery>,
) -> ApiOk<ErrorTagPage> {
    let permit = auth::admit::<op::AdminErrorTagsList>(&rqctx).await?;
    let query = query.parse()?;
    let filter = query.filter();
    let page = error_tags::browse(
        rqctx.context(),
        &permit,
        &filter,
        query.cursor.as_deref(),
        query.limit(),
    )
    .await?;
    envelope::ok(&rqctx, page.into())
}

pub async fn set_status(
    rqctx: RequestContext<ApiContext>,
    path: Path<ErrorTagPath>,
    body: JsonBody<UpdateErrorTagStatus>,
) -> ApiOk<ErrorTagAdminView> {
    let permit = auth::admit::<op::AdminErrorTagsSetStatus>(&rqctx).await?;
    let body = body.parse()?;
    let code = path.into_inner().code;
    let tag = error_tags::set_status(rqctx.context(), &permit, &code, body.status).await?;
    envelope::ok(&rqctx, tag)
}
