//! `/classrooms`: courses — create, a teacher's and a student's lists, one course, invitations,
//! joining by code, archiving ([`innova_app::classrooms`]).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::classrooms;

use crate::api::types::classrooms::{
    ClassroomPath, Course, CoursesQuery, CreateClassroom, CreateInvite, InviteCreated,
    JoinClassroom,
};
use crate::auth;
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::query::QueryParams;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateClassroom>,
) -> ApiCreated<Course> {
    let permit = auth::admit::<op::ClassroomsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let course = classrooms::create(rqctx.context(), &permit, body.into()).await?;
    envelope::created(&rqctx, course.into())
}

pub async fn mine(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<CoursesQuery>,
) -> ApiOk<Vec<Course>> {
    let permit = auth::admit::<op::ClassroomsMine>(&rqctx).await?;
    let query = query.parse()?;
    let rows = classrooms::of_teacher(rqctx.context(), &permit, query.window()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn student_mine(
    rqctx: RequestContext<ApiContext>,
    query: QueryParams<CoursesQuery>,
) -> ApiOk<Vec<Course>> {
    let permit = auth::admit::<op::ClassroomsStudentMine>(&rqctx).await?;
    let query = query.parse()?;
    let rows = classrooms::of_student(rqctx.context(), &permit, query.window()).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn get(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Option<Course>> {
    let permit = auth::admit::<op::ClassroomsGet>(&rqctx).await?;
    let id = path.into_inner().id;
    let course = classrooms::get(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, course.map(Into::into))
}

pub async fn invite(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
    body: JsonBody<CreateInvite>,
) -> ApiCreated<InviteCreated> {
    let permit = auth::admit::<op::ClassroomsInvite>(&rqctx).await?;
    let id = path.into_inner().id;
    let terms = body.parse_or_empty()?;
    let invitation = classrooms::invite(rqctx.context(), &permit, &id, terms.into()).await?;
    envelope::created(&rqctx, invitation.into())
}

pub async fn join(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<JoinClassroom>,
) -> ApiCreated<Course> {
    let permit = auth::admit::<op::ClassroomsJoin>(&rqctx).await?;
    let body = body.parse()?;
    let course = classrooms::join(rqctx.context(), &permit, &body.code).await?;
    envelope::created(&rqctx, course.into())
}

pub async fn archive(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Course> {
    let permit = auth::admit::<op::ClassroomsArchive>(&rqctx).await?;
    let id = path.into_inner().id;
    let course = classrooms::archive(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, course.into())
}
