//! The alert generator against real PostgreSQL: the demo course, taught by two teachers, with
//! mastery, attempt and guide histories that trigger every rule → exactly the expected alerts
//! for both teachers; a second run adds nothing; a resolved alert is not re-created the same
//! day (and is, once it was resolved before today); two runs at once insert each alert once;
//! the hourly-alerts killswitch stops a scheduled cycle.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use innova_app::App;
use innova_app::alert_generator;
use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::killswitch::Killswitch;
use innova_core::services::{Runtime, Services};
use innova_testkit::{TestDb, World};
use serde_json::{Value, json};

const SECOND_TEACHER: &str = "t-teacher-two";

/// The seeded demo course with a second teacher and the histories of the module doc:
/// * student 1: two topics of unit A below 0.4 (0.1, 0.2), practised now → AT_RISK_STUDENT;
/// * student 2: one topic of unit B at 0.9, practised now → nothing;
/// * students 3 and 4: their last attempts are their guide submissions, 5 days ago, and
///   student 5 never practised → STUDENT_DROP each;
/// * unit A's mean is 0.15 → UNIT_OFF_TRACK (unit B's 0.9 is fine);
/// * a guide in REVIEW → GUIDE_READY_FOR_REVIEW;
/// * a published guide due yesterday, graded for students 1–4 (student 5 missing), where
///   students 1–3 made the same error on question 1 → GUIDE_GRADING_COMPLETE (MED, one
///   missing) and GUIDE_COMMON_ERROR (3 of 4 students).
async fn world() -> (TestDb, App, Fixture) {
    let db = innova_testkit::seeded_db().await;
    World::demo()
        .teacher(SECOND_TEACHER, "second.teacher@example.com")
        .taught_by(COURSE_ID, SECOND_TEACHER)
        .insert(&db.pool)
        .await;
    let topics: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.id, t.code, u.id FROM topics t JOIN units u ON u.id = t.unit_id
         WHERE u.curriculum_id = 'seed-curriculum-001' ORDER BY u.id, t.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // Two topics of one unit and one of another.
    let unit_a = topics[0].2.clone();
    let a: Vec<_> = topics
        .iter()
        .filter(|t| t.2 == unit_a)
        .take(2)
        .cloned()
        .collect();
    let b = topics.iter().find(|t| t.2 != unit_a).unwrap().clone();
    assert_eq!(a.len(), 2, "the seed has a unit with two topics");
    let tag: (String, String, String) = sqlx::query_as(
        "SELECT id, code, name FROM error_tags WHERE status = 'ACTIVE' ORDER BY code LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();

    let mastery = |student: &str, topic: &str, p: f64| {
        format!(
            "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, updated_at)
             VALUES ('{student}', '{topic}', {p}, CURRENT_TIMESTAMP);"
        )
    };
    let attempt = |id: &str, student: &str, age: &str, tag: Option<&str>, correct: bool| {
        let tag = tag.map_or("NULL".to_owned(), |t| format!("'{t}'"));
        format!(
            "INSERT INTO attempts (id, student_id, course_id, is_correct, error_tag_id, trace_id,
                                   created_at, updated_at)
             VALUES ('{id}', '{student}', '{COURSE_ID}', {correct}, {tag}, 'trace',
                     CURRENT_TIMESTAMP - interval '{age}', CURRENT_TIMESTAMP);"
        )
    };
    let mut sql = String::new();
    sql += &mastery(STUDENT_IDS[0], &a[0].0, 0.1);
    sql += &mastery(STUDENT_IDS[0], &a[1].0, 0.2);
    sql += &mastery(STUDENT_IDS[1], &b.0, 0.9);
    sql += &attempt("t-att-now-1", STUDENT_IDS[0], "1 minute", None, true);
    sql += &attempt("t-att-now-2", STUDENT_IDS[1], "1 minute", None, true);
    sql += &format!(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key,
                             question_count, trace_id, updated_at)
         VALUES ('t-guide-review', '{COURSE_ID}', '{TEACHER_ID}', 'Restas', 'REVIEW',
                 'guides/uploads/r.pdf', 3, 'trace', CURRENT_TIMESTAMP),
                ('t-guide-pub', '{COURSE_ID}', '{TEACHER_ID}', 'Fracciones', 'PUBLISHED',
                 'guides/uploads/p.pdf', 1, 'trace', CURRENT_TIMESTAMP);
         UPDATE guides SET due_at = CURRENT_TIMESTAMP - interval '1 day',
                           published_at = CURRENT_TIMESTAMP - interval '7 days'
         WHERE id = 't-guide-pub';
         INSERT INTO guide_questions (id, guide_id, sequence, label, statement_latex, status,
                                      topic_id, updated_at)
         VALUES ('t-q1', 't-guide-pub', 1, '1.a', '3/4 - 1/4', 'APPROVED', '{}', CURRENT_TIMESTAMP);",
        a[0].0
    );
    for (i, student) in STUDENT_IDS[..4].iter().enumerate() {
        let correct = i == 3;
        let attempt_id = format!("t-att-sub-{i}");
        sql += &attempt(
            &attempt_id,
            student,
            "5 days",
            (!correct).then_some(tag.0.as_str()),
            correct,
        );
        sql += &format!(
            "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, status,
                                            attempt_id, is_correct, trace_id, graded_at, updated_at)
             VALUES ('t-sub-{i}', 't-guide-pub', 't-q1', '{student}', 'GRADED', '{attempt_id}',
                     {correct}, 'trace', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
        );
    }
    sqlx::raw_sql(&sql).execute(&db.pool).await.unwrap();

    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova"),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    let fixture = Fixture {
        unit_a,
        tag_code: tag.1,
        tag_name: tag.2,
        topic_a0: a[0].0.clone(),
    };
    (db, app, fixture)
}

