//! `/skills` end to end: an admin creates, changes and deletes topics (409 for a duplicate code
//! and for a topic something still references, saying what); everyone reads the topics, the
//! real prerequisites, the taxonomy and the ACTIVE error catalogue. Bad input is a 400 naming
//! the field, and nothing is written.

use innova_api_client::types;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, PARENT, STUDENT1, TEACHER};
use crate::classrooms::body;
use crate::support::{TestApp, message, send_as, spawn_seeded};

/// T-SUB-BORROW (unit seed-unit-001), whose prerequisite is T-ADD-CARRY.
const BORROW: &str = "seed-topic-001";
/// T-ADD-CARRY, in the same unit.
const CARRY: &str = "seed-topic-002";
const LEGACY_UNIT: &str = "seed-unit-001";

async fn subdomain_id(app: &TestApp, domain: &str, code: &str) -> String {
    sqlx::query_scalar(
        "SELECT s.id FROM subdomains s JOIN domains d ON d.id = s.domain_id
         WHERE d.code = $1 AND s.code = $2",
    )
    .bind(domain)
    .bind(code)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn an_admin_curates_topics_and_everyone_reads_them_with_their_real_prerequisites() {
    let app = spawn_seeded().await;
    let admin = app.client_for(ADMIN).await;
    let mul = subdomain_id(&app, "ARITH", "MUL").await;

    // A topic in a chosen unit, on the taxonomy: its domain comes with its subdomain.
    let created = admin
        .skills_create()
        .body(body::<types::CreateSkill>(json!({
            "key": "T-MUL-2D", "name": "Multiplicación de dos cifras",
            "description": "Algoritmo con reagrupación", "unitId": LEGACY_UNIT, "subdomainId": mul,
        })))
        .send()
        .await
        .expect("201");
    assert_eq!(created.status(), 201);
    let topic = created.into_inner().data;
    assert_eq!(
        (
            topic.code.as_str(),
            topic.unit_id.as_str(),
            topic.subdomain_id.as_deref()
        ),
        ("T-MUL-2D", LEGACY_UNIT, Some(mul.as_str()))
    );
    let arith: String = sqlx::query_scalar("SELECT id FROM domains WHERE code = 'ARITH'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(topic.domain_id.as_deref(), Some(arith.as_str()));
    assert_eq!(
        (
            topic.bkt_pl0,
            topic.bkt_p_transit,
            topic.bkt_p_slip,
            topic.bkt_p_guess
        ),
        (0.3, 0.1, 0.1, 0.2)
    );
    // Without a unit: the first unit in teaching order (ARITH, grade 3, sequence 1).
    let (status, bare) = send_as(
        &app,
        ADMIN,
        Method::POST,
        "/skills",
        Some(json!({"key": "T-NUEVO", "name": "Nuevo"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{bare}");
    let arith_unit: String = sqlx::query_scalar("SELECT id FROM units WHERE code = 'ARITH'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(bare["data"]["unitId"], arith_unit.as_str());
    assert_eq!(bare["data"]["description"], Value::Null);

    // The same code in the same unit is 409; unknown references are 422 naming the field.
    for (body, status, says) in [
        (
            json!({"key": "T-MUL-2D", "name": "Otra", "unitId": LEGACY_UNIT}),
            StatusCode::CONFLICT,
            format!("key: a topic with the code T-MUL-2D already exists in unit {LEGACY_UNIT}"),
        ),
        (
            json!({"key": "T-X", "name": "X", "unitId": "no-such-unit"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unitId: unit no-such-unit does not exist".to_owned(),
        ),
        (
            json!({"key": "T-X", "name": "X", "subdomainId": "no-such-subdomain"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "subdomainId: subdomain no-such-subdomain does not exist".to_owned(),
        ),
    ] {
        let (got, answer) = send_as(&app, ADMIN, Method::POST, "/skills", Some(body.clone())).await;
        assert_eq!((got, message(&answer)), (status, says), "{body}");
    }
    // The same code in another unit is fine (codes are unique within a unit).
    let (status, _) = send_as(
        &app,
        ADMIN,
        Method::POST,
        "/skills",
        Some(json!({"key": "T-MUL-2D", "name": "Otra", "unitId": "seed-unit-003"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Writes are for admins only.
    for who in [TEACHER, STUDENT1, PARENT] {
        let (status, _) = send_as(
            &app,
            who,
            Method::POST,
            "/skills",
            Some(json!({"key": "T-Y", "name": "Y"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(app.count("topics").await, 112);

    // Everyone reads: the list by unit, paged; one topic; `null` for an unknown one.
    let student = app.client_for(STUDENT1).await;
    let all = student
        .skills_list()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(all.len(), 112);
    assert!(all.windows(2).all(|w| w[0].unit_id <= w[1].unit_id));
    let page = student
        .skills_list()
        .limit(std::num::NonZeroU64::new(3).unwrap())
        .page(std::num::NonZeroU64::new(2).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let expected: Vec<&str> = all[3..6].iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        page.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        expected
    );
    let one = student
        .skills_get()
        .id(&topic.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        one.map(|t| t.name),
        Some("Multiplicación de dos cifras".to_owned())
    );
    let (status, none) = send_as(&app, PARENT, Method::GET, "/skills/no-such-topic", None).await;
    assert_eq!((status, &none["data"]), (StatusCode::OK, &Value::Null));

    // The real prerequisites (decision 6), not the reference's `{}`.
    let prereqs = student
        .skills_prerequisites()
        .id(BORROW)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        (prereqs.skill_id.as_str(), prereqs.prerequisites),
        (BORROW, vec!["T-ADD-CARRY".to_owned()])
    );
    let (_, none) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        &format!("/skills/{CARRY}/prerequisites"),
        None,
    )
    .await;
    assert_eq!(none["data"]["prerequisites"], json!([]));
    let (status, _) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/skills/nope/prerequisites",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Changes: the fields given; `description: null` removes it; a taken code is 409.
    let changed = admin
        .skills_update()
        .id(&topic.id)
        .body(body::<types::UpdateSkill>(
            json!({"name": "Multiplicación 2×2"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        (
            changed.code.as_str(),
            changed.name.as_str(),
            changed.description.as_deref()
        ),
        (
            "T-MUL-2D",
            "Multiplicación 2×2",
            Some("Algoritmo con reagrupación")
        )
    );
    let (status, cleared) = send_as(
        &app,
        ADMIN,
        Method::PATCH,
        &format!("/skills/{}", topic.id),
        Some(json!({"key": "T-MUL-22", "description": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(
        (
            cleared["data"]["code"].clone(),
            cleared["data"]["description"].clone()
        ),
        (json!("T-MUL-22"), Value::Null)
    );
    let (status, taken) = send_as(
        &app,
        ADMIN,
        Method::PATCH,
        &format!("/skills/{}", topic.id),
        Some(json!({"key": "T-ADD-CARRY"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    assert_eq!(
        message(&taken),
        format!("key: a topic with the code T-ADD-CARRY already exists in unit {LEGACY_UNIT}")
    );
    let (status, _) = send_as(
        &app,
        ADMIN,
        Method::PATCH,
        "/skills/nope",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send_as(
        &app,
        TEACHER,
        Method::PATCH,
        &format!("/skills/{}", topic.id),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Deleting: a referenced topic stays, with a 409 saying what holds it.
    let (status, held) = send_as(
        &app,
        ADMIN,
        Method::DELETE,
        &format!("/skills/{CARRY}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{held}");
    assert_eq!(
        message(&held),
        format!(
            "Topic T-ADD-CARRY ({CARRY}) is still referenced by the prerequisites of topic \
             T-SUB-BORROW: remove those first"
        )
    );
    let sub: String =
        sqlx::query_scalar("SELECT topic_id FROM exercises WHERE id = 'seed-ex-sub-001'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let (status, held) =
        send_as(&app, ADMIN, Method::DELETE, &format!("/skills/{sub}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{held}");
    assert!(message(&held).contains("8 exercises"), "{held}");
    assert_eq!(app.count("topics").await, 112);
    // An unreferenced topic goes (204, empty), and deleting it again is still 204.
    let resp = app
        .request_as(ADMIN, Method::DELETE, &format!("/skills/{}", topic.id))
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.text().await.unwrap().is_empty());
    admin
        .skills_delete()
        .id(&topic.id)
        .send()
        .await
        .expect("204 again");
    let (_, gone) = send_as(
        &app,
        ADMIN,
        Method::GET,
        &format!("/skills/{}", topic.id),
        None,
    )
    .await;
    assert_eq!(gone["data"], Value::Null);
    // T-SUB-BORROW goes with its own prerequisite link; then T-ADD-CARRY is free.
    let (status, _) = send_as(
        &app,
        ADMIN,
        Method::DELETE,
        &format!("/skills/{BORROW}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send_as(
        &app,
        ADMIN,
        Method::DELETE,
        &format!("/skills/{CARRY}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("topic_prerequisites").await, 0);
    let (status, _) = send_as(
        &app,
        TEACHER,
        Method::DELETE,
        &format!("/skills/{sub}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_taxonomy_and_the_active_catalogue_are_searchable_by_anyone() {
    let app = spawn_seeded().await;
    let parent = app.client_for(PARENT).await;
    let tree = parent
        .skills_taxonomy()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(tree.len(), 17);
    assert!(tree.windows(2).all(|w| w[0].code < w[1].code));
    let arith = tree.iter().find(|d| d.code == "ARITH").unwrap();
    assert_eq!(arith.name, "Aritmética de números naturales");
    let codes: Vec<&str> = arith.subdomains.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "ADD",
            "COUNT",
            "DIV",
            "FACT_RECALL",
            "MUL",
            "PLACE_VALUE",
            "SUB"
        ]
    );
    assert_eq!(tree.iter().map(|d| d.subdomains.len()).sum::<usize>(), 106);

    // A DRAFT tag is not in the search.
    sqlx::query(
        "UPDATE error_tags SET status = 'DRAFT' WHERE code = 'ARITH_SUB_BORROW_FROM_ZERO_G3'",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let search = |path: &'static str| {
        let app = &app;
        async move {
            let (status, body) = send_as(app, STUDENT1, Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["code"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search("/skills/error-tags?q=%20BoRRoW%20").await,
        [
            "ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3",
            "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            "ARITH_SUB_BORROW_PROPAGATION_STOP_G3",
        ]
    );
    assert_eq!(search("/skills/error-tags?domainCode=FRACT").await.len(), 4);
    assert_eq!(search("/skills/error-tags?q=borrow&limit=2").await.len(), 2);
    assert_eq!(search("/skills/error-tags?domainCode=NOPE").await.len(), 0);
    assert_eq!(
        search("/skills/error-tags").await.len(),
        16,
        "all ACTIVE tags (16 < 20)"
    );
    assert_eq!(
        search("/skills/error-tags?q=").await.len(),
        16,
        "a blank q searches nothing"
    );
    let hits = parent
        .skills_error_tags()
        .q("respuesta correcta")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (
            hits[0].code.as_str(),
            hits[0].domain_code.as_deref(),
            hits[0].subdomain_code.as_deref()
        ),
        ("CORRECT", None, None)
    );
    let (_, one) = send_as(
        &app,
        STUDENT1,
        Method::GET,
        "/skills/error-tags?q=llevada%20omitida",
        None,
    )
    .await;
    assert_eq!(
        one["data"],
        json!([{"code": "ARITH_ADD_CARRY_OMITTED_G3", "name": "Llevada omitida",
                "subdomainCode": "ADD", "domainCode": "ARITH"}])
    );
}

#[tokio::test]
async fn bad_skill_input_is_a_400_naming_the_field_and_writes_nothing() {
    let app = spawn_seeded().await;
    let before = app.count("topics").await;
    let good = json!({"key": "T-OK", "name": "Bien"});
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        b[key] = value;
        b
    };
    let without = |key: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(key);
        b
    };
    for (body, field) in [
        (without("key"), "key is required"),
        (without("name"), "name is required"),
        (with("key", json!(" ")), "key should not be empty"),
        (with("key", json!(12)), "key"),
        (
            with("name", json!("x".repeat(201))),
            "name must be shorter than or equal to 200 characters",
        ),
        (
            with("key", json!("x".repeat(101))),
            "key must be shorter than or equal to 100 characters",
        ),
        (with("description", json!(["a"])), "description"),
        (with("unitId", json!("")), "unitId should not be empty"),
        (
            with("bktPL0", json!(0.5)),
            "property bktPL0 should not exist",
        ),
        (
            with("name", json!("a\u{0}")),
            "name must not contain NUL characters",
        ),
    ] {
        let (status, answer) =
            send_as(&app, ADMIN, Method::POST, "/skills", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            message(&answer).contains(field),
            "{body}: {answer} does not name {field}"
        );
    }
    let patch = format!("/skills/{BORROW}");
    for (body, field) in [
        (json!({"key": ""}), "key should not be empty"),
        (json!({"name": 5}), "name"),
        (
            json!({"description": "x".repeat(2001)}),
            "description must be shorter than or equal to 2000 characters",
        ),
        (
            json!({"unitId": "seed-unit-003"}),
            "property unitId should not exist",
        ),
        (
            json!({"description": "\u{0}"}),
            "description must not contain NUL characters",
        ),
    ] {
        let (status, answer) =
            send_as(&app, ADMIN, Method::PATCH, &patch, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            message(&answer).contains(field),
            "{body}: {answer} does not name {field}"
        );
    }
    for (path, field) in [
        ("/skills?limit=all", "limit"),
        (
            "/skills?limit=1001",
            "limit must be an integer from 1 to 1000",
        ),
        ("/skills?page=0", "page must be an integer from 1 to 100000"),
        ("/skills?unitId=x", "property unitId should not exist"),
        ("/skills/error-tags?limit=abc", "limit"),
        (
            "/skills/error-tags?limit=51",
            "limit must be an integer from 1 to 50",
        ),
        (
            "/skills/error-tags?limit=0",
            "limit must be an integer from 1 to 50",
        ),
        (
            "/skills/error-tags?domainCode=",
            "domainCode should not be empty",
        ),
        (
            "/skills/error-tags?status=DRAFT",
            "property status should not exist",
        ),
        (
            "/skills/error-tags?q=a%00",
            "q must not contain NUL characters",
        ),
    ] {
        let (status, answer) = send_as(&app, STUDENT1, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(
            message(&answer).contains(field),
            "{path}: {answer} does not name {field}"
        );
    }
    assert_eq!(app.count("topics").await, before);
    let (_, unchanged) = send_as(&app, ADMIN, Method::GET, &patch, None).await;
    assert_eq!(unchanged["data"]["code"], "T-SUB-BORROW");
    assert_eq!(unchanged["data"]["name"], "Sustracción con préstamo");
    // Authentication first: a bad body without a token is a 401.
    let resp = app
        .http
        .post(format!("{}/skills", app.base_url))
        .json(&json!({"key": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
