//! Mastery: a student's per-topic BKT state, a course's per-student view and heatmap, and the
//! next exercise for a student (IRT, weakest topic first). Reads only.

use innova_domain::ids::{AttemptId, CourseId, StudentId, TopicId};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use innova_core::db::mastery::{self, CourseAttempt, CourseStudent, SubdomainWithDomain};
use innova_domain::course_mastery::{
    self as views, AttemptFact, COURSE_VIEW_ATTEMPTS, COURSE_VIEW_LISTED_ATTEMPTS,
    HEATMAP_ATTEMPTS, MasteryFact, Subdomain,
};
use innova_domain::irt;
use innova_domain::js;
use innova_domain::vocab::ClassifierSource;

pub use innova_core::db::mastery::MasteryRow;
pub use innova_domain::course_mastery::{ErrorFrequency, HeatmapUnit};

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// A student's mastery per topic.
pub async fn of_student(
    app: &App,
    permit: &Permit<op::MasteryStudent>,
    student_id: &StudentId,
) -> AppResult<Vec<MasteryRow>> {
    permit.require(&app.db, Target::student(student_id)).await?;
    Ok(mastery::of_student(&app.db, student_id).await?)
}

/// A student's mastery of a taxonomy subdomain.
#[derive(Debug, Clone, PartialEq)]
pub struct SubdomainView {
    pub code: String,
    pub name: String,
    pub p_known: f64,
    pub attempts_count: usize,
}

/// One of a student's recent attempts in the course.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentAttempt {
    pub id: AttemptId,
    /// The exercise's prompt as text, or `""`.
    pub exercise_prompt: String,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    /// `None` when the tag has no name (decision 7).
    pub error_tag_name: Option<String>,
    pub classifier_source: ClassifierSource,
    pub confidence: Option<f64>,
    pub created_at: NaiveDateTime,
}

/// A student of the course.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentCourseMastery {
    pub student_id: StudentId,
    pub display_name: String,
    pub topics: Vec<SubdomainView>,
    pub attempts: Vec<RecentAttempt>,
    pub error_frequency: Vec<ErrorFrequency>,
}

/// Per-student mastery of a course: one entry per ACTIVE student.
pub async fn course(
    app: &App,
    permit: &Permit<op::MasteryCourse>,
    course_id: &CourseId,
) -> AppResult<Vec<StudentCourseMastery>> {
    permit.require(&app.db, Target::course(course_id)).await?;
    course_view(app, course_id).await
}

/// [`course`], addressed as a classroom (`GET /mastery/classroom/{classroomId}`).
pub async fn classroom(
    app: &App,
    permit: &Permit<op::MasteryClassroom>,
    course_id: &CourseId,
) -> AppResult<Vec<StudentCourseMastery>> {
    permit.require(&app.db, Target::course(course_id)).await?;
    course_view(app, course_id).await
}

async fn course_view(app: &App, course_id: &CourseId) -> AppResult<Vec<StudentCourseMastery>> {
    let data = CourseData::load(app, course_id, COURSE_VIEW_ATTEMPTS).await?;
    let subdomains = data.subdomains();
    let views = data
        .students
        .iter()
        .map(|student| {
            let attempts = data.attempts_of(&student.student_id);
            let facts: Vec<AttemptFact> = attempts.iter().map(fact).collect();
            let topics = views::subdomain_mastery(
                &subdomains,
                &facts,
                &data.mastery_of(&student.student_id),
            )
            .into_iter()
            .map(|m| SubdomainView {
                code: subdomains[m.subdomain].code.to_string(),
                name: subdomains[m.subdomain].name.to_string(),
                p_known: m.p_known,
                attempts_count: m.attempts_count,
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
                    classifier_source: a.classifier_source,
                    confidence: a.confidence,
                    created_at: a.created_at,
                })
                .collect();
            StudentCourseMastery {
                student_id: student.student_id.clone(),
                display_name: display_name(student),
                topics,
                attempts,
                error_frequency: views::error_frequency(&facts),
            }
        })
        .collect();
    Ok(views)
}

/// A student's mastery of one subdomain, in the heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapTopic {
    pub subdomain_id: String,
    pub domain_id: String,
    pub code: String,
    pub name: String,
    pub p_known: f64,
}

/// A heatmap row.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapStudent {
    pub student_id: StudentId,
    pub display_name: String,
    /// Per domain: (domain id, mean pKnown, subdomains averaged).
    pub units: Vec<(String, f64, usize)>,
    pub topics: Vec<HeatmapTopic>,
}

