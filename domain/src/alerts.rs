//! Teacher-alert rules of the hourly generator (domain.md §6.2, workers-infra.md §2.4), as pure
//! functions over the rows the generator loads.
//!
//! Per non-archived course and **for every teacher of it**: for each ACTIVE enrollment an
//! AT_RISK_STUDENT check then a STUDENT_DROP check; after the students, UNIT_OFF_TRACK per unit;
//! then the guide rules. Thresholds and payload texts are the reference's.
//!
//! # The guide rules (decision 20: "plus the GUIDE_* alert types the schema defines")
//!
//! The reference defines GUIDE_READY_FOR_REVIEW, GUIDE_GRADING_COMPLETE and GUIDE_COMMON_ERROR
//! but never raises them. Chosen so that each names something the teacher has to act on, from
//! data the pipeline already keeps:
//! * **GUIDE_READY_FOR_REVIEW** (MED): a guide is in REVIEW — the AI engine has extracted it and
//!   drafted its answer key, and nothing reaches the students until the teacher publishes it.
//! * **GUIDE_GRADING_COMPLETE** (LOW, or MED when students are missing): a PUBLISHED guide whose
//!   due date has passed and that has no submission still being transcribed or graded — the
//!   results are final; the payload counts the enrolled students with no graded submission.
//! * **GUIDE_COMMON_ERROR** (MED): in a PUBLISHED guide, one procedural error shared by at least
//!   3 students and at least 30% of the students graded on that question (each student's latest
//!   graded try, the teacher's override winning over the grader's tag) — worth reteaching.
//!
//! # Deduplication (the reference's gaps fixed)
//!
//! The key is teacher, **course**, type, student and the alert's *subject*: the unit for
//! UNIT_OFF_TRACK, the guide for the guide-level types, the question for GUIDE_COMMON_ERROR, the
//! topic for other types (AT_RISK_STUDENT's "first at-risk topic" is not part of it: it can change
//! between runs). An alert with the same key blocks a new one while it is unresolved, and also
//! when it was created or resolved today (UTC): a resolved alert is not re-created the same day,
//! and an open one is not duplicated every day.

use serde_json::{Value, json};

use crate::guides::GuideStatus;
use crate::js;

text_enum! {
    /// `teacher_alerts.alert_type` values.
    AlertType ("alert type") {
        AtRiskStudent = "AT_RISK_STUDENT",
        CommonErrorInTopic = "COMMON_ERROR_IN_TOPIC",
        StudentDrop = "STUDENT_DROP",
        UnitOffTrack = "UNIT_OFF_TRACK",
        GuideReadyForReview = "GUIDE_READY_FOR_REVIEW",
        GuideGradingComplete = "GUIDE_GRADING_COMPLETE",
        GuideCommonError = "GUIDE_COMMON_ERROR",
        // A guide the AI engine never finished (EXTRACTING or GENERATING_SOLUTIONS beyond its
        // queue's redrive window): marked failed by the hourly run, so the teacher can ingest
        // again. (Plain comments on variants: a doc comment would split the contract's enum
        // into a oneOf.)
        GuideProcessingFailed = "GUIDE_PROCESSING_FAILED",
    }
}

text_enum! {
    /// `teacher_alerts.severity` values (the column's default: `MED`).
    #[derive(Default)]
    #[schemars(rename = "AlertSeverity")]
    Severity ("alert severity") {
        Low = "LOW",
        #[default]
        Med = "MED",
        High = "HIGH",
    }
}

/// AT_RISK_STUDENT: a topic is at risk below this pKnown …
pub const AT_RISK_THRESHOLD: f64 = 0.4;
/// … and the student is at risk with at least this many such topics.
pub const AT_RISK_MIN_TOPICS: usize = 2;
/// STUDENT_DROP: no attempt for this long (3 days).
pub const DROP_AFTER_MS: i64 = 3 * 86_400_000;
/// UNIT_OFF_TRACK: course-wide mean pKnown of a unit below this.
pub const UNIT_OFF_TRACK_THRESHOLD: f64 = 0.3;

/// A mastery row of a student with its topic and the topic's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryEntry<'a> {
    pub topic_id: &'a str,
    pub topic_code: &'a str,
    pub p_known: f64,
    pub unit_id: &'a str,
    pub unit_name: &'a str,
}

/// A student with an ACTIVE enrollment in the course.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentSnapshot<'a> {
    pub student_id: &'a str,
    pub display_name: &'a str,
    /// All the student's mastery rows (every topic, not only this course's, as the reference),
    /// in load order.
    pub mastery: Vec<MasteryEntry<'a>>,
    /// `createdAt` of the student's most recent attempt in any course.
    pub last_attempt_at_ms: Option<i64>,
}

