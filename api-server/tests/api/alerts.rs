//! `/alerts`: a teacher raises an alert, lists the course's unresolved ones, resolves it (once);
//! what other callers get; bad input refused naming the field, with nothing written.

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{STUDENT1, TEACHER, add_other_teacher};
use crate::support::{TestApp, spawn_seeded};

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn create(app: &TestApp, who: &str, body: &Value) -> (StatusCode, Value) {
    send(
        app.request_as(who, Method::POST, "/alerts")
            .await
            .json(body),
    )
    .await
}

async fn list(app: &TestApp, who: &str, course: &str) -> (StatusCode, Value) {
    let path = format!("/alerts?courseId={course}");
    send(app.request_as(who, Method::GET, &path).await).await
}

async fn resolve(app: &TestApp, who: &str, id: &str) -> (StatusCode, Value) {
    let path = format!("/alerts/{id}/resolve");
    send(app.request_as(who, Method::PATCH, &path).await).await
}

/// A topic of the demo course's curriculum.
async fn course_topic(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM topics WHERE code = 'SUB' ORDER BY id LIMIT 1")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// The stored `(resolved_at, resolved_by)` of an alert, as text.
async fn resolution(app: &TestApp, id: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT resolved_at::text, resolved_by FROM teacher_alerts WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_alert_is_raised_listed_resolved_once_and_leaves_the_list() {
    let app = spawn_seeded().await;
    let other_teacher = add_other_teacher(&app).await;
    let topic = course_topic(&app).await;
    let body = json!({"courseId": COURSE_ID, "topicId": topic, "studentId": STUDENT_IDS[0],
                      "alertType": "AT_RISK_STUDENT"});
    let (status, created) = create(&app, TEACHER, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["statusCode"], 201);
    let alert = created["data"].clone();
    let id = alert["id"].as_str().unwrap().to_owned();
    assert_eq!(alert["teacherId"], TEACHER_ID, "the caller is the teacher");
    assert_eq!(alert["courseId"], COURSE_ID);
    assert_eq!(alert["topicId"], topic.as_str());
    assert_eq!(alert["studentId"], STUDENT_IDS[0]);
    assert_eq!(alert["alertType"], "AT_RISK_STUDENT");
    assert_eq!(alert["severity"], "MED", "the default");
    assert_eq!(alert["payload"], json!({}), "the default");
    assert!(alert["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (alert["resolvedAt"].clone(), alert["resolvedBy"].clone()),
        (Value::Null, Value::Null)
    );

    // The course's teacher sees it, under either parameter name; nobody else does.
    let (status, listed) = list(&app, TEACHER, COURSE_ID).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["data"], json!([alert]));
    let (status, aliased) = send(
        app.request_as(
            TEACHER,
            Method::GET,
            &format!("/alerts?classroomId={COURSE_ID}"),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, aliased["data"].clone()),
        (StatusCode::OK, json!([alert]))
    );
    for who in [other_teacher, STUDENT1] {
        let (status, body) = list(&app, who, COURSE_ID).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
    }

    // Another teacher cannot resolve it, nor learn that it exists.
    let (status, denied) = resolve(&app, other_teacher, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{denied}");
    let (status, unknown) = resolve(&app, TEACHER, "no-such-alert").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(denied["message"], format!("Alert {id} not found"));
    assert_eq!(unknown["message"], "Alert no-such-alert not found");
    assert_eq!(resolution(&app, &id).await, (None, None));

    // Resolved: when and by whom.
    let (status, resolved) = resolve(&app, TEACHER, &id).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let resolved = resolved["data"].clone();
    let teacher_user: String = sqlx::query_scalar("SELECT user_id FROM teachers WHERE id = $1")
        .bind(TEACHER_ID)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(resolved["resolvedBy"], teacher_user.as_str());
    assert!(resolved["resolvedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(resolved["id"], id.as_str());
    let stored = resolution(&app, &id).await;

    // Twice: the same answer, nothing written.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, again) = resolve(&app, TEACHER, &id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["data"], resolved);
    assert_eq!(resolution(&app, &id).await, stored);

    let (status, listed) = list(&app, TEACHER, COURSE_ID).await;
    assert_eq!(
        (status, listed["data"].clone()),
        (StatusCode::OK, json!([]))
    );
    assert_eq!(app.count("teacher_alerts").await, 1);
}

#[tokio::test]
async fn bad_alert_input_is_a_400_naming_the_field_and_writes_nothing() {
    let app = spawn_seeded().await;
    let good = json!({"courseId": COURSE_ID, "alertType": "STUDENT_DROP", "severity": "HIGH",
                      "payload": {"daysInactive": 4}});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    for (body, field) in [
        (with("alertType", json!("NOT_A_TYPE")), "alertType"),
        (with("severity", json!("MEDIUM")), "severity"),
        (with("payload", json!([1, 2])), "payload"),
        (without("alertType"), "alertType is required"),
        (without("courseId"), "courseId is required"),
        (with("courseId", json!(" ")), "courseId should not be empty"),
        (
            with("studentId", json!("")),
            "studentId should not be empty",
        ),
        (
            with("resolvedAt", json!("2026-01-01")),
            "property resolvedAt should not exist",
        ),
        (
            with("payload", json!({"note": "a\u{0}b"})),
            "payload.note must not contain NUL characters",
        ),
        (
            with("topicId", json!("t\u{0}")),
            "topicId must not contain NUL characters",
        ),
    ] {
        let (status, answer) = create(&app, TEACHER, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            answer["message"].to_string().contains(field),
            "{body}: {answer} does not name {field}"
        );
    }
    for (path, field) in [
        ("/alerts", "courseId is required"),
        ("/alerts?courseId=", "courseId should not be empty"),
        (
            &format!("/alerts?courseId={COURSE_ID}&status=open") as &str,
            "property status should not exist",
        ),
        (
            &format!("/alerts?courseId={COURSE_ID}&classroomId=other") as &str,
            "classroomId must equal courseId",
        ),
        (
            "/alerts?courseId=x%00",
            "courseId must not contain NUL characters",
        ),
    ] {
        let (status, answer) = send(app.request_as(TEACHER, Method::GET, path).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(
            answer["message"].to_string().contains(field),
            "{path}: {answer} does not name {field}"
        );
    }
    // Authentication first: without a token, bad parameters and bodies are a 401.
    let (status, _) = send(app.http.get(format!("{}/alerts?status=open", app.base_url))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        app.http
            .post(format!("{}/alerts", app.base_url))
            .json(&json!({"x": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("teacher_alerts").await, 0);
    // The good body is good.
    let (status, answer) = create(&app, TEACHER, &good).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["data"]["severity"], "HIGH");
    assert_eq!(answer["data"]["payload"], json!({"daysInactive": 4}));
}

#[tokio::test]
async fn references_outside_the_course_are_refused_naming_the_field() {
    let app = spawn_seeded().await;
    let other_teacher = add_other_teacher(&app).await;
    sqlx::raw_sql(
        "INSERT INTO users (id, supabase_uid, email, auth_role, updated_at) VALUES
            ('u-other-student', 'sub-other-student', 'other.student@example.com', 'student', CURRENT_TIMESTAMP);
         INSERT INTO students (id, user_id, display_name) VALUES ('other-student', 'u-other-student', 'Other');
         INSERT INTO enrollments (id, course_id, student_id) VALUES ('e-other', 'other-course', 'other-student');
         INSERT INTO subjects (id, code, name) VALUES ('s-phys', 'PHYS', 'Física');
         INSERT INTO curricula (id, subject_id, name) VALUES ('c-phys', 's-phys', 'Física');
         INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
            VALUES ('u-phys', 'c-phys', 8, 1, 'MOV', 'Movimiento');
         INSERT INTO topics (id, unit_id, code, name) VALUES ('t-phys', 'u-phys', 'VEL', 'Velocidad');",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let body = |extra: Value| {
        let mut b = json!({"courseId": COURSE_ID, "alertType": "COMMON_ERROR_IN_TOPIC"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, message) in [
        (
            json!({"studentId": "other-student"}),
            format!("studentId: student other-student is not enrolled in course {COURSE_ID}"),
        ),
        (
            json!({"studentId": "no-such-student"}),
            "studentId: student no-such-student does not exist".to_string(),
        ),
        (
            json!({"topicId": "t-phys"}),
            format!("topicId: topic t-phys is not in the curriculum of course {COURSE_ID}"),
        ),
        (
            json!({"topicId": "no-such-topic"}),
            "topicId: topic no-such-topic does not exist".to_string(),
        ),
        (
            json!({"teacherId": "other-teacher"}),
            "teacherId: other-teacher is not the caller's teacher profile".to_string(),
        ),
    ] {
        let (status, answer) = create(&app, TEACHER, &body(extra.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{extra}: {answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().starts_with(&message),
            "{extra}: {answer}"
        );
    }
    // A course the caller does not teach: the policy's 403, whatever else the body says.
    let mut foreign = body(json!({"studentId": "other-student"}));
    foreign["courseId"] = json!("other-course");
    let (status, answer) = create(&app, TEACHER, &foreign).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(app.count("teacher_alerts").await, 0);

    // The same body is fine for the other course's teacher; a teacherId naming oneself too.
    let (status, answer) = create(&app, other_teacher, &foreign).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["data"]["teacherId"], "other-teacher");
    let (status, answer) = create(&app, TEACHER, &body(json!({"teacherId": TEACHER_ID}))).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(app.count("teacher_alerts").await, 2);
}