struct Fixture {
    unit_a: String,
    tag_code: String,
    tag_name: String,
    topic_a0: String,
}

/// (teacher, type, severity, student) of every stored alert.
async fn stored(db: &TestDb) -> BTreeSet<(String, String, String, Option<String>)> {
    sqlx::query_as("SELECT teacher_id, alert_type, severity, student_id FROM teacher_alerts")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn payload(db: &TestDb, teacher: &str, alert_type: &str) -> Value {
    sqlx::query_scalar(
        "SELECT payload FROM teacher_alerts WHERE teacher_id = $1 AND alert_type = $2",
    )
    .bind(teacher)
    .bind(alert_type)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

fn expected() -> BTreeSet<(String, String, String, Option<String>)> {
    let mut out = BTreeSet::new();
    for teacher in [TEACHER_ID, SECOND_TEACHER] {
        let mut add = |t: &str, sev: &str, student: Option<&str>| {
            out.insert((
                teacher.into(),
                t.into(),
                sev.into(),
                student.map(Into::into),
            ));
        };
        add("AT_RISK_STUDENT", "HIGH", Some(STUDENT_IDS[0]));
        for s in &STUDENT_IDS[2..] {
            add("STUDENT_DROP", "MED", Some(s));
        }
        add("UNIT_OFF_TRACK", "HIGH", None);
        add("GUIDE_READY_FOR_REVIEW", "MED", None);
        add("GUIDE_GRADING_COMPLETE", "MED", None);
        add("GUIDE_COMMON_ERROR", "MED", None);
    }
    out
}

#[tokio::test]
async fn every_rule_fires_for_every_teacher_once() {
    let (db, app, f) = world().await;

    let report = alert_generator::run(&app, Utc::now()).await.unwrap();
    assert_eq!(report.inserted, 16, "{report:?}");
    assert_eq!(report.courses_written, 1);
    assert_eq!(stored(&db).await, expected());

    // The reference's payloads, for both teachers.
    for teacher in [TEACHER_ID, SECOND_TEACHER] {
        let at_risk = payload(&db, teacher, "AT_RISK_STUDENT").await;
        assert_eq!(
            at_risk["message"],
            "Diego Vega tiene p_known < 0.4 en 2 temas"
        );
        assert_eq!(at_risk["topics"].as_array().unwrap().len(), 2);
        let unit = payload(&db, teacher, "UNIT_OFF_TRACK").await;
        assert_eq!(unit["unitId"], json!(f.unit_a));
        assert_eq!(unit["avgPKnown"], json!(0.15000000000000002));
    }
    let common = payload(&db, TEACHER_ID, "GUIDE_COMMON_ERROR").await;
    assert_eq!(
        common,
        json!({
            "message": format!("3 de 4 estudiantes cometen \"{}\" en la pregunta 1.a de \"Fracciones\"", f.tag_name),
            "guideId": "t-guide-pub", "questionId": "t-q1", "errorTagCode": f.tag_code,
            "students": 3, "gradedStudents": 4,
        })
    );
    let topic: Option<String> = sqlx::query_scalar(
        "SELECT topic_id FROM teacher_alerts WHERE alert_type = 'GUIDE_COMMON_ERROR' LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        topic.as_deref(),
        Some(f.topic_a0.as_str()),
        "the question's topic"
    );
    assert_eq!(
        payload(&db, SECOND_TEACHER, "GUIDE_GRADING_COMPLETE").await,
        json!({"message": "Guía \"Fracciones\" corregida: 4 de 5 estudiantes entregaron",
               "guideId": "t-guide-pub", "gradedStudents": 4, "missingStudents": 1})
    );

    // Running again inserts nothing.
    let again = alert_generator::run(&app, Utc::now()).await.unwrap();
    assert_eq!(again.inserted, 0);
    assert_eq!(stored(&db).await, expected());
}

#[tokio::test]
async fn a_resolved_alert_comes_back_only_on_a_later_day() {
    let (db, app, _) = world().await;
    // One instant for the whole story, and every timestamp written relative to it: the story
    // holds whatever the clock does meanwhile (midnight UTC included).
    let now = Utc::now();
    let at = |days: i64| (now - chrono::Duration::days(days)).naive_utc();
    alert_generator::run(&app, now).await.unwrap();
    let resolve = "UPDATE teacher_alerts SET created_at = $3, resolved_at = $3, resolved_by = 'u'
                   WHERE teacher_id = $1 AND alert_type = 'STUDENT_DROP' AND student_id = $2";
    sqlx::query(resolve)
        .bind(TEACHER_ID)
        .bind(STUDENT_IDS[4])
        .bind(at(0))
        .execute(&db.pool)
        .await
        .unwrap();
    let same_day = alert_generator::run(&app, now).await.unwrap();
    assert_eq!(
        same_day.inserted, 0,
        "not re-created the day it was resolved"
    );

    // The same alert, raised and resolved yesterday: the condition holds, so it is raised again.
    sqlx::query(resolve)
        .bind(TEACHER_ID)
        .bind(STUDENT_IDS[4])
        .bind(at(1))
        .execute(&db.pool)
        .await
        .unwrap();
    let next_day = alert_generator::run(&app, now).await.unwrap();
    assert_eq!(next_day.inserted, 1);
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM teacher_alerts
         WHERE teacher_id = $1 AND alert_type = 'STUDENT_DROP' AND student_id = $2
           AND resolved_at IS NULL",
    )
    .bind(TEACHER_ID)
    .bind(STUDENT_IDS[4])
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(open, 1);
}

#[tokio::test]
async fn concurrent_runs_insert_each_alert_once() {
    let (db, app, _) = world().await;
    let runs =
        futures::future::join_all((0..4).map(|_| alert_generator::run(&app, Utc::now()))).await;
    let inserted: u64 = runs.into_iter().map(|r| r.unwrap().inserted).sum();
    assert_eq!(inserted, 16);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM teacher_alerts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 16);
}

