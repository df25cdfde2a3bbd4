//! `/mastery`: a student's per-topic BKT state, a course's per-student view and heatmap, and the
//! next exercise for a student (IRT, weakest topic first).

use std::collections::HashMap;

use dropshot::{Path, RequestContext};
use innova_core::db::mastery::{self, CourseAttempt, CourseStudent, SubdomainWithDomain};
use innova_domain::course_mastery::{
    self as views, AttemptFact, COURSE_VIEW_ATTEMPTS, COURSE_VIEW_LISTED_ATTEMPTS,
    HEATMAP_ATTEMPTS, MasteryFact, Subdomain, SubdomainMastery,
};
use innova_domain::irt;
use innova_domain::js;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Target};
use crate::context::ApiContext;
use crate::envelope::{self, ApiOk};
use crate::error::ApiError;

// ---- GET /mastery/{studentId} ------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentPath {
    pub student_id: String,
}

/// A student's mastery of one topic.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicMastery {
    pub student_id: String,
    pub topic_code: String,
    pub topic_name: String,
    /// P(known), 0..1.
    pub p_known: f64,
}

pub async fn of_student(
    rqctx: RequestContext<ApiContext>,
    path: Path<StudentPath>,
) -> ApiOk<Vec<TopicMastery>> {
    let auth = auth::authorize(&rqctx).await?;
    let student_id = path.into_inner().student_id;
    auth.require(Target::student(&student_id)).await?;
    let rows = mastery::of_student(&rqctx.context().db, &student_id).await?;
    let data = rows
        .into_iter()
        .map(|r| TopicMastery {
            student_id: r.student_id,
            topic_code: r.topic_code,
            topic_name: r.topic_name,
            p_known: r.p_known,
        })
        .collect();
    envelope::ok(&rqctx, data)
}

// ---- GET /mastery/course/{courseId} (and /mastery/classroom/{classroomId}) ----------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoursePath {
    pub course_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassroomPath {
    /// The course id.
    pub classroom_id: String,
}

/// A student's mastery of a taxonomy subdomain.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubdomainView {
    /// The subdomain's code.
    pub topic_code: String,
    /// The subdomain's name.
    pub topic_name: String,
    pub p_known: f64,
    pub attempts_count: usize,
}

/// One of the student's recent attempts in the course.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecentAttempt {
    pub id: String,
    /// The exercise's prompt, or `""`.
    pub exercise_prompt: String,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub classifier_source: String,
    pub confidence: Option<f64>,
    /// ISO-8601 UTC.
    pub created_at: String,
}

/// An error tag's share of the student's tagged wrong answers.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorShare {
    pub error_tag_code: String,
    pub error_tag_name: Option<String>,
    pub count: usize,
    /// 0..1.
    pub percentage: f64,
}

/// A student of the course.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentCourseMastery {
    pub student_id: String,
    pub display_name: String,
    pub topics: Vec<SubdomainView>,
    pub attempts: Vec<RecentAttempt>,
    pub error_frequency: Vec<ErrorShare>,
}

pub async fn course(
    rqctx: RequestContext<ApiContext>,
    path: Path<CoursePath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let course_id = path.into_inner().course_id;
    course_view(rqctx, course_id).await
}

pub async fn classroom(
    rqctx: RequestContext<ApiContext>,
    path: Path<ClassroomPath>,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let course_id = path.into_inner().classroom_id;
    course_view(rqctx, course_id).await
}