/// The most common error of one question of a guide (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionError<'a> {
    pub question_id: &'a str,
    /// The question's printed label, else its sequence number.
    pub label: String,
    pub topic_id: Option<&'a str>,
    pub error_tag_code: &'a str,
    pub error_tag_name: &'a str,
    /// Students whose latest graded try carries this error.
    pub students: u32,
    /// Students with a graded try of this question.
    pub graded_students: u32,
}

/// A non-archived guide in REVIEW or PUBLISHED.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideSnapshot<'a> {
    pub guide_id: &'a str,
    pub title: &'a str,
    pub status: GuideStatus,
    pub due_at_ms: Option<i64>,
    pub question_count: i32,
    /// Submissions being transcribed or graded.
    pub in_flight: u32,
    /// Enrolled students with at least one graded submission.
    pub graded_students: u32,
    /// Per question, its most common error (at most one entry per question).
    pub question_errors: Vec<QuestionError<'a>>,
}

/// A non-archived course as loaded by the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseSnapshot<'a> {
    pub course_id: &'a str,
    /// Teacher ids of its CourseTeacher rows: each receives the course's alerts; a course without
    /// teachers is skipped.
    pub teacher_ids: Vec<&'a str>,
    /// ACTIVE enrollments, in load order.
    pub students: Vec<StudentSnapshot<'a>>,
    pub guides: Vec<GuideSnapshot<'a>>,
}

/// An alert to insert (`id`, `createdAt` are the database's).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub teacher_id: String,
    pub course_id: String,
    pub topic_id: Option<String>,
    pub student_id: Option<String>,
    pub alert_type: AlertType,
    pub severity: Severity,
    pub payload: Value,
}

/// What makes two alerts the same for the dedup (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey {
    pub teacher_id: String,
    pub course_id: String,
    pub alert_type: String,
    pub student_id: Option<String>,
    pub subject: Option<String>,
}

/// The subject of an alert for the dedup key: what, besides the student, the alert is about.
/// Read from our payloads (camelCase) and from the AI engine's (snake_case: `guide_id`,
/// `unit_id`, `guide_question_id`), so an alert either service raised is the same alert.
pub fn dedup_subject(alert_type: &str, topic_id: Option<&str>, payload: &Value) -> Option<String> {
    let field = |name: &str| {
        payload_field(payload, name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match alert_type {
        "AT_RISK_STUDENT" | "STUDENT_DROP" => None,
        "UNIT_OFF_TRACK" => field("unitId"),
        "GUIDE_READY_FOR_REVIEW" | "GUIDE_GRADING_COMPLETE" | "GUIDE_PROCESSING_FAILED" => {
            field("guideId")
        }
        "GUIDE_COMMON_ERROR" => field("questionId"),
        _ => topic_id.map(str::to_owned),
    }
}

/// Payload fields whose name in the AI engine's alerts is not simply ours in snake_case.
const ENGINE_FIELDS: &[(&str, &str)] = &[
    ("guide_question_id", "questionId"),
    ("error_code", "errorTagCode"),
    ("n_students", "students"),
    ("avg_pknown", "avgPKnown"),
];

/// Our name of a payload field of either service: `guide_id` → `guideId`, `error_code` →
/// `errorTagCode`.
fn our_field_name(key: &str) -> String {
    if let Some((_, ours)) = ENGINE_FIELDS.iter().find(|(engine, _)| *engine == key) {
        return (*ours).to_owned();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A field of a payload of either service, by our (camelCase) name.
pub fn payload_field<'a>(payload: &'a Value, name: &str) -> Option<&'a Value> {
    let map = payload.as_object()?;
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| our_field_name(k) == name)
            .map(|(_, v)| v)
    })
}

/// An alert's payload as the API shows it, whichever service raised it: the AI engine's
/// snake_case fields under our camelCase names (`guide_id` → `guideId`, `error_code` →
/// `errorTagCode`, …), its dedup key (`dedup_ref`) left out, and a `message` — ours, or one
/// written from the engine's fields when it has none. Our own payloads pass unchanged.
pub fn normalize_payload(alert_type: AlertType, payload: Value) -> Value {
    let Value::Object(map) = payload else {
        return payload;
    };
    if map.keys().all(|k| !k.contains('_')) {
        return Value::Object(map);
    }
    let mut out = serde_json::Map::with_capacity(map.len() + 1);
    for (k, v) in map {
        if k == "dedup_ref" {
            continue;
        }
        out.entry(our_field_name(&k)).or_insert(v);
    }
    if !out.contains_key("message") {
        let message = engine_message(alert_type, &out);
        out.insert("message".into(), Value::String(message));
    }
    Value::Object(out)
}

