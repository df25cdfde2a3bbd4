//! `/admin/status`: an operator reads the real depths of moto queues (dead-letter queues found
//! through each queue's redrive policy), the last hour's activity and today's cost; pauses the
//! classifier and sees the SSM parameter and the page change; with SQS and SSM unreachable the
//! page still answers, degraded, and a toggle is a 503. Locally (embedded queue, in-memory
//! switches) the same page works without AWS.

use aws_sdk_sqs::types::QueueAttributeName;
use innova_core::aws::Aws;
use innova_testkit::services::{self, TestQueue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, TEACHER};
use crate::support::{TestApp, spawn_seeded, spawn_seeded_with};

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn status(app: &TestApp) -> Value {
    let (code, body) = send(app.request_as(ADMIN, Method::GET, "/admin/status").await).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["data"].clone()
}

async fn toggle(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/admin/status/killswitches/{key}");
    send(
        app.request_as(ADMIN, Method::PATCH, &path)
            .await
            .json(&body),
    )
    .await
}

/// `count` messages into `queue`.
async fn fill(queue: &TestQueue, count: usize) {
    let sqs = services::sqs().await;
    for i in 0..count {
        sqs.send_message()
            .queue_url(&queue.url)
            .message_body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
}

/// A queue with a dead-letter queue, as deployed.
async fn queue_with_dlq(name: &str) -> (TestQueue, TestQueue) {
    let queue = services::create_queue(name, false).await;
    let dlq = services::create_queue(&format!("{name}-dlq"), false).await;
    let policy = json!({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": "3"}).to_string();
    services::sqs()
        .await
        .set_queue_attributes()
        .queue_url(&queue.url)
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .unwrap();
    (queue, dlq)
}

async fn ssm_value(name: &str) -> Option<String> {
    let ssm = Aws::new(services::aws_settings()).ssm().await;
    ssm.get_parameter()
        .name(name)
        .send()
        .await
        .ok()
        .and_then(|out| out.parameter)
        .and_then(|p| p.value)
}

#[tokio::test]
async fn the_operator_sees_real_depths_and_pauses_the_classifier() {
    let (ingest, ingest_dlq) = queue_with_dlq("guide-ingest").await;
    let (classify, classify_dlq) = queue_with_dlq("llm-classify").await;
    let reprocess = services::create_queue("attempt-reprocess", false).await;
    fill(&ingest, 3).await;
    fill(&ingest_dlq, 2).await;
    fill(&classify_dlq, 1).await;
    let endpoint = services::aws_endpoint();
    let app = spawn_seeded_with(&[
        ("AWS_ENDPOINT_URL", &endpoint),
        ("SQS_GUIDE_INGEST_URL", &ingest.url),
        ("SQS_LLM_CLASSIFY_URL", &classify.url),
        ("SQS_ATTEMPT_REPROCESS_URL", &reprocess.url),
    ])
    .await;
    // Fresh parameters per run: moto keeps state across tests.
    let ssm = Aws::new(services::aws_settings()).ssm().await;
    let _ = ssm
        .delete_parameter()
        .name("/innova/llm/paused")
        .send()
        .await;

    // An hour's activity: one attempt now, one two hours ago; cost today and last month.
    sqlx::raw_sql(
        "INSERT INTO attempts (id, student_id, is_correct, trace_id, created_at, updated_at, status,
                               classifier_source, classified_at)
         VALUES ('t-a-now', 'seed-student-001', false, 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
                 'CLASSIFIED', 'LLM', CURRENT_TIMESTAMP),
                ('t-a-old', 'seed-student-001', false, 't', CURRENT_TIMESTAMP - interval '2 hours',
                 CURRENT_TIMESTAMP, 'PENDING', 'RULE', NULL);
         INSERT INTO cost_events (id, worker, model, input_tokens, output_tokens, cost_usd, created_at)
         VALUES ('t-c1', 'llm', 'claude-haiku', 100, 20, 0.25, CURRENT_TIMESTAMP),
                ('t-c2', 'llm', 'claude-haiku', 50, 10, 0.5, CURRENT_TIMESTAMP),
                ('t-c3', 'ocr', 'gemini-flash', 10, 5, 0.125, CURRENT_TIMESTAMP),
                ('t-c4', 'llm', 'claude-haiku', 1, 1, 99, CURRENT_TIMESTAMP - interval '40 days');",
    )
    .execute(app.pool())
    .await
    .unwrap();

    let data = status(&app).await;
    assert_eq!(
        data["queues"]["guide-ingest"],
        json!({"depth": 3, "dlqDepth": 2, "processedLastHour": 0})
    );
    assert_eq!(
        data["queues"]["llm-classify"],
        json!({"depth": 0, "dlqDepth": 1, "processedLastHour": 1})
    );
    assert_eq!(
        data["queues"]["attempt-reprocess"],
        json!({"depth": 0, "dlqDepth": 0, "processedLastHour": 0}),
        "no redrive policy: no dead-letter queue"
    );
    // Not configured and not embeddable? Locally it is the embedded queue: empty.
    assert_eq!(data["queues"]["hourly-alerts"]["depth"], 0);
    // --- OCR / archive: nothing unreadable; only the workers that lack their AI key say so.
    let warnings: Vec<&str> = data["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| !w.contains(" not running: "))
        .collect();
    assert!(warnings.is_empty(), "{data}");
    assert!(
        data["warnings"]
            .to_string()
            .contains("ocrWorker not running: GEMINI_API_KEY is not set"),
        "{data}"
    );
    assert_eq!(data["pipeline"]["attemptsLastHour"], 1);
    assert_eq!(data["pipeline"]["classifiedLastHour"], 1);
    assert_eq!(
        data["cost"]["byModel"],
        json!([
            {"model": "claude-haiku", "calls": 2, "inputTokens": 150, "outputTokens": 30, "costUsd": 0.75},
            {"model": "gemini-flash", "calls": 1, "inputTokens": 10, "outputTokens": 5, "costUsd": 0.125},
        ])
    );
    assert_eq!(data["cost"]["todayUsd"], 0.875);
    assert_eq!(data["killswitches"]["classifierEnabled"], true);

    let (code, body) = toggle(&app, "classifierEnabled", json!({"enabled": false})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"key": "classifierEnabled", "enabled": false})
    );
    assert_eq!(
        ssm_value("/innova/llm/paused").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        status(&app).await["killswitches"]["classifierEnabled"],
        false
    );

    let (code, _) = toggle(&app, "classifierEnabled", json!({"enabled": true})).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        ssm_value("/innova/llm/paused").await.as_deref(),
        Some("false")
    );
    assert_eq!(
        status(&app).await["killswitches"]["classifierEnabled"],
        true
    );
}

