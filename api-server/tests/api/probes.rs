//! The server probed as an attacker would: NUL characters anywhere they could reach PostgreSQL,
//! bytes after a JSON body, and the contract stating what the server enforces. Each of these
//! was a 500, a silent acceptance or a looser schema before.

use std::time::Instant;

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{STUDENT1, TEACHER};
use crate::auth::{Mode, env};
use crate::support::spawn_seeded;

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_nul_in_a_path_id_is_not_found_and_in_a_query_a_named_400() {
    let app = spawn_seeded().await;
    for (email, path) in [
        (TEACHER, "/mastery/x%00"),
        (TEACHER, "/mastery/course/x%00"),
        (TEACHER, "/mastery/course/x%00/heatmap"),
        (TEACHER, "/mastery/classroom/x%00"),
        (
            TEACHER,
            &format!("/mastery/recommend/{COURSE_ID}/x%00") as &str,
        ),
        (STUDENT1, "/attempts/x%00/status"),
        (STUDENT1, "/attempts/x%00/detail"),
    ] {
        let (status, body) = send(app.request_as(email, Method::GET, path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["statusCode"], 404, "{path}");
    }
    let (status, body) = send(
        app.request_as(STUDENT1, Method::POST, "/attempts/a%00b/report")
            .await
            .json(&json!({"errorTagCode": "CORRECT"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let (status, body) = send(app.http.get(format!("{}/health?probe=%00", app.base_url))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["message"],
        json!(["probe must not contain NUL characters"])
    );
    assert_eq!(app.count("attempt_error_reports").await, 0);
}

#[tokio::test]
async fn a_nul_in_any_body_field_is_a_400_naming_it() {
    let app = spawn_seeded().await;
    let attempt = json!({"studentId": STUDENT_IDS[0], "topicCode": "SUB",
        "rawSteps": [{"expression": "33", "isFinal": true}],
        "expectedAnswer": 27, "studentAnswer": 33, "minuend": 53, "subtrahend": 26});
    let (status, created) = send(
        app.request_as(STUDENT1, Method::POST, "/attempts")
            .await
            .json(&attempt),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["data"]["attemptId"].as_str().unwrap();

    let cases = [
        (
            "/attempts/solve-adhoc",
            json!({"studentId": STUDENT_IDS[0], "problemLatex": "1+1", "studentFinalAnswer": "2",
                   "courseId": "c\u{0}"}),
            "courseId",
        ),
        (
            &format!("/attempts/{id}/report") as &str,
            json!({"errorTagCode": "CORRECT", "comment": "a\u{0}b"}),
            "comment",
        ),
        (
            "/auth/login",
            json!({"email": "student1@innova.demo", "password": "pass\u{0}word"}),
            "password",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = send(
            app.request_as(STUDENT1, Method::POST, path)
                .await
                .json(&body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(
            answer["message"],
            json!([format!("{field} must not contain NUL characters")]),
            "{path}"
        );
    }
    assert_eq!(app.count("attempts").await, 1);
    assert_eq!(app.count("attempt_error_reports").await, 0);
}

#[tokio::test]
async fn auth_bodies_are_exactly_one_json_value() {
    let app = spawn_seeded().await;
    for (path, body) in [
        (
            "/auth/register",
            json!({"email": "trailing@example.com", "password": "long-enough", "role": "student"}),
        ),
        (
            "/auth/login",
            json!({"email": "student1@innova.demo", "password": "whatever1"}),
        ),
        ("/auth/refresh", json!({"refreshToken": "abc"})),
        (
            "/auth/forgot-password",
            json!({"email": "student1@innova.demo"}),
        ),
        (
            "/auth/confirm-forgot-password",
            json!({"email": "student1@innova.demo", "code": "c", "newPassword": "long-enough"}),
        ),
    ] {
        let (status, answer) = send(
            app.http
                .post(format!("{}{path}", app.base_url))
                .header("content-type", "application/json")
                .body(format!("{body} garbage")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(
            answer["message"]
                .to_string()
                .contains("trailing characters"),
            "{path}: {answer}"
        );
    }
    assert_eq!(app.count("users").await, 8, "no account was created");
}

/// The reset e-mail goes out within the request (nothing runs after the answer on Lambda), and
/// every answer takes the same floor, known account or not.
#[tokio::test]
async fn forgot_password_mails_before_answering_and_answers_no_sooner_than_the_floor() {
    let env = env(Mode::Embedded, &[]).await;
    let app = &env.app;
    let floor = innova_app::auth::RESET_ANSWER_FLOOR;
    for email in ["student1@innova.demo", "nobody@example.com"] {
        let started = Instant::now();
        let (status, _) = send(
            app.http
                .post(format!("{}/auth/forgot-password", app.base_url))
                .json(&json!({"email": email})),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(
            started.elapsed() >= floor,
            "{email}: {:?}",
            started.elapsed()
        );
    }
    // Already sent when the answer came: no waiting for it.
    let sent = env.resend.sent().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["to"][0], "student1@innova.demo");
}

/// The schema says what the server enforces, so clients and fuzzers can rely on it.
#[test]
fn the_contract_states_the_constraints_the_server_enforces() {
    let doc: Value = serde_yaml::from_str(innova_api_server::openapi::YAML).unwrap();
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    for (name, field) in [
        ("CreateAttempt", "studentId"),
        ("CreateAttempt", "topicCode"),
        ("SolveAdhoc", "problemLatex"),
        ("SolveAdhoc", "studentFinalAnswer"),
        ("ReportAttempt", "errorTagCode"),
        ("RefreshRequest", "refreshToken"),
        ("ConfirmForgotPasswordRequest", "code"),
        ("LoginRequest", "password"),
        ("CreateAlert", "courseId"),
        ("CreateAlert", "topicId"),
        ("CreateAlert", "studentId"),
    ] {
        assert_eq!(
            schema(name)["properties"][field]["minLength"],
            json!(1),
            "{name}.{field}"
        );
    }
    let grade = &schema("SolveAdhoc")["properties"]["gradeLevel"];
    assert_eq!(
        (grade["minimum"].clone(), grade["maximum"].clone()),
        (json!(1), json!(12))
    );
    assert_eq!(
        schema("ReportAttempt")["properties"]["comment"]["maxLength"],
        json!(500)
    );
    for (name, field, values) in [
        ("AttemptCreated", "classifierSource", "ClassifierSource"),
        ("AttemptClassification", "status", "AttemptStatus"),
        ("CreateAlert", "alertType", "AlertType"),
        ("CreateAlert", "severity", "AlertSeverity"),
        ("AlertView", "alertType", "AlertType"),
        ("AlertView", "severity", "AlertSeverity"),
        ("UpdateErrorTagStatus", "status", "ErrorStatus"),
        ("ErrorTagAdminView", "status", "ErrorStatus"),
        ("ErrorTagAdminView", "source", "ErrorSource"),
        ("ErrorTagAdminView", "severity", "ErrorSeverity"),
    ] {
        // A described reference is wrapped in `allOf`.
        let property = &schema(name)["properties"][field];
        let reference = property
            .get("$ref")
            .unwrap_or(&property["allOf"][0]["$ref"]);
        assert_eq!(
            reference,
            &json!(format!("#/components/schemas/{values}")),
            "{name}.{field}"
        );
        assert!(
            schema(values)["enum"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
        );
    }
    let browse = doc["paths"]["/admin/error-tags"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let param = |name: &str| {
        browse
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("parameter {name}"))["schema"]
            .clone()
    };
    assert_eq!(
        (
            param("limit")["minimum"].clone(),
            param("limit")["maximum"].clone()
        ),
        (json!(1), json!(100))
    );
    assert!(param("cursor")["pattern"].is_string());
    assert_eq!(param("q")["maxLength"], json!(200));
    let ocr = &doc["paths"]["/attempts/ocr-extract"]["post"]["requestBody"]["content"]["multipart/form-data"]
        ["schema"];
    let form = schema(ocr["$ref"].as_str().unwrap().rsplit('/').next().unwrap());
    assert_eq!(form["required"], json!(["image"]));
    assert_eq!(form["properties"]["image"]["format"], "binary");
}

/// The loose edges of the attacker's probe, each now a bound the contract states: IRT
/// parameters in their ranges, keys and codes printable identifiers, invalid UTF-8 in a query
/// string, an oversized or odd `x-trace-id`.
#[tokio::test]
async fn loose_edges_are_bounded_as_the_contract_says() {
    use crate::attempts::ADMIN;
    let app = spawn_seeded().await;
    let item = |a: f64, b: f64| json!({"skillId": "seed-topic-001", "content": {"prompt": "91 - 46 = ?"}, "irtA": a, "irtB": b});
    for (body, field) in [
        (item(0.0, 0.0), "irtA"),
        (item(-1.0, 0.0), "irtA"),
        (item(1.0, 1.8e19), "irtB"),
        (item(1.0, -7.0), "irtB"),
    ] {
        let (status, answer) = send(
            app.request_as(TEACHER, Method::POST, "/items")
                .await
                .json(&body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].to_string().contains(field), "{answer}");
    }
    let (status, answer) = send(
        app.request_as(TEACHER, Method::POST, "/items")
            .await
            .json(&item(1.2, -0.4)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    for key in ["T\u{7}BELL", "T SPACE", "-T", "T/SLASH", "T\u{85}"] {
        let body = json!({"key": key, "name": "Probe"});
        let (status, answer) = send(
            app.request_as(ADMIN, Method::POST, "/skills")
                .await
                .json(&body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key:?}: {answer}");
        assert!(answer["message"].to_string().contains("key"), "{answer}");
    }
    let mut attempt = json!({"studentId": STUDENT_IDS[0], "topicCode": "SUB X",
        "rawSteps": [], "expectedAnswer": 1, "studentAnswer": 1});
    let (status, answer) = send(
        app.request_as(STUDENT1, Method::POST, "/attempts")
            .await
            .json(&attempt),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].to_string().contains("topicCode"),
        "{answer}"
    );
    attempt["topicCode"] = json!("SUB");
    assert_eq!(
        app.count("topics WHERE name = 'Probe'").await,
        0,
        "no key was stored"
    );

    // Invalid UTF-8 once percent-decoded: 400 naming the parameter.
    let (status, answer) = send(
        app.request_as(TEACHER, Method::GET, "/items?skillKey=%FF%FE")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(
        answer["message"],
        json!(["skillKey must be valid UTF-8 once percent-decoded"])
    );

    // A trace id of 60 KB (or with spaces) is neither echoed nor stored: a new one is issued.
    for sent in ["x".repeat(60 * 1024), "has spaces".to_string()] {
        let resp = app
            .request_as(STUDENT1, Method::POST, "/attempts")
            .await
            .header("x-trace-id", &sent)
            .json(&attempt)
            .send()
            .await
            .unwrap();
        let echoed = resp.headers()["x-trace-id"].to_str().unwrap().to_owned();
        let body: Value = resp.json().await.unwrap();
        assert_ne!(echoed, sent);
        assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
        assert_eq!(body["traceId"], json!(echoed));
        let stored: String = sqlx::query_scalar("SELECT trace_id FROM attempts WHERE id = $1")
            .bind(body["data"]["attemptId"].as_str().unwrap())
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(stored, echoed);
    }
}

/// The contract states the rules the server enforces on every body: the 413 of its size limit
/// on each operation with one, and the object and character rules in its description.
#[test]
fn the_contract_states_the_body_limit_and_the_character_rule() {
    let doc: serde_yaml::Value = serde_yaml::from_str(innova_api_server::openapi::YAML).unwrap();
    let info = doc["info"]["description"].as_str().unwrap();
    assert!(
        info.contains("x-trace-id") && info.contains("1–128 characters"),
        "{info}"
    );
    assert!(
        info.contains("413") && info.contains("control character"),
        "{info}"
    );
    let mut with_body = 0;
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            if op["requestBody"].is_null() {
                continue;
            }
            with_body += 1;
            let id = op["operationId"].as_str().unwrap();
            let limit = innova_api_server::openapi::body_limit(id);
            assert_eq!(
                op["responses"]["413"]["description"].as_str(),
                Some(format!("The body is larger than {limit} bytes.").as_str()),
                "{method:?} {path:?}"
            );
            if !op["requestBody"]["content"]["application/json"].is_null() {
                let description = op["description"].as_str().unwrap_or_default();
                assert!(
                    description.contains("one JSON object")
                        && description.contains("NUL or another control character"),
                    "{id}: {description}"
                );
            }
        }
    }
    assert!(with_body >= 25, "{with_body}");
}