/// Students × domains of a course.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub units: Vec<HeatmapUnit>,
    pub students: Vec<HeatmapStudent>,
}

pub async fn heatmap(
    app: &App,
    permit: &Permit<op::MasteryCourseHeatmap>,
    course_id: &CourseId,
) -> AppResult<Heatmap> {
    permit.require(&app.db, Target::course(course_id)).await?;
    let data = CourseData::load(app, course_id, HEATMAP_ATTEMPTS).await?;
    let subdomains = data.subdomains();
    let per_student: Vec<_> = data
        .students
        .iter()
        .map(|s| {
            let facts: Vec<AttemptFact> =
                data.attempts_of(&s.student_id).iter().map(fact).collect();
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
            units: row.units,
            topics: row
                .topics
                .into_iter()
                .map(|m| {
                    let sub = &subdomains[m.subdomain];
                    HeatmapTopic {
                        subdomain_id: sub.id.to_string(),
                        domain_id: sub.domain_id.to_string(),
                        code: sub.code.to_string(),
                        name: sub.name.to_string(),
                        p_known: m.p_known,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Heatmap { units, students })
}

/// What the course views read, loaded in four queries whatever the class size.
struct CourseData {
    students: Vec<CourseStudent>,
    attempts: HashMap<StudentId, Vec<CourseAttempt>>,
    mastery: HashMap<StudentId, Vec<MasteryRow>>,
    subdomains: std::sync::Arc<Vec<SubdomainWithDomain>>,
}

impl CourseData {
    async fn load(app: &App, course_id: &CourseId, per_student: usize) -> AppResult<Self> {
        // Two statements (the students with their mastery rows, their attempts); the taxonomy
        // is the catalogue's.
        let db = &app.db;
        let mut students: Vec<CourseStudent> = Vec::new();
        let mut rows: HashMap<StudentId, Vec<MasteryRow>> = HashMap::new();
        for (student, mastery) in mastery::course_students_with_mastery(db, course_id).await? {
            if students
                .last()
                .is_none_or(|s| s.student_id != student.student_id)
            {
                students.push(student);
            }
            if let Some(m) = mastery {
                rows.entry(m.student_id.clone()).or_default().push(m);
            }
        }
        let mut attempts: HashMap<StudentId, Vec<CourseAttempt>> = HashMap::new();
        if !students.is_empty() {
            for a in mastery::course_attempts(db, course_id, per_student as i64).await? {
                attempts.entry(a.student_id.clone()).or_default().push(a);
            }
        }
        let subdomains = app.catalog.subdomains(db).await?;
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

    fn attempts_of(&self, student_id: &StudentId) -> &[CourseAttempt] {
        self.attempts
            .get(student_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn mastery_of(&self, student_id: &StudentId) -> Vec<MasteryFact<'_>> {
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

/// The recommended exercise, its θ (logit(clamp(pKnown, 0.01, 0.99))) and the reasoning.
pub use crate::items::Pick as Recommendation;
use crate::items::PickedExercise as RecommendedExercise;

/// The most informative (Fisher) active exercise of the student's weakest topic that has one,
/// skipping exercises answered correctly in the course in the last 7 days;
/// [`AppError::NotFound`] when there is none.
pub async fn recommend(
    app: &App,
    permit: &Permit<op::MasteryRecommend>,
    course_id: &CourseId,
    student_id: &StudentId,
) -> AppResult<Recommendation> {
    permit
        .require(&app.db, Target::student_in_course(student_id, course_id))
        .await?;
    let db = &app.db;
    let none = || AppError::NotFound("No available exercises for this student".into());

    let rows = mastery::of_student_weakest_first(db, student_id).await?;
    if rows.is_empty() {
        return Err(none());
    }
    let since =
        innova_core::db::now() - chrono::Duration::milliseconds(irt::RECENT_CORRECT_WINDOW_MS);
    let excluded = mastery::recently_solved(db, student_id, course_id, since).await?;
    let topic_ids: Vec<TopicId> = rows.iter().map(|r| r.topic_id.clone()).collect();
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
    Ok(Recommendation {
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
    })
}

fn problem_text(content: &serde_json::Value) -> String {
    ["prompt", "problem"]
        .iter()
        .find_map(|k| content.get(k).and_then(|v| v.as_str()))
        .unwrap_or("—")
        .to_string()
}