#[tokio::test]
async fn unreachable_sqs_and_ssm_degrade_the_page_instead_of_failing_it() {
    // Nothing listens on port 9: every SQS and SSM call fails to connect.
    let app = spawn_seeded_with(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        (
            "SQS_GUIDE_INGEST_URL",
            "http://127.0.0.1:9/000000000000/guide-ingest",
        ),
        (
            "SQS_LLM_CLASSIFY_URL",
            "http://127.0.0.1:9/000000000000/llm-classify",
        ),
    ])
    .await;
    let data = status(&app).await;
    assert_eq!(data["queues"]["guide-ingest"]["depth"], -1);
    assert_eq!(data["queues"]["guide-ingest"]["dlqDepth"], -1);
    assert_eq!(data["queues"]["llm-classify"]["depth"], -1);
    assert_eq!(data["killswitches"]["graderEnabled"], true, "fail-open");
    let warnings: Vec<&str> = data["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("guide-ingest: depth unavailable")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("/innova/guides/grading_paused unreadable")),
        "{warnings:?}"
    );

    let (code, body) = toggle(&app, "graderEnabled", json!({"enabled": false})).await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test]
async fn locally_the_embedded_queue_and_in_memory_switches_answer() {
    let app = spawn_seeded().await;
    let data = status(&app).await;
    for key in [
        "guide-ingest",
        "attempt-reprocess",
        "llm-classify",
        "hourly-alerts",
    ] {
        assert_eq!(
            data["queues"][key],
            json!({"depth": 0, "dlqDepth": 0, "processedLastHour": 0}),
            "{key}"
        );
    }
    assert_eq!(
        data["killswitches"],
        json!({"graderEnabled": true, "classifierEnabled": true, "hourlyAlertsEnabled": true,
               "solutionGeneratorEnabled": true, "ocrEnabled": true, "ingestEnabled": true,
               "gradingCheapMode": false})
    );
    assert_eq!(
        data["owners"],
        json!({"llmClassification": "backend", "ocr": "backend"})
    );
    assert_eq!(
        data["outbox"],
        json!({"messages": 0, "oldestAgeSeconds": null})
    );
    let (code, _) = toggle(&app, "ocrEnabled", json!({"enabled": false})).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(status(&app).await["killswitches"]["ocrEnabled"], false);
}

