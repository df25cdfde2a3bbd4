//! `/items` end to end: a teacher writes an item, the bank lists it (filters, pages), shows it
//! and its IRT parameters; bad input is a 400 naming the field and writes nothing; generation
//! publishes the exact §3.8 message to a moto SQS queue, refuses bad bodies and unknown codes
//! without publishing, and answers 503 when the queue is unreachable.

use innova_api_client::types;
use innova_core::db::seed::TEACHER_ID;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, PARENT, STUDENT1, TEACHER};
use crate::support::{
    message, moto_queue, receive_event, required_env, send_as, spawn_seeded, spawn_seeded_with,
};

/// The legacy topic "Sustracción con préstamo" (code `T-SUB-BORROW`), with no exercises in the seed.
const BORROW_TOPIC: &str = "seed-topic-001";

fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_teachers_item_joins_the_bank_and_everyone_can_read_it() {
    let app = spawn_seeded().await;
    let teacher = app.client_for(TEACHER).await;
    let created = teacher
        .items_create()
        .body(
            types::CreateItem::builder()
                .skill_id(BORROW_TOPIC)
                .content(types::ItemContentInput::builder().prompt("91 - 46 = ?"))
                .irt_a(1.1)
                .irt_b(0.75),
        )
        .send()
        .await
        .expect("201");
    assert_eq!(created.status(), 201);
    let item = created.into_inner().data;
    assert_eq!(item.topic_id, BORROW_TOPIC);
    assert_eq!(item.source, types::ExerciseSource::TeacherAuthored);
    assert_eq!(item.status, types::ExerciseStatus::Active);
    assert_eq!(
        item.created_by_teacher_id.as_deref(),
        Some(TEACHER_ID),
        "the author is the caller"
    );
    assert_eq!(item.content, json!({"prompt": "91 - 46 = ?"}));
    assert_eq!(
        (item.irt_a, item.irt_b, item.language.as_str()),
        (1.1, 0.75, "es")
    );

    // A student finds it by its topic's code (either parameter name), as the bank shows it.
    let (status, list) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/items?skillKey=T-SUB-BORROW",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["data"],
        json!([{"id": item.id, "topicId": BORROW_TOPIC, "topicCode": "T-SUB-BORROW",
                "topicName": "Sustracción con préstamo",
                "content": {"prompt": "91 - 46 = ?", "problem": "91 - 46 = ?", "expectedAnswer": null,
                            "correct_answer_latex": null},
                "difficulty": "hard", "irtA": 1.1, "irtB": 0.75, "source": "TEACHER_AUTHORED",
                "createdAt": item.created_at}])
    );
    let (_, by_alias) = send_as(&app, PARENT, Method::GET, "/items?topic=T-SUB-BORROW", None).await;
    assert_eq!(ids(&by_alias), [item.id.as_str()]);

    // The whole bank: oldest first (the eight seeded items, then the new one), paged by `limit`.
    let (_, all) = send_as(&app, STUDENT1, Method::GET, "/items", None).await;
    let mut expected: Vec<String> = (1..=8).map(|i| format!("seed-ex-sub-00{i}")).collect();
    expected.push(item.id.clone());
    assert_eq!(ids(&all), expected);
    let seeded = &all["data"][0];
    assert_eq!(seeded["content"]["expectedAnswer"], 27.0);
    assert_eq!(seeded["difficulty"], "medium", "b = −0.3");
    assert_eq!(all["data"][3]["difficulty"], "easy", "b = −0.5");
    let (_, page) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/items?skillKey=SUB&limit=3&page=2",
        None,
    )
    .await;
    assert_eq!(
        ids(&page),
        ["seed-ex-sub-004", "seed-ex-sub-005", "seed-ex-sub-006"]
    );

    // One item, and its IRT parameters, through the generated client.
    let student = app.client_for(STUDENT1).await;
    let one = student
        .items_get()
        .id(&item.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        (one.topic_code.as_str(), one.difficulty),
        ("T-SUB-BORROW", types::Difficulty::Hard)
    );
    let irt = student
        .items_irt()
        .id("seed-ex-sub-006")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let irt = irt.expect("a known item");
    assert_eq!((irt.irt_a, irt.irt_b), (1.5, 0.8));
    // Unknown ids: 404 for the item, `null` for its parameters (as the reference answered).
    let (status, body) = send_as(&app, STUDENT1, Method::GET, "/items/nope", None).await;
    assert_eq!(
        (status, message(&body).as_str()),
        (StatusCode::NOT_FOUND, "Exercise not found")
    );
    let (status, body) = send_as(&app, STUDENT1, Method::GET, "/items/nope/irt", None).await;
    assert_eq!((status, &body["data"]), (StatusCode::OK, &Value::Null));

    // Admins write items too (without an author); students and parents may not.
    let body = json!({"skillId": BORROW_TOPIC, "content": {"prompt": "x"}, "irtA": 1, "irtB": 0});
    let (status, made) = send_as(&app, ADMIN, Method::POST, "/items", Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(made["data"]["createdByTeacherId"], Value::Null);
    for who in [STUDENT1, PARENT] {
        let (status, _) = send_as(&app, who, Method::POST, "/items", Some(body.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn bad_items_and_bad_list_parameters_are_400_naming_the_field_and_write_nothing() {
    let app = spawn_seeded().await;
    let ok = json!({"skillId": BORROW_TOPIC, "content": {"prompt": "9 - 4 = ?"}, "irtA": 1.0, "irtB": 0.0});
    let with = |key: &str, value: Value| {
        let mut b = ok.clone();
        b[key] = value;
        b
    };
    let without = |key: &str| {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(key);
        b
    };
    let cases = [
        (
            with("content", json!({"prompt": "  "})),
            "content.prompt should not be empty",
        ),
        (
            with("content", json!({"prompt": "x", "answer": 5})),
            "property content.answer should not exist",
        ),
        (with("content", json!({})), "content.prompt is required"),
        (without("irtA"), "irtA is required"),
        (with("irtB", json!("hard")), "irtB"),
        (with("skillId", json!("")), "skillId should not be empty"),
        (with("skillId", json!(7)), "skillId"),
        (
            with("extra", json!(true)),
            "property extra should not exist",
        ),
        (
            with("content", json!({"prompt": "a\u{0}b"})),
            "content.prompt must not contain NUL",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) =
            send_as(&app, TEACHER, Method::POST, "/items", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(message(&answer).contains(expected), "{body}: {answer}");
    }
    // An unknown topic: 404 naming the field.
    let (status, answer) = send_as(
        &app,
        TEACHER,
        Method::POST,
        "/items",
        Some(with("skillId", json!("no-topic"))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&answer), "skillId: Topic no-topic not found");
    assert_eq!(app.count("exercises").await, 8, "nothing was written");

    for (query, expected) in [
        ("limit=many", "limit"),
        ("limit=0", "limit must be an integer from 1 to 100"),
        ("limit=101", "limit must be an integer from 1 to 100"),
        ("limit=-1", "limit"),
        ("page=0", "page must be an integer from 1 to 100000"),
        ("skillKey=", "skillKey should not be empty"),
        ("topicCode=SUB", "property topicCode should not exist"),
    ] {
        let (status, answer) = send_as(
            &app,
            STUDENT1,
            Method::GET,
            &format!("/items?{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert!(message(&answer).contains(expected), "{query}: {answer}");
    }
    // Without a token the parameters are not even looked at.
    let resp = app
        .http
        .get(format!("{}/items?limit=many", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

fn generate_body() -> Value {
    json!({"subdomainCode": "SUB", "gradeLevel": 3,
           "targetErrorCodes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_SUB_BORROW_FROM_ZERO_G3"],
           "count": 4})
}

#[tokio::test]
async fn generation_publishes_the_exact_message_and_refuses_what_the_ai_engine_would() {
    let queue = moto_queue("exercise-generate-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let app = spawn_seeded_with(&[
        ("EXERCISE_GENERATE_QUEUE_URL", &queue.url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;

    // Bad bodies (400) and codes that exist nowhere (422) publish nothing.
    let with = |key: &str, value: Value| {
        let mut b = generate_body();
        b[key] = value;
        b
    };
    let refused = [
        (
            with("gradeLevel", json!(13)),
            StatusCode::BAD_REQUEST,
            "gradeLevel must be an integer from 1 to 12",
        ),
        (
            with("gradeLevel", json!(0)),
            StatusCode::BAD_REQUEST,
            "gradeLevel must be an integer from 1 to 12",
        ),
        (
            with("gradeLevel", json!("3")),
            StatusCode::BAD_REQUEST,
            "gradeLevel",
        ),
        (
            with("count", json!(11)),
            StatusCode::BAD_REQUEST,
            "count must be an integer from 1 to 10",
        ),
        (with("count", json!(2.5)), StatusCode::BAD_REQUEST, "count"),
        (
            with("targetErrorCodes", json!([])),
            StatusCode::BAD_REQUEST,
            "targetErrorCodes must name 1 to 50",
        ),
        (
            with("targetErrorCodes", json!([" "])),
            StatusCode::BAD_REQUEST,
            "targetErrorCodes.0 should not be empty",
        ),
        (
            with("subdomainCode", json!("")),
            StatusCode::BAD_REQUEST,
            "subdomainCode should not be empty",
        ),
        (
            with("topic", json!("SUB")),
            StatusCode::BAD_REQUEST,
            "property topic should not exist",
        ),
        (
            with("subdomainCode", json!("NOPE")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "subdomainCode: no subdomain has the code NOPE",
        ),
        (
            with(
                "targetErrorCodes",
                json!(["ARITH_SUB_BORROW_FROM_ZERO_G3", "NOT_A_TAG"]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "targetErrorCodes: no error tag has the code NOT_A_TAG",
        ),
    ];
    for (body, status, expected) in refused {
        let (got, answer) = send_as(
            &app,
            TEACHER,
            Method::POST,
            "/items/generate",
            Some(body.clone()),
        )
        .await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(message(&answer).contains(expected), "{body}: {answer}");
    }
    let (status, _) = send_as(
        &app,
        STUDENT1,
        Method::POST,
        "/items/generate",
        Some(generate_body()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "students may not");
    assert!(
        receive_event(&queue).await.records.is_empty(),
        "nothing was published"
    );

    // A good request: 202, and on the queue exactly the §3.8 body with the request's trace id.
    let resp = app
        .request_as(TEACHER, Method::POST, "/items/generate")
        .await
        .header("x-trace-id", "trace-generate-1")
        .json(&generate_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["statusCode"], 202);
    assert_eq!(
        answer["data"],
        json!({"generated": 0,
               "message": "Generación de 4 ejercicio(s) encolada. Aparecerán en el banco en unos minutos."})
    );
    let event = receive_event(&queue).await;
    assert_eq!(event.records.len(), 1);
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"subdomain_code": "SUB", "grade_level": 3,
               "target_error_codes": ["ARITH_SUB_BORROW_OMITTED_TENS_G3", "ARITH_SUB_BORROW_FROM_ZERO_G3"],
               "count": 4, "trace_id": "trace-generate-1"})
    );
}

#[tokio::test]
async fn generation_is_accepted_while_the_queue_is_down_and_the_relay_delivers_it() {
    // A queue URL whose queue does not exist yet: SendMessage fails.
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let name = format!(
        "exercise-generate-missing-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let url = format!("{endpoint}/123456789012/{name}");
    let app = spawn_seeded_with(&[
        ("EXERCISE_GENERATE_QUEUE_URL", &url),
        ("AWS_ENDPOINT_URL", &endpoint),
    ])
    .await;
    let (status, answer) = send_as(
        &app,
        ADMIN,
        Method::POST,
        "/items/generate",
        Some(generate_body()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(app.count("innova.outbox").await, 1, "durably queued");
    let created = crate::support::moto_sqs()
        .await
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap();
    let report = crate::support::relay_outbox(&app).await;
    assert_eq!((report.published, report.failed), (1, 0));
    let queue = crate::support::MotoQueue {
        url: created.queue_url.unwrap(),
        arn: String::new(),
    };
    let event = receive_event(&queue).await;
    let body: Value = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["count"], generate_body()["count"]);
}
