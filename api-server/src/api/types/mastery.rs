//! `/mastery`: a student's per-topic BKT state, a course's per-student view and heatmap, the
//! next exercise for a student.

use innova_app::mastery as app;
use innova_domain::ids::{AttemptId, CourseId, StudentId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use super::enums::ClassifierSource;

// ---- GET /mastery/{studentId} ------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudentPath {
    pub student_id: StudentId,
}

/// A student's mastery of one topic.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicMastery {
    pub student_id: StudentId,
    pub topic_code: String,
    pub topic_name: String,
    /// P(known), 0..1.
    pub p_known: f64,
}

impl From<app::MasteryRow> for TopicMastery {
    fn from(r: app::MasteryRow) -> Self {
        TopicMastery {
            student_id: r.student_id,
            topic_code: r.topic_code,
            topic_name: r.topic_name,
            p_known: r.p_known,
        }
    }
}

// ---- GET /mastery/course/{courseId} (and /mastery/classroom/{classroomId}) ----------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoursePath {
    pub course_id: CourseId,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassroomPath {
    /// The course id.
    pub classroom_id: CourseId,
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
    pub id: AttemptId,
    /// The exercise's prompt, or `""`.
    pub exercise_prompt: String,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    pub error_tag_name: Option<String>,
    pub classifier_source: ClassifierSource,
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
    pub student_id: StudentId,
    pub display_name: String,
    pub topics: Vec<SubdomainView>,
    pub attempts: Vec<RecentAttempt>,
    pub error_frequency: Vec<ErrorShare>,
}

impl From<app::StudentCourseMastery> for StudentCourseMastery {
    fn from(s: app::StudentCourseMastery) -> Self {
        StudentCourseMastery {
            student_id: s.student_id,
            display_name: s.display_name,
            topics: s
                .topics
                .into_iter()
                .map(|t| SubdomainView {
                    topic_code: t.code,
                    topic_name: t.name,
                    p_known: t.p_known,
                    attempts_count: t.attempts_count,
                })
                .collect(),
            attempts: s
                .attempts
                .into_iter()
                .map(|a| RecentAttempt {
                    id: a.id,
                    exercise_prompt: a.exercise_prompt,
                    is_correct: a.is_correct,
                    error_tag_code: a.error_tag_code,
                    error_tag_name: a.error_tag_name,
                    classifier_source: a.classifier_source,
                    confidence: a.confidence,
                    created_at: iso(a.created_at),
                })
                .collect(),
            error_frequency: s
                .error_frequency
                .into_iter()
                .map(|f| ErrorShare {
                    error_tag_code: f.error_tag_code,
                    error_tag_name: f.error_tag_name,
                    count: f.count,
                    percentage: f.percentage,
                })
                .collect(),
        }
    }
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
    pub student_id: StudentId,
    pub display_name: String,
    pub units: Vec<HeatmapCell>,
    pub topics: Vec<HeatmapTopic>,
}

/// Students × domains.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heatmap {
    pub course_id: CourseId,
    pub units: Vec<HeatmapUnit>,
    pub students: Vec<HeatmapStudent>,
}

impl Heatmap {
    pub fn new(course_id: CourseId, h: app::Heatmap) -> Self {
        Heatmap {
            course_id,
            units: h
                .units
                .into_iter()
                .map(|u| HeatmapUnit {
                    id: u.domain_id,
                    code: u.code,
                    name: u.name,
                    sequence: u.sequence,
                })
                .collect(),
            students: h
                .students
                .into_iter()
                .map(|s| HeatmapStudent {
                    student_id: s.student_id,
                    display_name: s.display_name,
                    units: s
                        .units
                        .into_iter()
                        .map(|(unit_id, p_known, topic_count)| HeatmapCell {
                            unit_id,
                            p_known,
                            topic_count,
                        })
                        .collect(),
                    topics: s
                        .topics
                        .into_iter()
                        .map(|t| HeatmapTopic {
                            topic_id: t.subdomain_id,
                            unit_id: t.domain_id,
                            topic_code: t.code,
                            topic_name: t.name,
                            p_known: t.p_known,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

// ---- GET /mastery/recommend/{courseId}/{studentId} ---------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendPath {
    pub course_id: CourseId,
    pub student_id: StudentId,
}

pub use innova_app::items::PickedExercise as RecommendedExercise;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub exercise: RecommendedExercise,
    /// θ the item was chosen at: logit(clamp(pKnown, 0.01, 0.99)).
    pub student_theta: f64,
    /// `Tema: <topic> · p=<pKnown> · θ=<θ> · Fisher=<information>`.
    pub reasoning: String,
}

impl From<app::Recommendation> for Recommendation {
    fn from(r: app::Recommendation) -> Self {
        Recommendation {
            exercise: r.exercise,
            student_theta: r.student_theta,
            reasoning: r.reasoning,
        }
    }
}
