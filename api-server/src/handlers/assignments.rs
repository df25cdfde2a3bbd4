//! `/assignments`: a teacher's assignment, the recommended assignment, a student's list
//! ([`innova_app::assignments`]).

use dropshot::{Path, RequestContext};
use innova_app::assignments;

use crate::api::types::assignments::{
    AssignmentDetail, AssignmentStudentPath, CreateAssignment, RecommendAssignmentQuery,
    StudentAssignment,
};
use crate::auth::{self, Authorized, Caller, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::error::ApiError;
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAssignment>,
) -> ApiCreated<AssignmentDetail> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let caller = match body.course_id.as_deref() {
        // The course's teacher; the app checks that the targets are ACTIVE in it.
        Some(course) => gate.require(Target::course(course)).await?,
        None => require_each_student(&gate, body.students()).await?,
    };
    let teacher_id = caller.teacher_id()?.to_owned();
    let detail = assignments::create(rqctx.context(), &teacher_id, body.into()).await?;
    envelope::created(&rqctx, detail.into())
}

/// The caller when the route's grants hold for every student named (at least one, as the
/// body's rules require).
async fn require_each_student<'g>(
    gate: &'g Authorized,
    students: &[String],
) -> Result<&'g Caller, ApiError> {
    let mut caller = None;
    for student in students {
        caller = Some(gate.require(Target::student(student)).await?);
    }
    caller.ok_or_else(|| ApiError::internal("an assignment without course names a student"))
}

pub async fn recommend(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<RecommendAssignmentQuery>,
) -> ApiCreated<AssignmentDetail> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    let caller = gate.require(Target::student(&query.student_id)).await?;
    let detail = assignments::recommend(
        rqctx.context(),
        caller.teacher_id()?,
        &query.student_id,
        query.topic_id.as_deref(),
    )
    .await?;
    envelope::created(&rqctx, detail.into())
}

pub async fn of_student(
    rqctx: RequestContext<ApiContext>,
    path: Path<AssignmentStudentPath>,
) -> ApiOk<Vec<StudentAssignment>> {
    let gate = auth::authorize(&rqctx).await?;
    let student_id = path.into_inner().id;
    let caller = gate.require(Target::student(&student_id)).await?;
    let rows = assignments::of_student(rqctx.context(), &student_id, caller.bank_reader()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}
