//! `/admin/error-tags`: an admin pages through the catalogue with the cursor to its end, filters
//! it, reads the counts, changes a tag's status and sees it reflected; other callers are refused;
//! bad input is a 400 naming the field (404 for an unknown code), with nothing written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, STUDENT1, TEACHER};
use crate::support::{TestApp, spawn_seeded};

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn browse(app: &TestApp, who: &str, query: &str) -> (StatusCode, Value) {
    let path = format!("/admin/error-tags{query}");
    send(app.request_as(who, Method::GET, &path).await).await
}

async fn set_status(app: &TestApp, who: &str, code: &str, body: &Value) -> (StatusCode, Value) {
    let path = format!("/admin/error-tags/{code}/status");
    send(app.request_as(who, Method::PATCH, &path).await.json(body)).await
}

/// Every page of `query` (which must end in `?…&` or `?`), following `nextCursor`: the codes in
/// order and the number of pages.
async fn all_pages(app: &TestApp, query: &str) -> (Vec<String>, usize) {
    let (mut codes, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}cursor={c}"),
            None => query.trim_end_matches(['&', '?']).to_owned(),
        };
        let (status, body) = browse(app, ADMIN, &q).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        pages += 1;
        let data = &body["data"];
        codes.extend(
            data["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["code"].as_str().unwrap().to_owned()),
        );
        match data["nextCursor"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), codes.last().map(String::as_str));
                cursor = Some(next.to_owned());
            }
            None => return (codes, pages),
        }
        assert!(pages < 1000, "the cursor must end");
    }
}

async fn sql_codes(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(app.pool()).await.unwrap()
}

