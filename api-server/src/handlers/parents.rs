//! `/parent`: a parent's confirmed children and a child's summary ([`innova_app::parents`]).

use dropshot::{Path, RequestContext};
use innova_app::parents;

use crate::api::types::parents::{Child, ChildPath, ChildSummary};
use crate::auth::{self, Target};
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};

pub async fn children(rqctx: RequestContext<ApiContext>) -> ApiOk<Vec<Child>> {
    let gate = auth::authorize(&rqctx).await?;
    let parent_id = gate.role_only()?.parent_id()?;
    let rows = parents::children(rqctx.context(), parent_id).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn child(
    rqctx: RequestContext<ApiContext>,
    path: Path<ChildPath>,
) -> ApiOk<ChildSummary> {
    let gate = auth::authorize(&rqctx).await?;
    let student_id = path.into_inner().student_id;
    let not_linked = "This child is not linked to your account";
    gate.require_with(Target::student(&student_id), not_linked)
        .await?;
    let summary = parents::child_summary(rqctx.context(), &student_id).await?;
    envelope::ok(&rqctx, summary.into())
}
