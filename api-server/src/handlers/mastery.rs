//! `/mastery`: a student's per-topic BKT state, a course's per-student view and heatmap, and the
//! next exercise for a student ([`innova_app::mastery`]).

use dropshot::{Path, RequestContext};
use innova_app::mastery;

use crate::api::types::mastery::{
    ClassroomPath, CoursePath, Heatmap, RecommendPath, Recommendation, StudentCourseMastery,
    StudentPath, TopicMastery,
};
use crate::auth::{self, Target};
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};

pub async fn of_student(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentPath>,
) -> ApiOk<Vec<TopicMastery>> {
    let gate = auth::authorize(&rqctx).await?;
    let student_id = path.into_inner().student_id;
    gate.require(Target::student(&student_id)).await?;
    let rows = mastery::of_student(rqctx.context(), &student_id).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn course(
    rqctx: RequestContext<ApiContext>,
    path: Path<CoursePath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    course_view(rqctx, path.into_inner().course_id).await
}

pub async fn classroom(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    course_view(rqctx, path.into_inner().classroom_id).await
}

async fn course_view(
    rqctx: RequestContext<ApiContext>,
    course_id: String,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let gate = auth::authorize(&rqctx).await?;
    gate.require(Target::course(&course_id)).await?;
    let students = mastery::course(rqctx.context(), &course_id).await?;
    envelope::ok(&rqctx, students.into_iter().map(Into::into).collect())
}

pub async fn heatmap(rqctx: RequestContext<ApiContext>, path: Path<CoursePath>) -> ApiOk<Heatmap> {
    let gate = auth::authorize(&rqctx).await?;
    let course_id = path.into_inner().course_id;
    gate.require(Target::course(&course_id)).await?;
    let heatmap = mastery::heatmap(rqctx.context(), &course_id).await?;
    envelope::ok(&rqctx, Heatmap::new(course_id, heatmap))
}

pub async fn recommend(
    rqctx: RequestContext<ApiContext>,
    path: Path<RecommendPath>,
) -> ApiOk<Recommendation> {
    let gate = auth::authorize(&rqctx).await?;
    let RecommendPath {
        course_id,
        student_id,
    } = path.into_inner();
    gate.require(Target::student_in_course(&student_id, &course_id))
        .await?;
    let pick = mastery::recommend(rqctx.context(), &course_id, &student_id).await?;
    envelope::ok(&rqctx, pick.into())
}