async fn course_view(
    rqctx: RequestContext<ApiContext>,
    course_id: String,
) -> ApiOk<Vec<StudentCourseMastery>> {
    let auth = auth::authorize(&rqctx).await?;
    auth.require(Target::course(&course_id)).await?;
    let data = CourseData::load(&rqctx, &course_id, COURSE_VIEW_ATTEMPTS).await?;
    let subdomains = data.subdomains();
    let views = data
        .students
        .iter()
        .map(|student| {
            let attempts = data.attempts_of(&student.student_id);
            let facts: Vec<AttemptFact> = attempts.iter().map(|a| fact(a)).collect();
            let topics = views::subdomain_mastery(
                &subdomains,
                &facts,
                &data.mastery_of(&student.student_id),
            )
            .into_iter()
            .map(|m| SubdomainView {
                topic_code: subdomains[m.subdomain].code.to_string(),
                topic_name: subdomains[m.subdomain].name.to_string(),
                p_known: m.p_known,
                attempts_count: m.attempts_count,
            })
            .collect();
            let error_frequency = views::error_frequency(&facts)
                .into_iter()
                .map(|f| ErrorShare {
                    error_tag_code: f.error_tag_code,
                    error_tag_name: f.error_tag_name,
                    count: f.count,
                    percentage: f.percentage,
                })
                .collect();
            let attempts = attempts
                .iter()
                .take(COURSE_VIEW_LISTED_ATTEMPTS)
                .map(|a| RecentAttempt {
                    id: a.id.clone(),
                    exercise_prompt: prompt_text(a.exercise_prompt.as_ref()),
                    is_correct: a.is_correct,
                    error_tag_code: a.error_tag_code.clone(),
                    error_tag_name: a.error_tag_name.clone().filter(|n| !n.is_empty()),
                    classifier_source: a.classifier_source.clone(),
                    confidence: a.confidence,
                    created_at: iso(a.created_at),
                })
                .collect();
            StudentCourseMastery {
                student_id: student.student_id.clone(),
                display_name: display_name(student),
                topics,
                attempts,
                error_frequency,
            }
        })
        .collect();
    envelope::ok(&rqctx, views)
}

// ---- GET /mastery/course/{courseId}/heatmap ---------------------------------------------------

/// A heatmap column: a domain of the taxonomy.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeatmapUnit {
    /// The domain's id.
    pub id: String,
    pub code: String,
    pub name: String,
    /// 1..n in code order.
    pub sequence: usize,
}

/// A student's mean mastery over the subdomains of one domain.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeatmapCell {
    /// The domain's id.
    pub unit_id: String,
    pub p_known: f64,
    /// Subdomains averaged.
    pub topic_count: usize,
}

/// A student's mastery of one subdomain.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeatmapTopic {
    /// The subdomain's id.
    pub topic_id: String,
    /// The domain's id.
    pub unit_id: String,
    pub topic_code: String,
    pub topic_name: String,
    pub p_known: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeatmapStudent {
    pub student_id: String,
    pub display_name: String,
    pub units: Vec<HeatmapCell>,
    pub topics: Vec<HeatmapTopic>,
}

/// Students × domains.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heatmap {
    pub course_id: String,
    pub units: Vec<HeatmapUnit>,
    pub students: Vec<HeatmapStudent>,
}

pub async fn heatmap(rqctx: RequestContext<ApiContext>, path: Path<CoursePath>) -> ApiOk<Heatmap> {
    let auth = auth::authorize(&rqctx).await?;
    let course_id = path.into_inner().course_id;
    auth.require(Target::course(&course_id)).await?;
    let data = CourseData::load(&rqctx, &course_id, HEATMAP_ATTEMPTS).await?;
    let subdomains = data.subdomains();
    let per_student: Vec<Vec<SubdomainMastery>> = data
        .students
        .iter()
        .map(|s| {
            let facts: Vec<AttemptFact> = data
                .attempts_of(&s.student_id)
                .iter()
                .map(|a| fact(a))
                .collect();
            views::subdomain_mastery(&subdomains, &facts, &data.mastery_of(&s.student_id))
        })
        .collect();
    let (units, rows) = views::heatmap(&subdomains, &per_student);
    let students = data
        .students
        .iter()
        .zip(rows)
        .map(|(s, row)| HeatmapStudent {
            student_id: s.student_id.clone(),
            display_name: display_name(s),
            units: row
                .units
                .into_iter()
                .map(|(unit_id, p_known, topic_count)| HeatmapCell {
                    unit_id,
                    p_known,
                    topic_count,
                })
                .collect(),
            topics: row
                .topics
                .into_iter()
                .map(|m| {
                    let sub = &subdomains[m.subdomain];
                    HeatmapTopic {
                        topic_id: sub.id.to_string(),
                        unit_id: sub.domain_id.to_string(),
                        topic_code: sub.code.to_string(),
                        topic_name: sub.name.to_string(),
                        p_known: m.p_known,
                    }
                })
                .collect(),
        })
        .collect();
    let units = units
        .into_iter()
        .map(|u| HeatmapUnit {
            id: u.domain_id,
            code: u.code,
            name: u.name,
            sequence: u.sequence,
        })
        .collect();
    envelope::ok(
        &rqctx,
        Heatmap {
            course_id,
            units,
            students,
        },
    )
}