#[tokio::test]
async fn bad_toggles_are_400_naming_what_is_wrong() {
    let app = spawn_seeded().await;
    let (code, body) = toggle(&app, "graderenabled", json!({"enabled": true})).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Unknown killswitch key \"graderenabled\". Valid: graderEnabled, classifierEnabled, \
         solutionGeneratorEnabled, ocrEnabled, hourlyAlertsEnabled, ingestEnabled, gradingCheapMode"
    );
    for (bad, field) in [
        (json!({"enabled": "false"}), "enabled"),
        (json!({}), "enabled"),
        (json!({"enabled": true, "force": 1}), "force"),
    ] {
        let (code, body) = toggle(&app, "ocrEnabled", bad.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body["message"].to_string().contains(field), "{bad}: {body}");
    }
    // Nothing was paused by the refused requests.
    assert_eq!(status(&app).await["killswitches"]["ocrEnabled"], true);
    // Teachers may not look.
    let (code, _) = send(app.request_as(TEACHER, Method::GET, "/admin/status").await).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// The AI engine's own switches (its guide ingest pause, its grader's cheap mode) are shown and
/// set under the parameter names the engine reads; who runs each AI stage is the deploy's
/// choice (decision 21), shown as configured.
#[tokio::test]
async fn the_engines_switches_and_the_stage_owners_are_shown_and_set() {
    let endpoint = services::aws_endpoint();
    let app = spawn_seeded_with(&[
        ("AWS_ENDPOINT_URL", &endpoint),
        ("LLM_CLASSIFIER_OWNER", "engine"),
        ("OCR_OWNER", "backend"),
    ])
    .await;
    let data = status(&app).await;
    assert_eq!(
        data["owners"],
        json!({"llmClassification": "engine", "ocr": "backend"})
    );
    // Pausing the engine's ingest writes what it reads; the cheap mode is a mode: enabled = on.
    let (code, body) = toggle(&app, "ingestEnabled", json!({"enabled": false})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        ssm_value("/innova/guides/ingest_paused").await.as_deref(),
        Some("true")
    );
    let (code, body) = toggle(&app, "gradingCheapMode", json!({"enabled": true})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"key": "gradingCheapMode", "enabled": true})
    );
    assert_eq!(
        ssm_value("/innova/guides/grading_cheap_mode")
            .await
            .as_deref(),
        Some("true")
    );
    let switches = status(&app).await["killswitches"].clone();
    assert_eq!(
        (&switches["ingestEnabled"], &switches["gradingCheapMode"]),
        (&json!(false), &json!(true))
    );
    toggle(&app, "gradingCheapMode", json!({"enabled": false})).await;
    toggle(&app, "ingestEnabled", json!({"enabled": true})).await;
    assert_eq!(
        ssm_value("/innova/guides/grading_cheap_mode")
            .await
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        ssm_value("/innova/guides/ingest_paused").await.as_deref(),
        Some("false")
    );
}