/// The message of an engine-raised alert, from its (renamed) fields, in our alerts' words.
fn engine_message(alert_type: AlertType, p: &serde_json::Map<String, Value>) -> String {
    let text = |k: &str| match p.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "?".into(),
        Some(other) => other.to_string(),
    };
    match alert_type {
        AlertType::AtRiskStudent => format!(
            "El estudiante tiene p_known < {} en {} temas",
            text("pknownFloor"),
            text("weakTopicCount")
        ),
        AlertType::CommonErrorInTopic => format!(
            "{} de {} estudiantes con p_known bajo en {}",
            text("strugglingStudents"),
            text("courseSize"),
            text("topicCode")
        ),
        AlertType::StudentDrop => format!(
            "El dominio bajó {} en {} ({} temas)",
            text("worstTrend"),
            text("worstTopicCode"),
            text("droppedTopicCount")
        ),
        AlertType::UnitOffTrack => format!(
            "Promedio p_known={} en unidad \"{}\"",
            text("avgPKnown"),
            text("unitCode")
        ),
        AlertType::GuideReadyForReview => {
            format!("La guía \"{}\" está lista para revisión", text("title"))
        }
        AlertType::GuideGradingComplete => format!(
            "Guía \"{}\" corregida: {} de {} estudiantes entregaron",
            text("title"),
            text("gradedStudents"),
            text("courseSize")
        ),
        AlertType::GuideCommonError => format!(
            "{} de {} estudiantes cometen \"{}\" en una pregunta de la guía",
            text("students"),
            text("courseSize"),
            text("errorTagCode")
        ),
        AlertType::GuideProcessingFailed => "La guía no terminó de procesarse".into(),
    }
}

impl NewAlert {
    /// This alert's dedup key.
    pub fn dedup_key(&self) -> DedupKey {
        DedupKey {
            teacher_id: self.teacher_id.clone(),
            course_id: self.course_id.clone(),
            alert_type: self.alert_type.as_str().to_owned(),
            student_id: self.student_id.clone(),
            subject: dedup_subject(
                self.alert_type.as_str(),
                self.topic_id.as_deref(),
                &self.payload,
            ),
        }
    }
}

/// An alert already in `teacher_alerts`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExistingAlert<'a> {
    pub teacher_id: &'a str,
    pub course_id: &'a str,
    pub alert_type: &'a str,
    pub topic_id: Option<&'a str>,
    pub student_id: Option<&'a str>,
    pub payload: &'a Value,
    pub created_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

impl ExistingAlert<'_> {
    fn key(&self) -> DedupKey {
        DedupKey {
            teacher_id: self.teacher_id.to_owned(),
            course_id: self.course_id.to_owned(),
            alert_type: self.alert_type.to_owned(),
            student_id: self.student_id.map(str::to_owned),
            subject: dedup_subject(self.alert_type, self.topic_id, self.payload),
        }
    }
}

/// Start of the dedup day: today 00:00 UTC (the reference's server-local midnight on Lambda).
pub fn dedup_window_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(86_400_000) * 86_400_000
}

/// Whether an existing alert blocks a new one with `key`: same key, and still open, or created
/// or resolved today.
pub fn blocks(existing: &ExistingAlert, key: &DedupKey, now_ms: i64) -> bool {
    let today = dedup_window_start(now_ms);
    let current =
        existing.resolved_at_ms.is_none_or(|r| r >= today) || existing.created_at_ms >= today;
    current && existing.key() == *key
}

/// AT_RISK_STUDENT (HIGH): at least 2 mastery rows below 0.4; topic = the first such row's.
pub fn at_risk_alert(
    teacher_id: &str,
    course_id: &str,
    student: &StudentSnapshot,
) -> Option<NewAlert> {
    let at_risk: Vec<&MasteryEntry> = student
        .mastery
        .iter()
        .filter(|m| m.p_known < AT_RISK_THRESHOLD)
        .collect();
    if at_risk.len() < AT_RISK_MIN_TOPICS {
        return None;
    }
    let topics: Vec<Value> = at_risk
        .iter()
        .map(|m| json!({ "code": m.topic_code, "pKnown": js::json_number(m.p_known) }))
        .collect();
    Some(NewAlert {
        teacher_id: teacher_id.to_owned(),
        course_id: course_id.to_owned(),
        topic_id: Some(at_risk[0].topic_id.to_owned()),
        student_id: Some(student.student_id.to_owned()),
        alert_type: AlertType::AtRiskStudent,
        severity: Severity::High,
        payload: json!({
            "message": format!("{} tiene p_known < 0.4 en {} temas", student.display_name, at_risk.len()),
            "topics": topics,
        }),
    })
}

