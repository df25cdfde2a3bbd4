//! `/parent` end to end: a parent with a confirmed link sees their child and the child's summary
//! — bands per unit of the child's curriculum, never numbers, the recent guides of the child's
//! courses, the open alerts — and nothing that identifies photos or steps; with an unconfirmed
//! link, or for someone else's child, 403.

use innova_api_client::types;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{PARENT, STUDENT1, TEACHER};
use crate::support::{PARENT_B_EMAIL, TestApp, spawn_seeded, two_courses};

const CHILD: &str = STUDENT_IDS[0];

async fn send_as(app: &TestApp, who: &str, method: Method, path: &str) -> (StatusCode, Value) {
    let resp = app
        .request_as(who, method, path)
        .await
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// The child's mastery: 0.9 on every topic of the ARITH unit, 0.5 on every topic of FRACT;
/// nothing elsewhere (the prior 0.3 counts there).
async fn seed_mastery(app: &TestApp) {
    sqlx::query(
        "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, updated_at)
         SELECT $1, t.id, CASE u.code WHEN 'ARITH' THEN 0.9 ELSE 0.5 END, CURRENT_TIMESTAMP
         FROM topics t JOIN units u ON u.id = t.unit_id
         WHERE u.code IN ('ARITH', 'FRACT')",
    )
    .bind(CHILD)
    .execute(app.pool())
    .await
    .unwrap();
}

/// A published guide of the child's course with two approved questions, one graded for the
/// child (whose submission has photos), and a guide still in review.
async fn seed_guides(app: &TestApp) {
    sqlx::raw_sql(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key,
                             trace_id, updated_at, published_at, due_at) VALUES
            ('g-pub', 'seed-course-001', 'seed-teacher-001', 'Restas con préstamo', 'PUBLISHED',
             'guides/g-pub.pdf', 't1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '2026-06-01 12:00:00'),
            ('g-review', 'seed-course-001', 'seed-teacher-001', 'Borrador', 'REVIEW',
             'guides/g-review.pdf', 't2', CURRENT_TIMESTAMP, NULL, NULL);
         INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, updated_at) VALUES
            ('q-1', 'g-pub', 1, '53 - 26', 'APPROVED', CURRENT_TIMESTAMP),
            ('q-2', 'g-pub', 2, '72 - 48', 'APPROVED', CURRENT_TIMESTAMP);
         INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, status,
                                        photo_keys, transcription_latex, trace_id, updated_at) VALUES
            ('s-1', 'g-pub', 'q-1', 'seed-student-001', 'GRADED',
             ARRAY['submissions/seed-student-001/p1.jpg'], '53 - 26 = 33', 'ts', CURRENT_TIMESTAMP);",
    )
    .execute(app.pool())
    .await
    .unwrap();
}

/// Every object key of a JSON value, and every number with the key it sits under.
fn walk<'a>(v: &'a Value, key: &'a str, keys: &mut Vec<&'a str>, numbers: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                keys.push(k);
                walk(v, k, keys, numbers);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, key, keys, numbers)),
        Value::Number(_) => numbers.push(key),
        _ => {}
    }
}

