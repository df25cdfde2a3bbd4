//! `/classrooms`: courses — create, a teacher's and a student's lists, one course, invitations,
//! joining by code, archiving ([`innova_app::classrooms`]).

use dropshot::{Path, RequestContext};
use innova_app::classrooms;

use crate::api::types::classrooms::{
    ClassroomPath, Course, CoursesQuery, CreateClassroom, CreateInvite, InviteCreated,
    JoinClassroom,
};
use crate::auth::{self, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

/// The denial of the course-teacher routes, as the reference worded it.
const NOT_YOURS: &str = "You do not own this course";

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateClassroom>,
) -> ApiCreated<Course> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let teacher_id = gate.role_only()?.teacher_id()?;
    let course = classrooms::create(rqctx.context(), teacher_id, body.into()).await?;
    envelope::created(&rqctx, course.into())
}

pub async fn mine(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<CoursesQuery>,
) -> ApiOk<Vec<Course>> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    let teacher_id = gate.role_only()?.teacher_id()?;
    let rows = classrooms::of_teacher(rqctx.context(), teacher_id, query.window()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn student_mine(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<CoursesQuery>,
) -> ApiOk<Vec<Course>> {
    let gate = auth::authorize(&rqctx).await?;
    let query = query.parse()?;
    let student_id = gate.role_only()?.student_id()?;
    let rows = classrooms::of_student(rqctx.context(), student_id, query.window()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Option<Course>> {
    let gate = auth::authorize(&rqctx).await?;
    let id = path.into_inner().id;
    gate.require(Target::course(&id)).await?;
    let course = classrooms::get(rqctx.context(), &id).await?;
    envelope::ok(&rqctx, course.map(Into::into))
}

pub async fn invite(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
    body: JsonBody<CreateInvite>,
) -> ApiCreated<InviteCreated> {
    let gate = auth::authorize(&rqctx).await?;
    let id = path.into_inner().id;
    let terms = body.parse_or_empty()?;
    let caller = gate.require_with(Target::course(&id), NOT_YOURS).await?;
    let invitation =
        classrooms::invite(rqctx.context(), &id, caller.teacher_id()?, terms.into()).await?;
    envelope::created(&rqctx, invitation.into())
}

pub async fn join(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<JoinClassroom>,
) -> ApiCreated<Course> {
    let gate = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    let student_id = gate.role_only()?.student_id()?;
    let course = classrooms::join(rqctx.context(), student_id, &body.code).await?;
    envelope::created(&rqctx, course.into())
}

pub async fn archive(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Course> {
    let gate = auth::authorize(&rqctx).await?;
    let id = path.into_inner().id;
    gate.require_with(Target::course(&id), NOT_YOURS).await?;
    let course = classrooms::archive(rqctx.context(), &id).await?;
    envelope::ok(&rqctx, course.into())
}