/// STUDENT_DROP (MED): no attempt at all, or the latest is older than `now − 3 days`.
pub fn student_drop_alert(
    teacher_id: &str,
    course_id: &str,
    student: &StudentSnapshot,
    now_ms: i64,
) -> Option<NewAlert> {
    let threshold = now_ms - DROP_AFTER_MS;
    if student.last_attempt_at_ms.is_some_and(|t| t >= threshold) {
        return None;
    }
    Some(NewAlert {
        teacher_id: teacher_id.to_owned(),
        course_id: course_id.to_owned(),
        topic_id: None,
        student_id: Some(student.student_id.to_owned()),
        alert_type: AlertType::StudentDrop,
        severity: Severity::Med,
        payload: json!({
            "message": format!("{} lleva más de 3 días sin intentos", student.display_name),
            "lastAttemptAt": student.last_attempt_at_ms.map(js::to_iso_string),
        }),
    })
}

/// UNIT_OFF_TRACK (HIGH): per unit (first-seen order over the students' mastery rows), the
/// mean pKnown of all rows in it; one alert per unit with mean < 0.3.
pub fn unit_off_track_alerts(
    teacher_id: &str,
    course_id: &str,
    students: &[StudentSnapshot],
) -> Vec<NewAlert> {
    // (unit id, unit name, sum, count), in first-seen order; sums accumulate in row order.
    let mut units: Vec<(&str, &str, f64, u32)> = Vec::new();
    for m in students.iter().flat_map(|s| &s.mastery) {
        match units.iter_mut().find(|u| u.0 == m.unit_id) {
            Some(u) => {
                u.2 += m.p_known;
                u.3 += 1;
            }
            None => units.push((m.unit_id, m.unit_name, m.p_known, 1)),
        }
    }
    units
        .into_iter()
        .filter_map(|(unit_id, unit_name, sum, count)| {
            let mean = sum / f64::from(count);
            (mean < UNIT_OFF_TRACK_THRESHOLD).then(|| NewAlert {
                teacher_id: teacher_id.to_owned(),
                course_id: course_id.to_owned(),
                topic_id: None,
                student_id: None,
                alert_type: AlertType::UnitOffTrack,
                severity: Severity::High,
                payload: json!({
                    "message": format!("Promedio p_known={} en unidad \"{unit_name}\"", js::to_fixed(mean, 2)),
                    "unitId": unit_id,
                    "avgPKnown": js::json_number(mean),
                }),
            })
        })
        .collect()
}

/// GUIDE_COMMON_ERROR: an error is common with at least this many students …
pub const COMMON_ERROR_MIN_STUDENTS: u32 = 3;
/// … and at least this share (in percent) of the students graded on the question.
pub const COMMON_ERROR_MIN_SHARE_PERCENT: u32 = 30;

