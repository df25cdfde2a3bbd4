//! `/mastery`: a student's per-topic BKT state, a course's per-student view and heatmap, and the
//! next exercise for a student ([`innova_app::mastery`]).

use dropshot::{Path, RequestContext};
use innova_app::authz::op;
use innova_app::mastery;

use crate::api::types::mastery::{
    ClassroomPath, CoursePath, Heatmap, RecommendPath, Recommendation, StudentCourseMastery,
    StudentPath, TopicMastery,
};
use crate::auth;
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};

pub async fn of_student(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentPath>,
) -> ApiOk<Vec<TopicMastery>> {
    let permit = auth::admit::<op::MasteryStudent>(&rqctx).await?;
    let student_id = path.into_inner().student_id;
    let rows = mastery::of_student(rqctx.context(), &permit, &student_id).await?;
    envelope::ok(&rqctx, rows.into_iter().map(Into::into).collect())
}

pub async fn course(
    rqctx: RequestContext<ApiContext>,
    path: Path<CoursePath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let permit = auth::admit::<op::MasteryCourse>(&rqctx).await?;
    let course_id = path.into_inner().course_id;
    let students = mastery::course(rqctx.context(), &permit, &course_id).await?;
    envelope::ok(&rqctx, students.into_iter().map(Into::into).collect())
}

pub async fn classroom(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let permit = auth::admit::<op::MasteryClassroom>(&rqctx).await?;
    let course_id = path.into_inner().classroom_id;
    let students = mastery::classroom(rqctx.context(), &permit, &course_id).await?;
    envelope::ok(&rqctx, students.into_iter().map(Into::into).collect())
}

pub async fn heatmap(rqctx: RequestContext<ApiContext>, path: Path<CoursePath>) -> ApiOk<Heatmap> {
    let permit = auth::admit::<op::MasteryCourseHeatmap>(&rqctx).await?;
    let course_id = path.into_inner().course_id;
    let heatmap = mastery::heatmap(rqctx.context(), &permit, &course_id).await?;
    envelope::ok(&rqctx, Heatmap::new(course_id, heatmap))
}

pub async fn recommend(
    rqctx: RequestContext<ApiContext>,
    path: Path<RecommendPath>,
) -> ApiOk<Recommendation> {
    let permit = auth::admit::<op::MasteryRecommend>(&rqctx).await?;
    let RecommendPath {
        course_id,
        student_id,
    } = path.into_inner();
    let pick = mastery::recommend(rqctx.context(), &permit, &course_id, &student_id).await?;
    envelope::ok(&rqctx, pick.into())
}
