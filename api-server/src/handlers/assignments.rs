//! `/assignments`: a teacher's assignment, the recommended assignment, a student's list
//! ([`innova_app::assignments`]).

use dropshot::{Path, RequestContext};
use innova_app::assignments;
use innova_app::authz::op;

use crate::api::types::assignments::{
    AssignmentDetail, AssignmentStudentPath, CreateAssignment, RecommendAssignmentQuery,
    StudentAssignment,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAssignment>,
) -> ApiCreated<AssignmentDetail> {
    let permit = auth::admit::<op::AssignmentsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let detail = assignments::create(rqctx.context(), &permit, body.into()).await?;
    envelope::created(&rqctx, detail.into())
}

pub async fn recommend(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<RecommendAssignmentQuery>,
) -> ApiCreated<AssignmentDetail> {
    let permit = auth::admit::<op::AssignmentsRecommend>(&rqctx).await?;
    let query = query.parse()?;
    let detail = assignments::recommend(
        rqctx.context(),
        &permit,
        &query.student_id,
        query.topic_id.as_ref(),
    )
    .await?;
    envelope::created(&rqctx, detail.into())
}

pub async fn of_student(
    rqctx: RequestContext<ApiContext>,
    path: Path<AssignmentStudentPath>,
) -> ApiOk<Vec<StudentAssignment>> {
    let permit = auth::admit::<op::AssignmentsStudent>(&rqctx).await?;
    let student_id = path.into_inner().id;
    let rows = assignments::of_student(rqctx.context(), &permit, &student_id).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}