/// The guide rules of the module documentation, for one guide of a course with `enrolled`
/// ACTIVE students.
pub fn guide_alerts(
    teacher_id: &str,
    course_id: &str,
    enrolled: usize,
    guide: &GuideSnapshot,
    now_ms: i64,
) -> Vec<NewAlert> {
    let alert = |alert_type, severity, topic_id: Option<&str>, payload| NewAlert {
        teacher_id: teacher_id.to_owned(),
        course_id: course_id.to_owned(),
        topic_id: topic_id.map(str::to_owned),
        student_id: None,
        alert_type,
        severity,
        payload,
    };
    let title = guide.title;
    let mut out = Vec::new();
    match guide.status {
        GuideStatus::Review => out.push(alert(
            AlertType::GuideReadyForReview,
            Severity::Med,
            None,
            json!({
                "message": format!("La guía \"{title}\" está lista para revisión"),
                "guideId": guide.guide_id,
                "questionCount": guide.question_count,
            }),
        )),
        GuideStatus::Published => {
            let due_passed = guide.due_at_ms.is_some_and(|due| due < now_ms);
            if due_passed && guide.in_flight == 0 {
                let graded = guide.graded_students as usize;
                let missing = enrolled.saturating_sub(graded);
                out.push(alert(
                    AlertType::GuideGradingComplete,
                    if missing > 0 { Severity::Med } else { Severity::Low },
                    None,
                    json!({
                        "message": format!(
                            "Guía \"{title}\" corregida: {graded} de {enrolled} estudiantes entregaron"
                        ),
                        "guideId": guide.guide_id,
                        "gradedStudents": graded,
                        "missingStudents": missing,
                    }),
                ));
            }
            for q in &guide.question_errors {
                let common = q.students >= COMMON_ERROR_MIN_STUDENTS
                    && q.students * 100 >= q.graded_students * COMMON_ERROR_MIN_SHARE_PERCENT;
                if common {
                    out.push(alert(
                        AlertType::GuideCommonError,
                        Severity::Med,
                        q.topic_id,
                        json!({
                            "message": format!(
                                "{} de {} estudiantes cometen \"{}\" en la pregunta {} de \"{title}\"",
                                q.students, q.graded_students, q.error_tag_name, q.label
                            ),
                            "guideId": guide.guide_id,
                            "questionId": q.question_id,
                            "errorTagCode": q.error_tag_code,
                            "students": q.students,
                            "gradedStudents": q.graded_students,
                        }),
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

/// One generator cycle: the alerts to insert, in insertion order, after the dedup against
/// `existing` and against the alerts of this same cycle.
pub fn generate_alerts(
    courses: &[CourseSnapshot],
    existing: &[ExistingAlert],
    now_ms: i64,
) -> Vec<NewAlert> {
    let mut out: Vec<NewAlert> = Vec::new();
    let mut push = |alert: NewAlert| {
        let key = alert.dedup_key();
        let dup = existing.iter().any(|e| blocks(e, &key, now_ms))
            || out.iter().any(|a| a.dedup_key() == key);
        if !dup {
            out.push(alert);
        }
    };
    for course in courses {
        let course_id = course.course_id;
        for teacher_id in &course.teacher_ids {
            for student in &course.students {
                if let Some(a) = at_risk_alert(teacher_id, course_id, student) {
                    push(a);
                }
                if let Some(a) = student_drop_alert(teacher_id, course_id, student, now_ms) {
                    push(a);
                }
            }
            unit_off_track_alerts(teacher_id, course_id, &course.students)
                .into_iter()
                .for_each(&mut push);
            for guide in &course.guides {
                guide_alerts(teacher_id, course_id, course.students.len(), guide, now_ms)
                    .into_iter()
                    .for_each(&mut push);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payloads exactly as the AI engine's SQL inserts them (`src/solution_gen/repository.py`,
    /// `src/alerts/*`): snake_case, `dedup_ref` last.
    fn engine_payloads() -> Vec<(AlertType, Value)> {
        vec![
            (
                AlertType::GuideReadyForReview,
                json!({"guide_id": "g1", "title": "Guía 4 — Fracciones", "question_count": 12, "needs_review_count": 3}),
            ),
            (
                AlertType::AtRiskStudent,
                json!({"course_id": "c1", "weak_topic_count": 4, "topics": ["FRACT_ADD", "FRACT_MUL", "DEC_ADD", "INT_SUB"], "pknown_floor": 0.4, "dedup_ref": "stu-uuid"}),
            ),
            (
                AlertType::CommonErrorInTopic,
                json!({"course_id": "c1", "topic_code": "FRACT_ADD", "struggling_students": 18, "course_size": 30, "ratio": 0.6, "dedup_ref": "topic-uuid"}),
            ),
            (
                AlertType::StudentDrop,
                json!({"course_id": "c1", "worst_topic_code": "FRACT_ADD", "worst_trend": -0.21, "dropped_topic_count": 2, "dedup_ref": "stu-uuid"}),
            ),
            (
                AlertType::UnitOffTrack,
                json!({"course_id": "c1", "unit_id": "unit-uuid", "unit_code": "U2", "avg_pknown": 0.312, "sample_size": 120, "dedup_ref": "unit-uuid"}),
            ),
            (
                AlertType::GuideGradingComplete,
                json!({"guide_id": "g1", "title": "Guía 4", "graded_students": 28, "course_size": 30, "ratio": 0.933, "dedup_ref": "g1"}),
            ),
            (
                AlertType::GuideCommonError,
                json!({"guide_id": "g1", "guide_question_id": "q3", "error_code": "SUM_NUMERATORS_AND_DENOMINATORS", "n_students": 11, "course_size": 30, "ratio": 0.367, "dedup_ref": "q3:SUM_NUMERATORS_AND_DENOMINATORS"}),
            ),
        ]
    }

    #[test]
    fn an_engine_raised_alert_reads_as_ours() {
        for (alert_type, payload) in engine_payloads() {
            let shown = normalize_payload(alert_type, payload);
            let map = shown.as_object().unwrap();
            assert!(
                map.keys().all(|k| !k.contains('_')),
                "{alert_type:?}: {shown}"
            );
            assert!(
                !map.contains_key("dedupRef"),
                "{alert_type:?}: the engine's key is internal"
            );
            let message = map["message"].as_str().unwrap();
            assert!(!message.contains('?'), "{alert_type:?}: {message}");
        }
        let ready = normalize_payload(
            AlertType::GuideReadyForReview,
            engine_payloads()[0].1.clone(),
        );
        assert_eq!(
            ready,
            json!({"guideId": "g1", "title": "Guía 4 — Fracciones", "questionCount": 12,
                   "needsReviewCount": 3,
                   "message": "La guía \"Guía 4 — Fracciones\" está lista para revisión"})
        );
        let common = normalize_payload(AlertType::GuideCommonError, engine_payloads()[6].1.clone());
        assert_eq!(common["questionId"], "q3");
        assert_eq!(common["errorTagCode"], "SUM_NUMERATORS_AND_DENOMINATORS");
        assert_eq!(common["students"], 11);
        let unit = normalize_payload(AlertType::UnitOffTrack, engine_payloads()[4].1.clone());
        assert_eq!(unit["avgPKnown"], 0.312);
        assert_eq!(unit["message"], "Promedio p_known=0.312 en unidad \"U2\"");
        // Ours pass unchanged.
        let ours = json!({"message": "m", "guideId": "g1", "questionCount": 3});
        assert_eq!(
            normalize_payload(AlertType::GuideReadyForReview, ours.clone()),
            ours
        );
    }

    #[test]
    fn an_engine_raised_alert_has_the_dedup_subject_of_ours() {
        let pairs = [
            (
                "GUIDE_READY_FOR_REVIEW",
                json!({"guide_id": "g1"}),
                json!({"guideId": "g1"}),
            ),
            (
                "GUIDE_GRADING_COMPLETE",
                json!({"guide_id": "g1", "dedup_ref": "g1"}),
                json!({"guideId": "g1"}),
            ),
            (
                "UNIT_OFF_TRACK",
                json!({"unit_id": "u1", "dedup_ref": "u1"}),
                json!({"unitId": "u1"}),
            ),
            (
                "GUIDE_COMMON_ERROR",
                json!({"guide_question_id": "q3", "dedup_ref": "q3:X"}),
                json!({"questionId": "q3"}),
            ),
        ];
        for (kind, engine, ours) in pairs {
            let subject = dedup_subject(kind, None, &ours);
            assert!(subject.is_some(), "{kind}");
            assert_eq!(dedup_subject(kind, None, &engine), subject, "{kind}");
        }
    }

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 20_000 * DAY + 15 * 3_600_000; // 2024-10-04T15:00:00Z

    fn m<'a>(topic: &'a str, p: f64, unit: &'a str) -> MasteryEntry<'a> {
        MasteryEntry {
            topic_id: topic,
            topic_code: topic,
            p_known: p,
            unit_id: unit,
            unit_name: unit,
        }
    }

    fn student<'a>(
        id: &'a str,
        mastery: Vec<MasteryEntry<'a>>,
        last: Option<i64>,
    ) -> StudentSnapshot<'a> {
        StudentSnapshot {
            student_id: id,
            display_name: id,
            mastery,
            last_attempt_at_ms: last,
        }
    }

    #[test]
    fn at_risk_needs_two_topics_below_0_4() {
        let s = student(
            "ana",
            vec![m("t1", 0.5, "u"), m("t2", 0.39, "u"), m("t3", 0.1, "u")],
            None,
        );
        let a = at_risk_alert("teach", "c", &s).unwrap();
        assert_eq!(a.topic_id.as_deref(), Some("t2"), "first at-risk row");
        assert_eq!(
            (a.alert_type, a.severity),
            (AlertType::AtRiskStudent, Severity::High)
        );
        assert_eq!(
            a.payload,
            json!({"message": "ana tiene p_known < 0.4 en 2 temas",
                   "topics": [{"code": "t2", "pKnown": 0.39}, {"code": "t3", "pKnown": 0.1}]})
        );
        let one = student("bo", vec![m("t1", 0.39, "u"), m("t2", 0.4, "u")], None);
        assert_eq!(
            at_risk_alert("teach", "c", &one),
            None,
            "0.4 is not below 0.4"
        );
    }

    #[test]
    fn drop_after_three_days_without_attempts() {
        let never = student("ana", vec![], None);
        let a = student_drop_alert("teach", "c", &never, NOW).unwrap();
        assert_eq!(
            a.payload,
            json!({"message": "ana lleva más de 3 días sin intentos", "lastAttemptAt": null})
        );
        assert_eq!((a.topic_id, a.severity), (None, Severity::Med));
        let old = student("bo", vec![], Some(NOW - 3 * DAY - 1));
        let a = student_drop_alert("teach", "c", &old, NOW).unwrap();
        assert_eq!(
            a.payload["lastAttemptAt"],
            json!("2024-10-01T14:59:59.999Z")
        );
        let exactly = student("cy", vec![], Some(NOW - 3 * DAY));
        assert_eq!(student_drop_alert("teach", "c", &exactly, NOW), None);
    }

    #[test]
    fn unit_off_track_uses_the_course_wide_mean() {
        let students = [
            student("a", vec![m("t1", 0.2, "U1"), m("t2", 0.9, "U2")], None),
            student("b", vec![m("t1", 0.3, "U1"), m("t3", 0.5, "U2")], None),
        ];
        let alerts = unit_off_track_alerts("teach", "c", &students);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(
            (a.topic_id.as_deref(), a.student_id.as_deref()),
            (None, None)
        );
        assert_eq!(
            a.payload,
            json!({"message": "Promedio p_known=0.25 en unidad \"U1\"", "unitId": "U1", "avgPKnown": 0.25})
        );
        let ok = [student("a", vec![m("t1", 0.3, "U1")], None)];
        assert!(
            unit_off_track_alerts("teach", "c", &ok).is_empty(),
            "0.3 is not below 0.3"
        );
    }

    fn course<'a>(
        id: &'a str,
        teachers: Vec<&'a str>,
        students: Vec<StudentSnapshot<'a>>,
    ) -> CourseSnapshot<'a> {
        CourseSnapshot {
            course_id: id,
            teacher_ids: teachers,
            students,
            guides: vec![],
        }
    }

    #[test]
    fn every_teacher_of_a_course_is_alerted_and_courses_without_teachers_are_skipped() {
        let courses = [
            course("none", vec![], vec![student("x", vec![], None)]),
            course(
                "c1",
                vec!["t-first", "t-second"],
                vec![student(
                    "ana",
                    vec![m("a", 0.1, "U"), m("b", 0.2, "U")],
                    None,
                )],
            ),
        ];
        let alerts = generate_alerts(&courses, &[], NOW);
        let kinds: Vec<(&str, &str)> = alerts
            .iter()
            .map(|a| (a.alert_type.as_str(), a.teacher_id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("AT_RISK_STUDENT", "t-first"),
                ("STUDENT_DROP", "t-first"),
                ("UNIT_OFF_TRACK", "t-first"),
                ("AT_RISK_STUDENT", "t-second"),
                ("STUDENT_DROP", "t-second"),
                ("UNIT_OFF_TRACK", "t-second"),
            ]
        );
    }

    #[test]
    fn the_dedup_key_includes_the_course_and_the_unit() {
        let s = || student("ana", vec![m("a", 0.1, "U1"), m("b", 0.2, "U1")], None);
        let s2 = || student("bo", vec![m("z", 0.1, "U2")], Some(NOW));
        let courses = [
            course("c1", vec!["t"], vec![s()]),
            // The same teacher and student in another course: alerted there too, and that
            // course's two units each get their UNIT_OFF_TRACK.
            course("c2", vec!["t"], vec![s(), s2()]),
        ];
        let alerts = generate_alerts(&courses, &[], NOW);
        let c2: Vec<_> = alerts
            .iter()
            .filter(|a| a.course_id == "c2")
            .map(|a| (a.alert_type.as_str(), a.payload.get("unitId").cloned()))
            .collect();
        assert_eq!(alerts.len() - c2.len(), 3);
        assert_eq!(
            c2,
            [
                ("AT_RISK_STUDENT", None),
                ("STUDENT_DROP", None),
                ("UNIT_OFF_TRACK", Some(json!("U1"))),
                ("UNIT_OFF_TRACK", Some(json!("U2"))),
            ]
        );
    }

    #[test]
    fn open_alerts_and_alerts_of_today_block_a_new_one() {
        let courses = [course("c1", vec!["t"], vec![student("ana", vec![], None)])];
        let payload = json!({});
        let existing = |created: i64, resolved: Option<i64>| ExistingAlert {
            teacher_id: "t",
            course_id: "c1",
            alert_type: "STUDENT_DROP",
            topic_id: None,
            student_id: Some("ana"),
            payload: &payload,
            created_at_ms: created,
            resolved_at_ms: resolved,
        };
        let midnight = dedup_window_start(NOW);
        assert_eq!(midnight, 20_000 * DAY);
        let drops = |e: &[ExistingAlert]| {
            generate_alerts(&courses, e, NOW)
                .iter()
                .filter(|a| a.alert_type == AlertType::StudentDrop)
                .count()
        };
        assert_eq!(drops(&[]), 1);
        assert_eq!(drops(&[existing(midnight, None)]), 0, "open since today");
        assert_eq!(
            drops(&[existing(midnight - 5 * DAY, None)]),
            0,
            "still open"
        );
        assert_eq!(
            drops(&[existing(midnight, Some(NOW))]),
            0,
            "resolved today: not re-created the same day"
        );
        assert_eq!(
            drops(&[existing(midnight - 2 * DAY, Some(midnight + 1))]),
            0,
            "an old one resolved today blocks too"
        );
        assert_eq!(
            drops(&[existing(midnight - 2 * DAY, Some(midnight - 1))]),
            1,
            "resolved before today: raised again"
        );
        let other_student = ExistingAlert {
            student_id: Some("bo"),
            ..existing(midnight, None)
        };
        let other_course = ExistingAlert {
            course_id: "c2",
            ..existing(midnight, None)
        };
        assert_eq!(drops(&[other_student, other_course]), 1);
    }

    #[test]
    fn at_risk_dedup_ignores_which_topic_comes_first() {
        let courses = [course(
            "c1",
            vec!["t"],
            vec![student(
                "ana",
                vec![m("b", 0.1, "U"), m("c", 0.2, "U")],
                Some(NOW),
            )],
        )];
        // Yesterday's still-open alert named topic "a" first; today "b" comes first.
        let payload = json!({});
        let open = ExistingAlert {
            teacher_id: "t",
            course_id: "c1",
            alert_type: "AT_RISK_STUDENT",
            topic_id: Some("a"),
            student_id: Some("ana"),
            payload: &payload,
            created_at_ms: NOW - DAY,
            resolved_at_ms: None,
        };
        let kinds: Vec<_> = generate_alerts(&courses, &[open], NOW)
            .into_iter()
            .map(|a| a.alert_type)
            .collect();
        assert_eq!(kinds, [AlertType::UnitOffTrack]);
    }

    fn guide<'a>(status: GuideStatus, due: Option<i64>) -> GuideSnapshot<'a> {
        GuideSnapshot {
            guide_id: "g1",
            title: "Fracciones",
            status,
            due_at_ms: due,
            question_count: 4,
            in_flight: 0,
            graded_students: 0,
            question_errors: vec![],
        }
    }

    #[test]
    fn a_guide_in_review_waits_for_its_teacher() {
        let a = guide_alerts("t", "c", 30, &guide(GuideStatus::Review, None), NOW);
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].alert_type, a[0].severity),
            (AlertType::GuideReadyForReview, Severity::Med)
        );
        assert_eq!(
            a[0].payload,
            json!({"message": "La guía \"Fracciones\" está lista para revisión",
                   "guideId": "g1", "questionCount": 4})
        );
        for status in [GuideStatus::Extracting, GuideStatus::Archived] {
            assert!(guide_alerts("t", "c", 30, &guide(status, None), NOW).is_empty());
        }
    }

    #[test]
    fn grading_is_complete_after_the_due_date_with_nothing_in_flight() {
        let graded = |in_flight, graded_students, due| GuideSnapshot {
            in_flight,
            graded_students,
            ..guide(GuideStatus::Published, due)
        };
        let a = guide_alerts("t", "c", 3, &graded(0, 2, Some(NOW - 1)), NOW);
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].alert_type, a[0].severity),
            (AlertType::GuideGradingComplete, Severity::Med)
        );
        assert_eq!(
            a[0].payload,
            json!({"message": "Guía \"Fracciones\" corregida: 2 de 3 estudiantes entregaron",
                   "guideId": "g1", "gradedStudents": 2, "missingStudents": 1})
        );
        let all = guide_alerts("t", "c", 3, &graded(0, 3, Some(NOW - 1)), NOW);
        assert_eq!(all[0].severity, Severity::Low, "nobody missing");
        assert!(guide_alerts("t", "c", 3, &graded(1, 2, Some(NOW - 1)), NOW).is_empty());
        assert!(guide_alerts("t", "c", 3, &graded(0, 2, Some(NOW)), NOW).is_empty());
        assert!(guide_alerts("t", "c", 3, &graded(0, 2, None), NOW).is_empty());
    }

    #[test]
    fn a_common_error_needs_three_students_and_thirty_percent() {
        let err = |students, graded_students| QuestionError {
            question_id: "q2",
            label: "2.a".into(),
            topic_id: Some("topic"),
            error_tag_code: "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            error_tag_name: "Omite la reserva",
            students,
            graded_students,
        };
        let with = |e| GuideSnapshot {
            question_errors: vec![e],
            ..guide(GuideStatus::Published, None)
        };
        let a = guide_alerts("t", "c", 30, &with(err(3, 10)), NOW);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].topic_id.as_deref(), Some("topic"));
        assert_eq!(
            a[0].payload,
            json!({"message": "3 de 10 estudiantes cometen \"Omite la reserva\" en la pregunta 2.a de \"Fracciones\"",
                   "guideId": "g1", "questionId": "q2",
                   "errorTagCode": "ARITH_SUB_BORROW_OMITTED_TENS_G3",
                   "students": 3, "gradedStudents": 10})
        );
        assert!(
            guide_alerts("t", "c", 30, &with(err(3, 11)), NOW).is_empty(),
            "27%"
        );
        assert!(
            guide_alerts("t", "c", 30, &with(err(2, 2)), NOW).is_empty(),
            "two students"
        );
    }

    #[test]
    fn alert_types_and_severities_read_back_what_they_store() {
        for t in AlertType::ALL {
            assert_eq!(t.as_str().parse::<AlertType>(), Ok(*t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!("MEDIUM".parse::<Severity>().is_err());
        assert_eq!(Severity::default(), Severity::Med);
    }
}