#[tokio::test]
async fn a_paused_schedule_reads_and_writes_nothing() {
    let (db, app, _) = world().await;
    app.services
        .killswitches
        .set_paused(Killswitch::HourlyAlerts, true)
        .await
        .unwrap();
    let report = innova_workers::alert_generator::run_scheduled(&app)
        .await
        .unwrap();
    assert_eq!(report, None);
    assert!(stored(&db).await.is_empty());

    app.services
        .killswitches
        .set_paused(Killswitch::HourlyAlerts, false)
        .await
        .unwrap();
    let report = innova_workers::alert_generator::run_scheduled(&app)
        .await
        .unwrap()
        .expect("running again");
    assert_eq!(report.inserted, 16);
}

/// The AI engine raises GUIDE_READY_FOR_REVIEW itself when it moves a guide to REVIEW (its
/// solution generator's SQL: snake_case payload, the guide's teacher and course), and its
/// hourly job raises the other types with a `dedup_ref`: each is the same alert as ours, so the
/// teacher gets one per subject, whoever raised it.
#[tokio::test]
async fn an_alert_the_ai_engine_raised_is_not_raised_again() {
    let (db, app, f) = world().await;
    sqlx::query(
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, alert_type, severity, payload)
         VALUES (gen_random_uuid(), $1, $2, 'GUIDE_READY_FOR_REVIEW', 'MED', $3::jsonb)",
    )
    .bind(TEACHER_ID)
    .bind(COURSE_ID)
    .bind(r#"{"guide_id":"t-guide-review","title":"Restas","question_count":3,"needs_review_count":0}"#)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, topic_id, student_id, alert_type, severity, payload)
         SELECT gen_random_uuid(), $1, $2, NULL, NULL, 'UNIT_OFF_TRACK', 'HIGH', $3::jsonb",
    )
    .bind(TEACHER_ID)
    .bind(COURSE_ID)
    .bind(format!(
        r#"{{"course_id":"{COURSE_ID}","unit_id":"{}","unit_code":"U1","avg_pknown":0.15,"sample_size":2,"dedup_ref":"{}"}}"#,
        f.unit_a, f.unit_a
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let report = alert_generator::run(&app, Utc::now()).await.unwrap();
    assert_eq!(
        report.inserted, 14,
        "two of the sixteen were already raised by the engine"
    );
    for alert_type in ["GUIDE_READY_FOR_REVIEW", "UNIT_OFF_TRACK"] {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM teacher_alerts WHERE teacher_id = $1 AND alert_type = $2",
        )
        .bind(TEACHER_ID)
        .bind(alert_type)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(n, 1, "{alert_type}: the engine's, not a second one");
    }
    // The other teacher of the course gets ours, as before.
    let theirs = payload(&db, SECOND_TEACHER, "GUIDE_READY_FOR_REVIEW").await;
    assert_eq!(theirs["guideId"], "t-guide-review");
}
