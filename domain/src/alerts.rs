//! Teacher-alert rules of the hourly generator (domain.md §6.2), as pure functions over the rows
//! the generator loads.
//!
//! Per non-archived course, with its first teacher: for every ACTIVE enrollment an
//! AT_RISK_STUDENT check then a STUDENT_DROP check; after the students, UNIT_OFF_TRACK per unit.
//! Before each insert the daily dedup applies (same teacher, type, topic and student, unresolved,
//! created since today 00:00 UTC), including alerts created earlier in the same run.

use serde_json::{Value, json};

use crate::js;
use crate::vocab::UnknownValue;

/// `teacher_alerts.alert_type` values.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertType {
    AtRiskStudent,
    CommonErrorInTopic,
    StudentDrop,
    UnitOffTrack,
    GuideReadyForReview,
    GuideGradingComplete,
    GuideCommonError,
}

impl AlertType {
    /// The stored value, e.g. `"AT_RISK_STUDENT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::AtRiskStudent => "AT_RISK_STUDENT",
            AlertType::CommonErrorInTopic => "COMMON_ERROR_IN_TOPIC",
            AlertType::StudentDrop => "STUDENT_DROP",
            AlertType::UnitOffTrack => "UNIT_OFF_TRACK",
            AlertType::GuideReadyForReview => "GUIDE_READY_FOR_REVIEW",
            AlertType::GuideGradingComplete => "GUIDE_GRADING_COMPLETE",
            AlertType::GuideCommonError => "GUIDE_COMMON_ERROR",
        }
    }
}

/// `teacher_alerts.severity` values (the column's default: `MED`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
#[schemars(rename = "AlertSeverity")]
pub enum Severity {
    Low,
    #[default]
    Med,
    High,
}

impl Severity {
    /// The stored value: `LOW`, `MED` or `HIGH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Med => "MED",
            Severity::High => "HIGH",
        }
    }
}

impl AlertType {
    /// Every value.
    pub const ALL: &'static [AlertType] = &[
        AlertType::AtRiskStudent,
        AlertType::CommonErrorInTopic,
        AlertType::StudentDrop,
        AlertType::UnitOffTrack,
        AlertType::GuideReadyForReview,
        AlertType::GuideGradingComplete,
        AlertType::GuideCommonError,
    ];
}

impl Severity {
    /// Every value.
    pub const ALL: &'static [Severity] = &[Severity::Low, Severity::Med, Severity::High];
}

macro_rules! stored_text {
    ($name:ident, $kind:literal) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            /// Exact, case-sensitive stored values.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownValue {
                        kind: $kind,
                        value: s.to_owned(),
                    })
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

stored_text!(AlertType, "alert type");
stored_text!(Severity, "alert severity");

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
    /// All the student's mastery rows (every topic, not only this course's), in load order.
    pub mastery: Vec<MasteryEntry<'a>>,
    /// `createdAt` of the student's most recent attempt in any course.
    pub last_attempt_at_ms: Option<i64>,
}

/// A non-archived course as loaded by the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseSnapshot<'a> {
    pub course_id: &'a str,
    /// Teacher ids of its CourseTeacher rows; the first one receives the alerts, and a course
    /// without teachers is skipped.
    pub teacher_ids: Vec<&'a str>,
    /// ACTIVE enrollments, in load order.
    pub students: Vec<StudentSnapshot<'a>>,
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

/// What makes two alerts the same for the daily dedup (course and unit are not part of it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey {
    pub teacher_id: String,
    pub alert_type: String,
    pub topic_id: Option<String>,
    pub student_id: Option<String>,
}

impl NewAlert {
    /// This alert's dedup key.
    pub fn dedup_key(&self) -> DedupKey {
        DedupKey {
            teacher_id: self.teacher_id.clone(),
            alert_type: self.alert_type.as_str().to_owned(),
            topic_id: self.topic_id.clone(),
            student_id: self.student_id.clone(),
        }
    }
}

/// An alert already in `teacher_alerts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingAlert<'a> {
    pub teacher_id: &'a str,
    pub alert_type: &'a str,
    pub topic_id: Option<&'a str>,
    pub student_id: Option<&'a str>,
    pub created_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

impl ExistingAlert<'_> {
    fn key(&self) -> DedupKey {
        DedupKey {
            teacher_id: self.teacher_id.to_owned(),
            alert_type: self.alert_type.to_owned(),
            topic_id: self.topic_id.map(str::to_owned),
            student_id: self.student_id.map(str::to_owned),
        }
    }
}

