//! `/practice`: a single-student assignment and the next exercise for a student
//! ([`innova_app::practice`]).

use dropshot::RequestContext;
use innova_app::authz::op;
use innova_app::practice;

use crate::api::types::practice::{
    AssignPractice, PracticeAssigned, PracticeRecommendation, RecommendNextQuery,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn assign(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<AssignPractice>,
) -> ApiCreated<PracticeAssigned> {
    let permit = auth::admit::<op::PracticeAssign>(&rqctx).await?;
    let body = body.parse()?.into_inner();
    let due_at = body.due_at();
    let detail = practice::assign(
        rqctx.context(),
        &permit,
        &body.student_id,
        body.item_ids,
        due_at,
    )
    .await?;
    envelope::created(&rqctx, PracticeAssigned::new(body.student_id, detail))
}

pub async fn recommend_next(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<RecommendNextQuery>,
) -> ApiOk<PracticeRecommendation> {
    let permit = auth::admit::<op::PracticeRecommendNext>(&rqctx).await?;
    let query = query.parse()?;
    let pick = practice::recommend_next(
        rqctx.context(),
        &permit,
        &query.student_id,
        query.domain_id.as_deref(),
    )
    .await?;
    envelope::ok(&rqctx, pick.into())
}
