//! `/classrooms` end to end: a teacher creates a course and invites; two students join with the
//! code, a third finds it used up, a fourth joins after a week and finds it expired; who may see
//! the course; archiving once. Concurrent joins never exceed a code's use limit. Bad input is a
//! 400 naming the field, and nothing is written.

use innova_api_client::types;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_testkit::World;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, PARENT, STUDENT1, STUDENT2, TEACHER, add_other_teacher};
use crate::support::{TestApp, message, send_as, spawn_seeded, spawn_seeded_with};

const STUDENT3: &str = "student3@innova.demo";
const STUDENT4: &str = "student4@innova.demo";

/// A request body of the generated client's type, written as JSON.
pub fn body<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).expect("a valid body")
}

fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

/// `(use_count, enrollments in the course)`.
async fn uses_and_members(app: &TestApp, code: &str, course: &str) -> (i32, i64) {
    let uses = sqlx::query_scalar("SELECT use_count FROM classroom_invites WHERE code = $1")
        .bind(code)
        .fetch_one(app.pool())
        .await
        .unwrap();
    let members = sqlx::query_scalar("SELECT count(*) FROM enrollments WHERE course_id = $1")
        .bind(course)
        .fetch_one(app.pool())
        .await
        .unwrap();
    (uses, members)
}

async fn join(app: &TestApp, who: &str, code: &str) -> (StatusCode, Value) {
    send_as(
        app,
        who,
        Method::POST,
        "/classrooms/join",
        Some(json!({ "code": code })),
    )
    .await
}