/// Start of the dedup window: today 00:00 UTC (the reference's server-local midnight on Lambda).
pub fn dedup_window_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(86_400_000) * 86_400_000
}

/// Whether an existing alert blocks a new one with `key` (unresolved, created since midnight).
pub fn blocks(existing: &ExistingAlert, key: &DedupKey, now_ms: i64) -> bool {
    existing.resolved_at_ms.is_none()
        && existing.created_at_ms >= dedup_window_start(now_ms)
        && existing.key() == *key
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

/// One generator cycle: the alerts to insert, in insertion order, after the daily dedup
/// against `existing` and against the alerts of this same cycle.
pub fn generate_alerts(
    courses: &[CourseSnapshot],
    existing: &[ExistingAlert],
    now_ms: i64,
) -> Vec<NewAlert> {
    let mut out: Vec<NewAlert> = Vec::new();
    let push = |alert: NewAlert, out: &mut Vec<NewAlert>| {
        let key = alert.dedup_key();
        let dup = existing.iter().any(|e| blocks(e, &key, now_ms))
            || out.iter().any(|a| a.dedup_key() == key);
        if !dup {
            out.push(alert);
        }
    };
    for course in courses {
        let Some(teacher_id) = course.teacher_ids.first() else {
            continue;
        };
        for student in &course.students {
            if let Some(a) = at_risk_alert(teacher_id, course.course_id, student) {
                push(a, &mut out);
            }
            if let Some(a) = student_drop_alert(teacher_id, course.course_id, student, now_ms) {
                push(a, &mut out);
            }
        }
        for a in unit_off_track_alerts(teacher_id, course.course_id, &course.students) {
            push(a, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn generator_order_first_teacher_and_skip_without_teachers() {
        let courses = [
            CourseSnapshot {
                course_id: "none",
                teacher_ids: vec![],
                students: vec![student("x", vec![], None)],
            },
            CourseSnapshot {
                course_id: "c1",
                teacher_ids: vec!["t-first", "t-second"],
                students: vec![student(
                    "ana",
                    vec![m("a", 0.1, "U"), m("b", 0.2, "U")],
                    None,
                )],
            },
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
                ("UNIT_OFF_TRACK", "t-first")
            ]
        );
    }

    #[test]
    fn dedup_is_daily_per_teacher_type_topic_and_student() {
        let s = || student("ana", vec![m("a", 0.1, "U1"), m("b", 0.2, "U1")], None);
        let s2 = || student("bo", vec![m("z", 0.1, "U2")], Some(NOW));
        let courses = [
            CourseSnapshot {
                course_id: "c1",
                teacher_ids: vec!["t"],
                students: vec![s()],
            },
            // Same teacher, same student in another course: no second STUDENT_DROP / AT_RISK, and
            // no second UNIT_OFF_TRACK although it is another unit.
            CourseSnapshot {
                course_id: "c2",
                teacher_ids: vec!["t"],
                students: vec![s(), s2()],
            },
        ];
        let alerts = generate_alerts(&courses, &[], NOW);
        assert_eq!(alerts.len(), 3);
        assert!(alerts.iter().all(|a| a.course_id == "c1"));

        let existing = |created: i64, resolved: Option<i64>| ExistingAlert {
            teacher_id: "t",
            alert_type: "STUDENT_DROP",
            topic_id: None,
            student_id: Some("ana"),
            created_at_ms: created,
            resolved_at_ms: resolved,
        };
        let midnight = dedup_window_start(NOW);
        assert_eq!(midnight, 20_000 * DAY);
        let count_drops = |e: &[ExistingAlert]| {
            generate_alerts(&courses[..1], e, NOW)
                .iter()
                .filter(|a| a.alert_type == AlertType::StudentDrop)
                .count()
        };
        assert_eq!(
            count_drops(&[existing(midnight, None)]),
            0,
            "unresolved since midnight blocks"
        );
        assert_eq!(
            count_drops(&[existing(midnight - 1, None)]),
            1,
            "yesterday's does not"
        );
        assert_eq!(
            count_drops(&[existing(midnight, Some(NOW))]),
            1,
            "resolved does not"
        );
        let other_student = ExistingAlert {
            student_id: Some("bo"),
            ..existing(midnight, None)
        };
        assert_eq!(count_drops(&[other_student]), 1);
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
