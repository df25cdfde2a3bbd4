//! The attempt-reprocess worker: a graded guide submission becomes one attempt (steps, BKT,
//! the submission GRADED), once, whatever SQS redelivers; a poison record fails alone; the
//! legacy OCR path regrades the photographed attempt in place.

use std::sync::Arc;

use innova_app::App;
use innova_core::config::Config;
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::messages::{AlignmentSummary, AttemptReprocessMessage};
use innova_core::queue::{SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};
use innova_core::services::{Runtime, Services};
use innova_domain::bkt::{self, BktParams};
use innova_testkit::TestDb;
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::services::{TestQueue, create_queue, receive_event, required_env, sqs};
use innova_workers::attempt_reprocess::AttemptReprocessHandler;
use serde_json::{Value, json};

/// The seeded demo course with a published guide: q-1 `53 - 26` (answer 27) and q-2
/// `\frac{1}{2} + \frac{1}{4}` (answer 3/4), both on topic SUB; submissions in GRADING (the AI
/// engine's grader has been at them): s-1 and s-2 of student 1, s-3 of student 2 on q-1.
struct Setup {
    db: TestDb,
    handler: AttemptReprocessHandler,
    llm: TestQueue,
}

async fn setup() -> Setup {
    let db = innova_testkit::seeded_db().await;
    let guide = GuideFixture::new("g-1", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-1", 1, "53 - 26")
                .topic("SUB")
                .answer("27"),
        )
        .question(
            QuestionFixture::approved("q-2", 2, "\\frac{1}{2} + \\frac{1}{4}")
                .topic("SUB")
                .answer("\\frac{3}{4}"),
        );
    guide.insert(&db.pool).await;
    for (id, question, student) in [
        ("s-1", "q-1", STUDENT_IDS[0]),
        ("s-2", "q-2", STUDENT_IDS[0]),
        ("s-3", "q-1", STUDENT_IDS[1]),
    ] {
        SubmissionFixture::new(id, &guide, question, student)
            .status("GRADING")
            .insert(&db.pool)
            .await;
    }
    let llm = create_queue("llm-classify-queue", false).await;
    let endpoint = required_env("INNOVA_TEST_AWS_ENDPOINT_URL");
    let config = Config::from_vars([
        ("DATABASE_URL", db.url.as_str()),
        ("INNOVA_DATA_DIR", "/nonexistent-innova"),
        ("SQS_LLM_CLASSIFY_URL", llm.url.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ])
    .unwrap();
    let services = Services::for_runtime(&config, Runtime::Local);
    let app = App::new(Arc::new(config), db.pool.clone(), services);
    Setup {
        handler: AttemptReprocessHandler::new(app),
        db,
        llm,
    }
}

/// The grader's message for a submission: its steps and alignment score.
fn graded(submission: &str, steps: &[&str], score: f64) -> Value {
    json!({
        "attempt_id": null,
        "latex_steps": steps,
        "provider": "claude-haiku",
        "confidence": 0.93,
        "trace_id": format!("trace-grade-{submission}"),
        "guide_submission_id": submission,
        "guide_question_id": "ignored",
        "alignment_summary": { "path": "MAIN", "first_error_checkpoint": null, "score_0_1": score },
    })
}

fn event(records: &[(&str, String)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    for (id, body) in records {
        let mut record = SqsMessage::default();
        record.message_id = Some((*id).into());
        record.body = Some(body.clone());
        event.records.push(record);
    }
    event
}

fn failed(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

async fn row(db: &TestDb, sql: &str, id: &str) -> Value {
    sqlx::query_scalar::<_, Value>(sql)
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn submission(db: &TestDb, id: &str) -> Value {
    row(
        db,
        "SELECT to_jsonb(s) FROM guide_submissions s WHERE id = $1",
        id,
    )
    .await
}

async fn attempt(db: &TestDb, id: &str) -> Value {
    row(
        db,
        "SELECT to_jsonb(a) || jsonb_build_object('tag', (SELECT code FROM error_tags WHERE id = a.error_tag_id))
         FROM attempts a WHERE id = $1",
        id,
    )
    .await
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

/// How many attempts BKT has counted for a student on a topic.
async fn steps_of(db: &TestDb, student: &str, topic: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(attempts_count), 0)::bigint FROM student_topic_mastery
         WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(student)
    .bind(topic)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn sub_topic(db: &TestDb) -> (String, BktParams) {
    let (id, p_l0, p_transit, p_slip, p_guess): (String, f64, f64, f64, f64) = sqlx::query_as(
        "SELECT t.id, t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess
         FROM guide_questions q JOIN topics t ON t.id = q.topic_id WHERE q.id = 'q-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    (
        id,
        BktParams {
            p_l0,
            p_transit,
            p_slip,
            p_guess,
        },
    )
}

#[tokio::test]
async fn a_right_answer_through_sqs_becomes_one_correct_attempt_and_one_bkt_step() {
    let s = setup().await;
    // Delivered the way Lambda would: sent to (moto) SQS, received as an event.
    let queue = create_queue("attempt-reprocess-queue", false).await;
    let body = graded("s-1", &["53 - 26", "27"], 1.0).to_string();
    sqs()
        .await
        .send_message()
        .queue_url(&queue.url)
        .message_body(&body)
        .send()
        .await
        .unwrap();
    let delivered = receive_event(&queue).await;
    assert_eq!(delivered.records.len(), 1);
    let response = s.handler.handle(delivered).await;
    assert!(failed(&response).is_empty());

    let sub = submission(&s.db, "s-1").await;
    assert_eq!(sub["status"], "GRADED");
    assert_eq!(
        (sub["score"].as_f64(), sub["is_correct"].as_bool()),
        (Some(1.0), Some(true))
    );
    assert_eq!(sub["transcription_latex"], "53 - 26 \\\\ 27");
    assert_eq!(sub["transcription_confidence"], 0.93);
    assert_eq!(sub["model_used"], "claude-haiku");
    assert_eq!(sub["alignment_json"]["summary"]["path"], "MAIN");
    assert!(!sub["graded_at"].is_null());

    let attempt_id = sub["attempt_id"].as_str().expect("linked").to_owned();
    let a = attempt(&s.db, &attempt_id).await;
    assert_eq!(a["input_mode"], "PHOTO_GUIDE");
    assert_eq!(a["status"], "CLASSIFIED");
    assert_eq!(
        (a["tag"].as_str(), a["classifier_source"].as_str()),
        (Some("CORRECT"), Some("RULE"))
    );
    assert_eq!(a["course_id"], COURSE_ID);
    assert_eq!(a["student_id"], STUDENT_IDS[0]);
    assert_eq!(a["trace_id"], "trace-grade-s-1");
    assert_eq!(a["ocr_provider"], "claude-haiku");
    assert!(!a["classified_at"].is_null());
    let steps: Vec<(String, Option<bool>)> = sqlx::query_as(
        "SELECT content_latex, is_correct FROM attempt_steps WHERE attempt_id = $1 ORDER BY step_index",
    )
    .bind(&attempt_id)
    .fetch_all(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(steps, [("53 - 26".into(), None), ("27".into(), Some(true))]);

    // BKT, to the bit, from the topic's priors.
    let (topic, params) = sub_topic(&s.db).await;
    let expected = bkt::update(bkt::prior(None, &params), &params, true);
    let (p_known, attempts): (f64, i32) = sqlx::query_as(
        "SELECT p_known, attempts_count FROM student_topic_mastery WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(STUDENT_IDS[0])
    .bind(&topic)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!((p_known.to_bits(), attempts), (expected.to_bits(), 1));

    // SQS delivers it again (a lost delete): nothing new, BKT not applied twice.
    let again = s.handler.handle(event(&[("m-again", body)])).await;
    assert!(failed(&again).is_empty());
    assert_eq!(
        count(
            &s.db,
            "SELECT count(*) FROM attempts WHERE input_mode = 'PHOTO_GUIDE'"
        )
        .await,
        1
    );
    let (p_again, attempts_again): (f64, i32) = sqlx::query_as(
        "SELECT p_known, attempts_count FROM student_topic_mastery WHERE student_id = $1 AND topic_id = $2",
    )
    .bind(STUDENT_IDS[0])
    .bind(&topic)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!((p_again.to_bits(), attempts_again), (expected.to_bits(), 1));
    // A right answer asks nothing of the LLM.
    assert!(receive_event(&s.llm).await.records.is_empty());
}

#[tokio::test]
async fn a_wrong_answer_is_named_by_the_rules_or_sent_to_the_llm() {
    let s = setup().await;
    // 53 - 26 answered 33: the rules know this error.
    // q-2's fractions: the rules cannot read them, so the LLM classifier is asked.
    let response = s
        .handler
        .handle(event(&[
            ("m-1", graded("s-1", &["53 - 26", "33"], 0.0).to_string()),
            ("m-2", graded("s-2", &["\\frac{2}{6}"], 0.25).to_string()),
        ]))
        .await;
    assert!(failed(&response).is_empty());

    let by_rule = attempt(
        &s.db,
        submission(&s.db, "s-1").await["attempt_id"]
            .as_str()
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            by_rule["status"].as_str(),
            by_rule["classifier_source"].as_str()
        ),
        (Some("CLASSIFIED"), Some("RULE"))
    );
    assert_eq!(by_rule["is_correct"], false);
    let tag = by_rule["tag"].as_str().expect("a rule tag");
    assert!(tag.starts_with("ARITH_SUB_"), "{tag}");

    let sub2 = submission(&s.db, "s-2").await;
    assert_eq!(
        (sub2["status"].as_str(), sub2["is_correct"].as_bool()),
        (Some("GRADED"), Some(false))
    );
    let pending_id = sub2["attempt_id"].as_str().unwrap().to_owned();
    let pending = attempt(&s.db, &pending_id).await;
    assert_eq!(
        (
            pending["status"].as_str(),
            pending["classifier_source"].as_str()
        ),
        (Some("PENDING"), Some("LLM"))
    );
    assert!(pending["tag"].is_null() && pending["classified_at"].is_null());

    // The §3.2 variant-B body, exactly.
    let (topic, _) = sub_topic(&s.db).await;
    let (domain_id, subdomain): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT t.domain_id, sd.code FROM topics t LEFT JOIN subdomains sd ON sd.id = t.subdomain_id WHERE t.id = $1",
    )
    .bind(&topic)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    let received = receive_event(&s.llm).await;
    assert_eq!(
        received.records.len(),
        1,
        "only the attempt the rules could not name"
    );
    let body: Value = serde_json::from_str(received.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "id": pending_id,
            "topic": "SUB",
            "domain_id": domain_id,
            "subdomain_code": subdomain,
            "problem_statement": "\\frac{1}{2} + \\frac{1}{4}",
            "canonical_solution": "\\frac{3}{4}",
            "raw_steps": [{ "expression": "\\frac{2}{6}", "isFinal": true }],
            "final_answer": "\\frac{2}{6}",
            "student_id": STUDENT_IDS[0],
        })
    );
}

#[tokio::test]
async fn a_poison_record_fails_alone_and_the_others_are_applied() {
    let s = setup().await;
    let response = s
        .handler
        .handle(event(&[
            ("m-good-1", graded("s-1", &["27"], 1.0).to_string()),
            ("m-poison", "{\"latex_steps\": [\"27\"".into()),
            ("m-good-3", graded("s-3", &["27"], 1.0).to_string()),
        ]))
        .await;
    assert_eq!(failed(&response), ["m-poison"]);
    for id in ["s-1", "s-3"] {
        assert_eq!(submission(&s.db, id).await["status"], "GRADED", "{id}");
    }

    // Bodies that parse but cannot be applied fail too; an id naming nothing is done.
    let response = s
        .handler
        .handle(event(&[
            (
                "m-no-ids",
                json!({ "attempt_id": null, "latex_steps": [], "confidence": 0.5 }).to_string(),
            ),
            (
                "m-bad-confidence",
                graded("s-2", &["1"], 1.0).to_string().replace("0.93", "7"),
            ),
            ("m-unknown", graded("s-nope", &["1"], 1.0).to_string()),
        ]))
        .await;
    assert_eq!(failed(&response), ["m-no-ids", "m-bad-confidence"]);
    assert_eq!(submission(&s.db, "s-2").await["status"], "GRADING");
}

#[tokio::test]
async fn concurrent_deliveries_of_one_message_make_one_attempt() {
    let s = setup().await;
    let body = graded("s-1", &["27"], 1.0).to_string();
    let (a, b) = tokio::join!(
        s.handler.handle(event(&[("m-a", body.clone())])),
        s.handler.handle(event(&[("m-b", body)])),
    );
    assert!(failed(&a).is_empty() && failed(&b).is_empty());
    assert_eq!(
        count(
            &s.db,
            "SELECT count(*) FROM attempts WHERE input_mode = 'PHOTO_GUIDE'"
        )
        .await,
        1
    );
    let (topic, _) = sub_topic(&s.db).await;
    assert_eq!(steps_of(&s.db, STUDENT_IDS[0], &topic).await, 1);
}

#[tokio::test]
async fn the_legacy_ocr_path_regrades_the_photographed_attempt_once() {
    let s = setup().await;
    // An attempt of student 1 on a seed exercise (53 - 26 = ?), waiting for its photo.
    sqlx::query(
        "INSERT INTO attempts (id, student_id, exercise_id, course_id, is_correct, classifier_source,
                               input_mode, status, trace_id, updated_at)
         VALUES ('a-photo', $1, 'seed-ex-sub-001', $2, false, 'RULE', 'PHOTO_OCR', 'PENDING_OCR',
                 'trace-photo', CURRENT_TIMESTAMP)",
    )
    .bind(STUDENT_IDS[0])
    .bind(COURSE_ID)
    .execute(&s.db.pool)
    .await
    .unwrap();
    let topic: String =
        sqlx::query_scalar("SELECT topic_id FROM exercises WHERE id = 'seed-ex-sub-001'")
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    let before = steps_of(&s.db, STUDENT_IDS[0], &topic).await;
    let message = AttemptReprocessMessage {
        attempt_id: Some("a-photo".into()),
        latex_steps: vec!["53 - 26".into(), "33".into()],
        provider: "gemini-2.5-flash".into(),
        confidence: 0.8,
        trace_id: "trace-photo".into(),
        guide_submission_id: None,
        guide_question_id: None,
        alignment_summary: None::<AlignmentSummary>,
    };
    let body = serde_json::to_string(&message).unwrap();
    for delivery in ["m-1", "m-2"] {
        let response = s.handler.handle(event(&[(delivery, body.clone())])).await;
        assert!(failed(&response).is_empty());
    }
    let a = attempt(&s.db, "a-photo").await;
    assert_eq!(
        (a["status"].as_str(), a["classifier_source"].as_str()),
        (Some("CLASSIFIED"), Some("RULE"))
    );
    assert_eq!(a["is_correct"], false);
    assert!(
        a["tag"]
            .as_str()
            .is_some_and(|t| t.starts_with("ARITH_SUB_")),
        "{a}"
    );
    assert_eq!(
        (a["ocr_provider"].as_str(), a["ocr_confidence"].as_f64()),
        (Some("gemini-2.5-flash"), Some(0.8))
    );
    assert_eq!(
        count(
            &s.db,
            "SELECT count(*) FROM attempt_steps WHERE attempt_id = 'a-photo'"
        )
        .await,
        2
    );
    // Judged for the first time: one BKT step, not two.
    assert_eq!(steps_of(&s.db, STUDENT_IDS[0], &topic).await, before + 1);
    assert_eq!(
        count(
            &s.db,
            "SELECT count(*) FROM attempts WHERE trace_id = 'trace-photo'"
        )
        .await,
        1,
        "regraded in place"
    );
}

// ---- the AI engine's own rows and message -----------------------------------------------------

/// The AI engine's grader's message, byte for byte as its pydantic `ReprocessMessage` serialises
/// it (`src/submission_grader/schemas.py`, `model_dump_json`, keys in declaration order).
const ENGINE_REPROCESS_MESSAGE: &str = r#"{"attempt_id":null,"guide_submission_id":"s-1","guide_question_id":"q-1","latex_steps":["53 - 26","27"],"provider":"claude-haiku","confidence":0.91,"alignment_summary":{"path":"MAIN","first_error_checkpoint":null,"score_0_1":1.0},"trace_id":"b1c2d3e4-0000-4000-8000-000000000003"}"#;

/// The submission as the engine's grader leaves it before publishing (its repository's UPDATE,
/// the legible case): GRADING, its transcription, its alignment, its model.
const ENGINE_TRANSCRIPTION: &str = r#"{"steps":[{"idx":0,"latex":"53 - 26","legible":true},{"idx":1,"latex":"27","legible":true}],"final_answer":"27","confidence":0.91}"#;
const ENGINE_ALIGNMENT: &str = r#"{"alignment":{"matches":[{"student_step_idx":0,"solution_checkpoint_idx":0,"verdict":"OK"},{"student_step_idx":1,"solution_checkpoint_idx":1,"verdict":"OK"}],"path":"MAIN"},"provisional":{"is_correct":true,"score_0_1":1.0,"first_error_step_idx":null}}"#;

#[tokio::test]
async fn the_engines_grading_detail_is_kept_and_ours_added_beside_it() {
    let s = setup().await;
    sqlx::query(
        "UPDATE guide_submissions
         SET status = 'GRADING'::\"SubmissionStatus\", transcription_latex = $2,
             transcription_json = $3::jsonb, transcription_confidence = 0.91,
             alignment_json = $4::jsonb, score = 1.0, is_correct = true, solution_version = 1,
             model_used = 'claude-haiku-4-5', failure_reason = NULL, updated_at = NOW()
         WHERE id = $1",
    )
    .bind("s-1")
    .bind("53 - 26\n27")
    .bind(ENGINE_TRANSCRIPTION)
    .bind(ENGINE_ALIGNMENT)
    .execute(&s.db.pool)
    .await
    .unwrap();
    // The engine's message parses as ours (nothing renamed or lost).
    let parsed: AttemptReprocessMessage = serde_json::from_str(ENGINE_REPROCESS_MESSAGE).unwrap();
    assert_eq!(parsed.guide_submission_id.as_deref(), Some("s-1"));

    let response = s
        .handler
        .handle(event(&[("m-1", ENGINE_REPROCESS_MESSAGE.to_string())]))
        .await;
    assert!(failed(&response).is_empty());
    let sub = submission(&s.db, "s-1").await;
    assert_eq!(sub["status"], "GRADED");
    assert!(sub["attempt_id"].is_string());
    // Everything the engine stored is still there …
    let engine_transcription: Value = serde_json::from_str(ENGINE_TRANSCRIPTION).unwrap();
    assert_eq!(sub["transcription_json"], engine_transcription);
    assert_eq!(sub["transcription_latex"], "53 - 26\n27");
    assert_eq!(sub["model_used"], "claude-haiku-4-5");
    let engine_alignment: Value = serde_json::from_str(ENGINE_ALIGNMENT).unwrap();
    assert_eq!(
        sub["alignment_json"]["alignment"],
        engine_alignment["alignment"]
    );
    assert_eq!(
        sub["alignment_json"]["provisional"],
        engine_alignment["provisional"]
    );
    // … and ours beside it.
    assert_eq!(
        sub["alignment_json"]["summary"],
        json!({"path": "MAIN", "first_error_checkpoint": null, "score_0_1": 1.0})
    );
    assert_eq!(
        (sub["score"].as_f64(), sub["is_correct"].as_bool()),
        (Some(1.0), Some(true))
    );
}