#[tokio::test]
async fn a_confirmed_parent_sees_bands_guides_and_alerts_and_an_unconfirmed_one_nothing() {
    let app = spawn_seeded().await;
    two_courses().insert(app.pool()).await;
    seed_mastery(&app).await;
    seed_guides(&app).await;
    // The child's teacher raises two alerts about the child and resolves one.
    let mut alert_ids = Vec::new();
    for alert_type in ["STUDENT_DROP", "AT_RISK_STUDENT"] {
        let body = json!({"courseId": COURSE_ID, "studentId": CHILD, "alertType": alert_type,
                          "severity": "HIGH", "payload": {"note": "secreto del profesor"}});
        let resp = app
            .request_as(TEACHER, Method::POST, "/alerts")
            .await
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let created: Value = resp.json().await.unwrap();
        alert_ids.push(created["data"]["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/alerts/{}/resolve", alert_ids[0]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The confirmed parent: their child, through the generated client.
    let parent = app.client_for(PARENT).await;
    let children = parent
        .parent_children()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(children.len(), 1);
    assert_eq!(
        (
            children[0].student_id.as_str(),
            children[0].display_name.as_str(),
            children[0].relationship.as_str()
        ),
        (CHILD, "Diego Vega", "PADRE")
    );
    let summary = parent
        .parent_child()
        .student_id(CHILD)
        .send()
        .await
        .expect("200")
        .into_inner()
        .data;
    assert_eq!(
        (
            summary.student.id.as_str(),
            summary.student.display_name.as_str()
        ),
        (CHILD, "Diego Vega")
    );
    // Every unit of the child's curriculum, in teaching order, banded.
    assert_eq!(summary.units.len(), 19);
    let band = |code: &str| {
        summary
            .units
            .iter()
            .find(|u| u.code == code)
            .unwrap_or_else(|| panic!("no unit {code}"))
            .band
    };
    assert_eq!(band("ARITH"), types::MasteryBand::High, "0.9 everywhere");
    assert_eq!(band("FRACT"), types::MasteryBand::Mid, "0.5 everywhere");
    assert_eq!(
        band("U3-5B-FRACCIONES"),
        types::MasteryBand::Low,
        "the prior 0.3"
    );
    assert_eq!(band("GEOM"), types::MasteryBand::Low);
    let order: Vec<&str> = summary
        .units
        .iter()
        .take(3)
        .map(|u| u.code.as_str())
        .collect();
    assert_eq!(order, ["ARITH", "U1-3B-NUMEROS", "INT"]);
    // The published guide with the child's progress; the one in review is not shown.
    assert_eq!(summary.recent_guides.len(), 1);
    let guide = &summary.recent_guides[0];
    assert_eq!(
        (guide.id.as_str(), guide.title.as_str(), guide.status),
        (
            "g-pub",
            "Restas con préstamo",
            types::GuideStatus::Published
        )
    );
    assert_eq!((guide.graded_questions, guide.total_questions), (1, 2));
    assert_eq!(guide.due_at.as_deref(), Some("2026-06-01T12:00:00.000Z"));
    // The open alert only, without its payload.
    assert_eq!(summary.alerts.len(), 1);
    assert_eq!(summary.alerts[0].id, alert_ids[1]);
    assert_eq!(
        (summary.alerts[0].alert_type, summary.alerts[0].severity),
        (types::AlertType::AtRiskStudent, types::AlertSeverity::High)
    );

    // No raw numbers, no photos, no steps, no teacher notes: in the raw body, the only numbers
    // are question counts (and the envelope's status).
    let (status, raw) = send_as(
        &app,
        PARENT,
        Method::GET,
        &format!("/parent/children/{CHILD}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (mut keys, mut numbers) = (Vec::new(), Vec::new());
    walk(&raw, "", &mut keys, &mut numbers);
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers, ["gradedQuestions", "statusCode", "totalQuestions"]);
    for forbidden in [
        "pKnown",
        "photoKeys",
        "photoUrls",
        "url",
        "steps",
        "payload",
        "transcriptionLatex",
    ] {
        assert!(!keys.contains(&forbidden), "{forbidden} in {raw}");
    }
    let text = raw.to_string();
    for leak in ["submissions/", "53 - 26 = 33", "secreto"] {
        assert!(!text.contains(leak), "{leak} leaks: {text}");
    }

    // The unconfirmed parent sees no child and gets 403 for this one.
    let (status, theirs) = send_as(&app, PARENT_B_EMAIL, Method::GET, "/parent/children").await;
    assert_eq!(
        (status, theirs["data"].clone()),
        (StatusCode::OK, json!([]))
    );
    let (status, denied) = send_as(
        &app,
        PARENT_B_EMAIL,
        Method::GET,
        &format!("/parent/children/{CHILD}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");
    assert_eq!(
        denied["message"],
        "This child is not linked to your account"
    );
    // Nor does the confirmed parent see someone else's child; other roles are refused.
    let other = format!("/parent/children/{}", STUDENT_IDS[1]);
    let (status, _) = send_as(&app, PARENT, Method::GET, &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send_as(
        &app,
        PARENT,
        Method::GET,
        "/parent/children/no-such-student",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no link, whether or not the student exists"
    );
    for who in [TEACHER, STUDENT1] {
        let (status, _) =
            send_as(&app, who, Method::GET, &format!("/parent/children/{CHILD}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = send_as(&app, who, Method::GET, "/parent/children").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn a_child_in_no_course_has_no_units_and_no_guides() {
    let app = spawn_seeded().await;
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(CHILD)
        .execute(app.pool())
        .await
        .unwrap();
    seed_guides(&app).await;
    let (status, body) = send_as(
        &app,
        PARENT,
        Method::GET,
        &format!("/parent/children/{CHILD}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["units"], json!([]));
    assert_eq!(body["data"]["recentGuides"], json!([]));
    assert_eq!(body["data"]["alerts"], json!([]));
    // A NUL byte in the path is refused at the edge.
    let (status, _) = send_as(&app, PARENT, Method::GET, "/parent/children/x%00").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