#[tokio::test]
async fn a_teacher_creates_a_course_invites_and_students_join_until_the_code_runs_out_or_expires() {
    let app = spawn_seeded_with(&[("PUBLIC_APP_URL", "https://app.example/")]).await;
    let teacher = app.client_for(TEACHER).await;

    // The course: named after grade, letter and subject; taught by the caller; this year.
    let course = teacher
        .classrooms_create()
        .body(body::<types::CreateClassroom>(
            json!({"gradeLevel": 11, "letter": "b", "description": "no se guarda"}),
        ))
        .send()
        .await
        .expect("201");
    assert_eq!(course.status(), 201);
    let course = course.into_inner().data;
    assert_eq!(course.name, "III medio B · Matemáticas");
    assert_eq!(
        (
            course.grade_level,
            course.letter.as_deref(),
            course.academic_year
        ),
        (11, Some("b"), chrono::Datelike::year(&chrono::Utc::now()))
    );
    assert_eq!(
        (course.school_id.as_str(), course.subject_id.as_str()),
        ("seed-school-001", "seed-subject-001")
    );
    assert_eq!(course.archived_at, None);
    let role: String = sqlx::query_scalar(
        "SELECT role FROM course_teachers WHERE course_id = $1 AND teacher_id = $2",
    )
    .bind(&course.id)
    .bind(TEACHER_ID)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(role, "LEAD");
    let mine = teacher
        .classrooms_mine()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let mine: Vec<&str> = mine.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(mine, [COURSE_ID, course.id.as_str()]);

    // An invitation for two joins, valid three days; the link points at the app.
    let invite = teacher
        .classrooms_invite()
        .id(&course.id)
        .body(body::<types::CreateInvite>(
            json!({"maxUses": 2, "expiresInDays": 3}),
        ))
        .send()
        .await
        .expect("201")
        .into_inner()
        .data;
    assert_eq!(invite.code.len(), 25);
    assert_eq!(
        invite.url,
        format!("https://app.example/join?code={}", invite.code)
    );
    assert_eq!(invite.max_uses, Some(2));
    let expires = chrono::DateTime::parse_from_rfc3339(invite.expires_at.as_deref().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let in_three_days = chrono::Utc::now() + chrono::Duration::days(3);
    assert!(
        (expires - in_three_days).num_seconds().abs() < 60,
        "{expires}"
    );

    // Two students join with it; each sees the course, and may read it.
    for who in [STUDENT2, STUDENT3] {
        let student = app.client_for(who).await;
        let joined = student
            .classrooms_join()
            .body(types::JoinClassroom::builder().code(invite.code.as_str()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        assert_eq!(joined.status(), 201);
        assert_eq!(joined.into_inner().data.id, course.id);
        let theirs = student
            .classrooms_student_mine()
            .send()
            .await
            .unwrap()
            .into_inner()
            .data;
        let theirs: Vec<&str> = theirs.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(theirs, [COURSE_ID, course.id.as_str()], "{who}");
        let read = student
            .classrooms_get()
            .id(&course.id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data;
        assert_eq!(read.map(|c| c.name), Some(course.name.clone()));
    }
    assert_eq!(
        uses_and_members(&app, &invite.code, &course.id).await,
        (2, 2)
    );

    // The third finds it used up, and nothing is written.
    let (status, body) = join(&app, STUDENT4, &invite.code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        message(&body),
        json!(["Invitation code has reached its usage limit"]).to_string()
    );
    assert_eq!(
        uses_and_members(&app, &invite.code, &course.id).await,
        (2, 2)
    );
    // A student already in the course who opens the link again just gets the course.
    let (status, again) = join(&app, STUDENT2, &invite.code).await;
    assert_eq!(
        (status, again["data"]["id"].as_str()),
        (StatusCode::CREATED, Some(course.id.as_str()))
    );
    assert_eq!(
        uses_and_members(&app, &invite.code, &course.id).await,
        (2, 2)
    );

    // A second invitation, with the defaults: a week, unlimited (the body may be left out).
    let (status, open) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/classrooms/{}/invite", course.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    let open_code = open["data"]["code"].as_str().unwrap().to_owned();
    assert_eq!(open["data"]["maxUses"], Value::Null);
    let expires = chrono::DateTime::parse_from_rfc3339(open["data"]["expiresAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let in_a_week = chrono::Utc::now() + chrono::Duration::days(7);
    assert!((expires - in_a_week).num_seconds().abs() < 60, "{expires}");
    // A week and a minute pass: the fourth student is too late.
    sqlx::query(
        "UPDATE classroom_invites SET expires_at = CURRENT_TIMESTAMP - interval '1 minute'
         WHERE code = $1",
    )
    .bind(&open_code)
    .execute(app.pool())
    .await
    .unwrap();
    let (status, body) = join(&app, STUDENT4, &open_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        message(&body),
        json!(["Invitation code has expired"]).to_string()
    );
    assert_eq!(uses_and_members(&app, &open_code, &course.id).await, (0, 2));
    let (status, body) = join(&app, STUDENT4, "c-no-such-code").await;
    assert_eq!(
        (status, message(&body).as_str()),
        (StatusCode::NOT_FOUND, "Invalid invitation code")
    );

    // Who may read the course: its teachers, its students, admins; not others.
    let other_teacher = add_other_teacher(&app).await;
    let path = format!("/classrooms/{}", course.id);
    for (who, expected) in [
        (TEACHER, StatusCode::OK),
        (ADMIN, StatusCode::OK),
        (STUDENT3, StatusCode::OK),
        (STUDENT4, StatusCode::FORBIDDEN),
        (STUDENT1, StatusCode::FORBIDDEN),
        (other_teacher, StatusCode::FORBIDDEN),
        (PARENT, StatusCode::FORBIDDEN),
    ] {
        let (status, body) = send_as(&app, who, Method::GET, &path, None).await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    // For an admin an unknown id is `null`, as the reference answered.
    let (status, body) = send_as(&app, ADMIN, Method::GET, "/classrooms/no-such", None).await;
    assert_eq!((status, &body["data"]), (StatusCode::OK, &Value::Null));
    // Another teacher can neither invite to it nor archive it.
    for method in [Method::POST, Method::DELETE] {
        let path = match method {
            Method::POST => format!("/classrooms/{}/invite", course.id),
            _ => path.clone(),
        };
        let (status, body) = send_as(&app, other_teacher, method, &path, Some(json!({}))).await;
        assert_eq!(
            (status, message(&body).as_str()),
            (StatusCode::FORBIDDEN, "You do not own this course")
        );
    }

    // Archived: off the teacher's list, still on the students'; not twice; closed to joins.
    let archived = teacher
        .classrooms_archive()
        .id(&course.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    // The archived course itself, as the web app parses it (id, name, gradeLevel).
    assert_eq!(
        (
            archived.id.as_str(),
            archived.name.as_str(),
            archived.grade_level
        ),
        (course.id.as_str(), course.name.as_str(), course.grade_level)
    );
    assert!(
        archived
            .archived_at
            .as_deref()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let (_, mine) = send_as(&app, TEACHER, Method::GET, "/classrooms/mine", None).await;
    assert_eq!(ids(&mine), [COURSE_ID]);
    let (_, theirs) = send_as(
        &app,
        STUDENT2,
        Method::GET,
        "/classrooms/student/mine",
        None,
    )
    .await;
    assert_eq!(ids(&theirs), [COURSE_ID, course.id.as_str()]);
    assert!(
        theirs["data"][1]["archivedAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let (status, body) = send_as(&app, TEACHER, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(message(&body).contains("already archived"), "{body}");
    let (status, body) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/classrooms/{}/invite", course.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let fresh: String = sqlx::query_scalar(
        "INSERT INTO classroom_invites (id, code, course_id, created_by)
         VALUES ('i-late', 'c-late', $1, $2) RETURNING code",
    )
    .bind(&course.id)
    .bind(TEACHER_ID)
    .fetch_one(app.pool())
    .await
    .unwrap();
    let (status, body) = join(&app, STUDENT4, &fresh).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(uses_and_members(&app, &fresh, &course.id).await, (0, 2));
}

#[tokio::test]
async fn a_student_who_left_is_back_after_joining_and_roles_are_kept_apart() {
    let app = spawn_seeded().await;
    sqlx::query(
        "UPDATE enrollments SET status = 'LEFT', left_at = CURRENT_TIMESTAMP WHERE student_id = $1",
    )
    .bind(STUDENT_IDS[0])
    .execute(app.pool())
    .await
    .unwrap();
    let (_, theirs) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/classrooms/student/mine",
        None,
    )
    .await;
    assert!(ids(&theirs).is_empty(), "a LEFT enrollment does not count");
    let (status, invite) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/classrooms/{COURSE_ID}/invite"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let code = invite["data"]["code"].as_str().unwrap().to_owned();
    assert_eq!(
        invite["data"]["url"],
        format!("/join?code={code}"),
        "no PUBLIC_APP_URL"
    );
    let (status, _) = join(&app, STUDENT1, &code).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, left_at): (String, Option<chrono::NaiveDateTime>) =
        sqlx::query_as("SELECT status, left_at FROM enrollments WHERE student_id = $1")
            .bind(STUDENT_IDS[0])
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), left_at), ("ACTIVE", None));
    assert_eq!(uses_and_members(&app, &code, COURSE_ID).await, (1, 5));

    // Roles: teachers create and list theirs; students join and list theirs.
    for (who, method, path, body) in [
        (STUDENT1, Method::POST, "/classrooms", Some(json!({}))),
        (ADMIN, Method::POST, "/classrooms", Some(json!({}))),
        (STUDENT1, Method::GET, "/classrooms/mine", None),
        (TEACHER, Method::GET, "/classrooms/student/mine", None),
        (
            TEACHER,
            Method::POST,
            "/classrooms/join",
            Some(json!({"code": code})),
        ),
        (
            PARENT,
            Method::POST,
            "/classrooms/join",
            Some(json!({"code": code})),
        ),
    ] {
        let (status, answer) = send_as(&app, who, method, path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}: {answer}");
    }
    let (status, _) = app
        .http
        .get(format!("{}/classrooms/mine", app.base_url))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn concurrent_joins_never_exceed_the_codes_use_limit() {
    const N: usize = 6;
    let app = spawn_seeded().await;
    let emails: Vec<String> = (0..N).map(|i| format!("racer{i}@example.com")).collect();
    let mut world = World::demo();
    for (i, email) in emails.iter().enumerate() {
        world = world.student(&format!("racer-{i}"), email);
    }
    world.insert(app.pool()).await;
    let (status, invite) = send_as(
        &app,
        TEACHER,
        Method::POST,
        &format!("/classrooms/{COURSE_ID}/invite"),
        Some(json!({"maxUses": N - 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let code = invite["data"]["code"].as_str().unwrap().to_owned();
    // Tokens first, so that the joins themselves start together.
    let mut requests = Vec::new();
    for email in &emails {
        requests.push(
            app.request_as(email, Method::POST, "/classrooms/join")
                .await
                .json(&json!({ "code": code })),
        );
    }
    let answers = futures::future::join_all(requests.into_iter().map(|r| async move {
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap())
    }))
    .await;
    let joined = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused: Vec<String> = answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::CREATED)
        .map(|(s, b)| format!("{s} {}", message(b)))
        .collect();
    assert_eq!(joined, N - 1, "{refused:?}");
    assert_eq!(
        refused,
        [format!(
            "400 Bad Request {}",
            json!(["Invitation code has reached its usage limit"])
        )]
    );
    let racers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM enrollments WHERE course_id = $1 AND student_id LIKE 'racer-%'",
    )
    .bind(COURSE_ID)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(racers, (N - 1) as i64);
    let (uses, _) = uses_and_members(&app, &code, COURSE_ID).await;
    assert_eq!(uses, (N - 1) as i32);
}

#[tokio::test]
async fn bad_classroom_input_is_a_400_naming_the_field_and_writes_nothing() {
    let app = spawn_seeded().await;
    let counts = async |app: &TestApp| {
        (
            app.count("courses").await,
            app.count("classroom_invites").await,
            app.count("enrollments").await,
        )
    };
    let before = counts(&app).await;
    let invite = format!("/classrooms/{COURSE_ID}/invite");
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            TEACHER,
            "/classrooms",
            json!({"gradeLevel": "cuarto"}),
            "gradeLevel",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"gradeLevel": 13}),
            "gradeLevel must be an integer from 1 to 12",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"gradeLevel": 0}),
            "gradeLevel must be an integer from 1 to 12",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"gradeLevel": 4.5}),
            "gradeLevel",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"letter": " "}),
            "letter should not be empty",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"letter": "ABCDEF"}),
            "letter must be shorter than or equal to 5 characters",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"name": "x".repeat(201)}),
            "name must be shorter than or equal to 200 characters",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"subjectCode": ""}),
            "subjectCode should not be empty",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"schoolId": "seed-school-001"}),
            "property schoolId should not exist",
        ),
        (
            TEACHER,
            "/classrooms",
            json!({"name": "7° A\u{0}"}),
            "name must not contain NUL characters",
        ),
        (
            TEACHER,
            "/classrooms",
            json!(["not", "an", "object"]),
            "request body must be a JSON object, not an array",
        ),
        (
            TEACHER,
            &invite,
            json!({"maxUses": 0}),
            "maxUses must be an integer from 1 to 10000",
        ),
        (
            TEACHER,
            &invite,
            json!({"expiresInDays": 366}),
            "expiresInDays must be an integer from 1 to 365",
        ),
        (
            TEACHER,
            &invite,
            json!({"expiresInDays": "7"}),
            "expiresInDays",
        ),
        (
            TEACHER,
            &invite,
            json!({"expiresAt": "2030-01-01"}),
            "property expiresAt should not exist",
        ),
        (STUDENT1, "/classrooms/join", json!({}), "code is required"),
        (
            STUDENT1,
            "/classrooms/join",
            json!({"code": "  "}),
            "code should not be empty",
        ),
        (STUDENT1, "/classrooms/join", json!({"code": 42}), "code"),
        (
            STUDENT1,
            "/classrooms/join",
            json!({"code": "c\u{0}"}),
            "code must not contain NUL characters",
        ),
        (
            STUDENT1,
            "/classrooms/join",
            json!({"code": "x", "courseId": COURSE_ID}),
            "property courseId should not exist",
        ),
    ];
    for (who, path, body, field) in cases {
        let (status, answer) = send_as(&app, who, Method::POST, path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {answer}");
        assert!(
            message(&answer).contains(field),
            "{path} {body}: {answer} does not name {field}"
        );
    }
    for (who, path, field) in [
        (TEACHER, "/classrooms/mine?limit=ten", "limit"),
        (
            TEACHER,
            "/classrooms/mine?limit=0",
            "limit must be an integer from 1 to 100",
        ),
        (
            TEACHER,
            "/classrooms/mine?limit=101",
            "limit must be an integer from 1 to 100",
        ),
        (
            TEACHER,
            "/classrooms/mine?archived=true",
            "property archived should not exist",
        ),
        (
            STUDENT1,
            "/classrooms/student/mine?page=0",
            "page must be an integer from 1 to 100000",
        ),
        (STUDENT1, "/classrooms/student/mine?page=-1", "page"),
        (
            STUDENT1,
            "/classrooms/student/mine?page=1%00",
            "page must not contain NUL characters",
        ),
    ] {
        let (status, answer) = send_as(&app, who, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(
            message(&answer).contains(field),
            "{path}: {answer} does not name {field}"
        );
    }
    // An unknown subject names the field; a course not taught by the caller is the policy's 403.
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/classrooms",
        Some(json!({"subjectCode": "PHYS"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(message(&answer).starts_with("subjectCode:"), "{answer}");
    assert_eq!(counts(&app).await, before);

    // Authentication first: without a token, bad bodies are a 401.
    let resp = app
        .http
        .post(format!("{}/classrooms", app.base_url))
        .json(&json!({"gradeLevel": 99}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // The good bodies are good, and paging works.
    let (status, made) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/classrooms",
        Some(json!({"name": "  Taller  "})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["data"]["name"], "Taller");
    assert_eq!(made["data"]["gradeLevel"], 4, "the default grade");
    let (_, first) = send_as(&app, TEACHER, Method::GET, "/classrooms/mine?limit=1", None).await;
    let (_, second) = send_as(
        &app,
        TEACHER,
        Method::GET,
        "/classrooms/mine?limit=1&page=2",
        None,
    )
    .await;
    assert_eq!(ids(&first), [COURSE_ID]);
    assert_eq!(ids(&second), [made["data"]["id"].as_str().unwrap()]);
}
