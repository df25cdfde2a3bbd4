//! `/parent`: a parent's confirmed children and a child's summary ([`innova_app::parents`]).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::parents;

use crate::api::types::parents::{Child, ChildPath, ChildSummary};
use crate::auth;
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};

pub async fn children(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<Child>> {
    let permit = auth::admit::<op::ParentChildren>(&rqctx).await?;
    let rows = parents::children(rqctx.context(), &permit).await?;
    envelope::ok(&rqctx, rows.into_iter().collect())
}

pub async fn child(
    rqctx: RequestContext<ApiContext>,
    path: Path<ChildPath>,
) -> ApiOk<ChildSummary> {
    let permit = auth::admit::<op::ParentChild>(&rqctx).await?;
    let student_id = path.into_inner().student_id;
    let summary = parents::child_summary(rqctx.context(), &permit, &student_id).await?;
    envelope::ok(&rqctx, summary.into())
}