/// `(status, updated_at)` of every tag, as text, by code.
async fn snapshot(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT code, status::text, updated_at::text FROM error_tags ORDER BY code")
        .fetch_all(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_pages_filters_counts_and_restatuses_the_catalogue() {
    let app = spawn_seeded().await;
    let all = sql_codes(&app, "SELECT code FROM error_tags ORDER BY code").await;
    assert!(all.len() > 7);

    // The first page: default size 50 covers the demo catalogue, with the counts and domains.
    let (status, body) = browse(&app, ADMIN, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["total"], all.len());
    assert_eq!(data["items"].as_array().unwrap().len(), all.len().min(50));
    let first = &data["items"][0];
    for field in [
        "code",
        "name",
        "domainCode",
        "domainName",
        "subdomainCode",
        "source",
        "status",
        "severity",
        "applicableGrades",
        "diagnosticHint",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    let (active, draft, deprecated): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'ACTIVE'), count(*) FILTER (WHERE status = 'DRAFT'),
                count(*) FILTER (WHERE status = 'DEPRECATED') FROM error_tags",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        data["statusCounts"],
        json!({"active": active, "draft": draft, "deprecated": deprecated})
    );
    let domains: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.code, d.name, count(t.id) FROM domains d LEFT JOIN error_tags t
         ON t.domain_id = d.id GROUP BY d.id ORDER BY d.code",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!domains.is_empty());
    let expected: Vec<Value> = domains
        .iter()
        .map(|(code, name, count)| json!({"code": code, "name": name, "count": count}))
        .collect();
    assert_eq!(data["domains"], json!(expected));

    // Pages of 3 with the cursor until the end: every tag once, in code order.
    let (codes, pages) = all_pages(&app, "?limit=3&").await;
    assert_eq!(codes, all);
    assert_eq!(pages, all.len().div_ceil(3));

    // A cursor that is no tag's code: an empty page.
    let (status, body) = browse(&app, ADMIN, "?cursor=AAA_NO_SUCH_TAG").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["data"]["items"].clone(),
            body["data"]["nextCursor"].clone()
        ),
        (json!([]), Value::Null)
    );

    // Filters, paged too; `total` is the filtered count, the counts stay unfiltered.
    let arith = sql_codes(
        &app,
        "SELECT t.code FROM error_tags t JOIN domains d ON d.id = t.domain_id
         WHERE d.code = 'ARITH' ORDER BY t.code",
    )
    .await;
    assert_eq!(all_pages(&app, "?domainCode=ARITH&limit=2&").await.0, arith);
    let borrow = sql_codes(
        &app,
        "SELECT code FROM error_tags WHERE status = 'ACTIVE' AND source = 'CURATED'
         AND (code ILIKE '%borrow%' OR name ILIKE '%borrow%' OR description ILIKE '%borrow%')
         ORDER BY code",
    )
    .await;
    assert!(!borrow.is_empty());
    let (status, body) = browse(
        &app,
        ADMIN,
        "?status=ACTIVE&source=CURATED&q=%20BoRrOw%20&limit=100",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["total"], borrow.len());
    let got: Vec<&str> = body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(got, borrow);
    assert_eq!(body["data"]["statusCounts"]["active"], active);
    assert_eq!(body["data"]["domains"], json!(expected));
    let (_, body) = browse(&app, ADMIN, "?domainCode=NOPE").await;
    assert_eq!(
        (body["data"]["total"].clone(), body["data"]["items"].clone()),
        (json!(0), json!([]))
    );

    // Set a status: answered, seen by the filter and the counts; again: nothing written.
    let code = borrow[0].as_str();
    let (status, body) = set_status(&app, ADMIN, code, &json!({"status": "DEPRECATED"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["code"], code);
    assert_eq!(body["data"]["status"], "DEPRECATED");
    let (_, listed) = browse(&app, ADMIN, "?status=DEPRECATED").await;
    assert!(
        listed["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == code)
    );
    assert_eq!(listed["data"]["statusCounts"]["deprecated"], deprecated + 1);
    assert_eq!(listed["data"]["statusCounts"]["active"], active - 1);
    let before = snapshot(&app).await;
    let (status, again) = set_status(&app, ADMIN, code, &json!({"status": "DEPRECATED"})).await;
    assert_eq!(
        (status, again["data"].clone()),
        (StatusCode::OK, body["data"].clone())
    );
    assert_eq!(snapshot(&app).await, before);
    let (status, back) = set_status(&app, ADMIN, code, &json!({"status": "ACTIVE"})).await;
    assert_eq!(
        (status, back["data"]["status"].clone()),
        (StatusCode::OK, json!("ACTIVE"))
    );
}

#[tokio::test]
async fn only_admins_reach_the_catalogue() {
    let app = spawn_seeded().await;
    let before = snapshot(&app).await;
    for who in [TEACHER, STUDENT1] {
        let (status, body) = browse(&app, who, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        let (status, body) =
            set_status(&app, who, "CORRECT", &json!({"status": "DEPRECATED"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
    }
    let (status, _) = send(
        app.http
            .get(format!("{}/admin/error-tags?status=NOPE", app.base_url)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "authentication first");
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn bad_catalogue_input_is_a_400_naming_the_field_and_writes_nothing() {
    let app = spawn_seeded().await;
    let before = snapshot(&app).await;
    for (query, field) in [
        ("?status=ACTIV", "status"),
        ("?source=HUMAN", "source"),
        ("?sort=code", "sort"),
        ("?cursor=not%20a%20code", "cursor"),
        ("?cursor=eyJjb2RlIjoiWCJ9%3D%3D", "cursor"),
        ("?cursor=", "cursor"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=ten", "limit"),
        ("?domainCode=%20", "domainCode"),
        ("?q=a%00b", "q"),
    ] {
        let (status, body) = browse(&app, ADMIN, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let message = body["message"].to_string();
        assert!(message.contains(field), "{query}: {message}");
    }
    let long = "x".repeat(201);
    let (status, body) = browse(&app, ADMIN, &format!("?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].to_string().contains("q must"), "{body}");

    for body in [
        json!({"status": "RETIRED"}),
        json!({"status": "active"}),
        json!({}),
        json!({"status": "ACTIVE", "deprecatedBy": "CORRECT"}),
        json!({"status": null}),
    ] {
        let (status, answer) = set_status(&app, ADMIN, "CORRECT", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            answer["message"].to_string().contains("status")
                || answer["message"].to_string().contains("deprecatedBy"),
            "{answer}"
        );
    }
    let (status, answer) =
        set_status(&app, ADMIN, "NO_SUCH_TAG", &json!({"status": "DRAFT"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["message"], "Error tag NO_SUCH_TAG not found");
    assert_eq!(snapshot(&app).await, before);
}