/// What the course views read, loaded in four queries whatever the class size.
struct CourseData {
    students: Vec<CourseStudent>,
    attempts: HashMap<String, Vec<CourseAttempt>>,
    mastery: HashMap<String, Vec<mastery::MasteryRow>>,
    subdomains: Vec<SubdomainWithDomain>,
}

impl CourseData {
    async fn load(
        rqctx: &RequestContext<ApiContext>,
        course_id: &str,
        per_student: usize,
    ) -> Result<Self, ApiError> {
        let db = &rqctx.context().db;
        let students = mastery::course_students(db, course_id).await?;
        let ids: Vec<String> = students.iter().map(|s| s.student_id.clone()).collect();
        let mut attempts: HashMap<String, Vec<CourseAttempt>> = HashMap::new();
        for a in mastery::course_attempts(db, course_id, &ids, per_student as i64).await? {
            attempts.entry(a.student_id.clone()).or_default().push(a);
        }
        let mut rows: HashMap<String, Vec<mastery::MasteryRow>> = HashMap::new();
        for m in mastery::of_students(db, &ids).await? {
            rows.entry(m.student_id.clone()).or_default().push(m);
        }
        let subdomains = if students.is_empty() {
            Vec::new()
        } else {
            mastery::subdomains_with_domains(db).await?
        };
        Ok(CourseData {
            students,
            attempts,
            mastery: rows,
            subdomains,
        })
    }

    fn subdomains(&self) -> Vec<Subdomain<'_>> {
        self.subdomains
            .iter()
            .map(|s| Subdomain {
                id: &s.id,
                code: &s.code,
                name: &s.name,
                domain_id: &s.domain_id,
                domain_code: &s.domain_code,
                domain_name: &s.domain_name,
            })
            .collect()
    }

    fn attempts_of(&self, student_id: &str) -> &[CourseAttempt] {
        self.attempts
            .get(student_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn mastery_of(&self, student_id: &str) -> Vec<MasteryFact<'_>> {
        self.mastery
            .get(student_id)
            .into_iter()
            .flatten()
            .map(|m| MasteryFact {
                subdomain_id: m.subdomain_id.as_deref(),
                p_known: m.p_known,
            })
            .collect()
    }
}

fn fact(a: &CourseAttempt) -> AttemptFact<'_> {
    AttemptFact {
        is_correct: a.is_correct,
        tag_code: a.error_tag_code.as_deref(),
        tag_name: a.error_tag_name.as_deref(),
        tag_domain_id: a.tag_domain_id.as_deref(),
        tag_subdomain_code: a.tag_subdomain_code.as_deref(),
        exercise_subdomain_id: a.exercise_subdomain_id.as_deref(),
    }
}

/// The placeholder name of students who never set theirs.
const PLACEHOLDER_NAME: &str = "Nuevo Alumno";

/// The stored name, except the placeholder, replaced by the email's local part when there is one.
fn display_name(s: &CourseStudent) -> String {
    match (&s.email, s.display_name.as_str()) {
        (Some(email), PLACEHOLDER_NAME) => email.split('@').next().unwrap_or(email).to_string(),
        _ => s.display_name.clone(),
    }
}

/// `content.prompt` as text: strings as they are, numbers and booleans stringified (as
/// JavaScript's `String`), anything else `""`.
fn prompt_text(prompt: Option<&serde_json::Value>) -> String {
    match prompt {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => {
            n.as_f64().map(js::number_to_string).unwrap_or_default()
        }
        Some(serde_json::Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---- GET /mastery/recommend/{courseId}/{studentId} ---------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendPath {
    pub course_id: String,
    pub student_id: String,
}

/// The recommended exercise.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedExercise {
    pub id: String,
    /// `content.prompt`, else `content.problem`, else `"—"`.
    pub problem: String,
    pub topic_code: String,
    pub topic_name: String,
    pub irt_a: f64,
    pub irt_b: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub exercise: RecommendedExercise,
    /// θ the item was chosen at: logit(clamp(pKnown, 0.01, 0.99)).
    pub student_theta: f64,
    /// `Tema: <topic> · p=<pKnown> · θ=<θ> · Fisher=<information>`.
    pub reasoning: String,
}

pub async fn recommend(
    rqctx: RequestContext<ApiContext>,
    path: Path<RecommendPath>,
) -> ApiOk<Recommendation> {
    let auth = auth::authorize(&rqctx).await?;
    let path = path.into_inner();
    auth.require(Target::student_in_course(&path.student_id, &path.course_id))
        .await?;
    let db = &rqctx.context().db;
    let none = || ApiError::not_found("No available exercises for this student");

    let rows = mastery::of_student_weakest_first(db, &path.student_id).await?;
    if rows.is_empty() {
        return Err(none());
    }
    let since =
        innova_core::db::now() - chrono::Duration::milliseconds(irt::RECENT_CORRECT_WINDOW_MS);
    let excluded = mastery::recently_solved(db, &path.student_id, &path.course_id, since).await?;
    let topic_ids: Vec<String> = rows.iter().map(|r| r.topic_id.clone()).collect();
    let exercises = mastery::candidate_exercises(
        db,
        &topic_ids,
        &excluded,
        irt::MASTERY_CANDIDATES_PER_TOPIC as i64,
    )
    .await?;

    let facts: Vec<irt::MasteryRow> = rows
        .iter()
        .map(|r| irt::MasteryRow {
            topic_id: &r.topic_id,
            p_known: r.p_known,
        })
        .collect();
    let candidates: Vec<irt::Candidate> = exercises
        .iter()
        .map(|x| irt::Candidate {
            id: &x.id,
            topic_id: &x.topic_id,
            irt_a: x.irt_a,
            irt_b: x.irt_b,
        })
        .collect();
    let pick = irt::recommend_for_weakest_topic(&facts, &candidates, &[]).ok_or_else(none)?;
    let row = &rows[pick.row];
    let exercise = &exercises[pick.pick.candidate];
    envelope::ok(
        &rqctx,
        Recommendation {
            exercise: RecommendedExercise {
                id: exercise.id.clone(),
                problem: problem_text(&exercise.content),
                topic_code: row.topic_code.clone(),
                topic_name: row.topic_name.clone(),
                irt_a: exercise.irt_a,
                irt_b: exercise.irt_b,
            },
            student_theta: pick.pick.theta,
            reasoning: irt::mastery_reasoning(
                &row.topic_name,
                row.p_known,
                pick.pick.theta,
                pick.pick.information,
            ),
        },
    )
}

fn problem_text(content: &serde_json::Value) -> String {
    ["prompt", "problem"]
        .iter()
        .find_map(|k| content.get(k).and_then(|v| v.as_str()))
        .unwrap_or("—")
        .to_string()
}
