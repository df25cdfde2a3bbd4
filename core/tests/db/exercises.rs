//! The exercise bank: inserting an item, the ACTIVE list (topic filter, order, pages), views by
//! id, the recommenders' candidates, and what a generation request names.

use innova_core::db::exercises::{self, ExerciseSource, ExerciseStatus, NewExercise};
use innova_core::db::{self, DbError};
use innova_testkit::seeded_db;
use serde_json::json;

const BORROW_TOPIC: &str = "seed-topic-001";

async fn sub_topic(pool: &db::PgPool) -> String {
    sqlx::query_scalar("SELECT topic_id FROM exercises WHERE id = 'seed-ex-sub-001'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_item_is_inserted_active_and_listed_after_the_seeded_ones() {
    let db = seeded_db().await;
    let content = json!({"prompt": "91 - 46 = ?"});
    let new = NewExercise {
        topic_id: BORROW_TOPIC,
        source: ExerciseSource::TeacherAuthored,
        created_by_teacher_id: Some("seed-teacher-001"),
        content: &content,
        irt_a: 1.1,
        irt_b: 0.2,
    };
    let row = exercises::insert(&db.pool, &new).await.unwrap();
    assert_eq!(
        (row.status, row.source),
        (ExerciseStatus::Active, ExerciseSource::TeacherAuthored)
    );
    assert_eq!(
        (row.language.as_str(), row.content.clone()),
        ("es", content.clone())
    );
    assert_eq!(
        row.created_by_teacher_id.as_deref(),
        Some("seed-teacher-001")
    );

    let found = exercises::find(&db.pool, &row.id).await.unwrap().unwrap();
    assert_eq!(found.exercise, row);
    assert_eq!(found.topic_code, "T-SUB-BORROW");
    assert_eq!(
        exercises::irt(&db.pool, &row.id).await.unwrap(),
        Some((1.1, 0.2))
    );
    assert_eq!(exercises::irt(&db.pool, "nope").await.unwrap(), None);

    let all = exercises::list_active(&db.pool, None, 100, 0)
        .await
        .unwrap();
    assert_eq!(all.len(), 9);
    assert_eq!(all[8].exercise.id, row.id, "oldest first");
    let page = exercises::list_active(&db.pool, Some("SUB"), 2, 6)
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|x| x.exercise.id.as_str()).collect();
    assert_eq!(ids, ["seed-ex-sub-007", "seed-ex-sub-008"]);
    let borrow = exercises::list_active(&db.pool, Some("T-SUB-BORROW"), 10, 0)
        .await
        .unwrap();
    assert_eq!(borrow.len(), 1);

    // Not ACTIVE: out of the list and of the candidates, still readable by id.
    sqlx::query("UPDATE exercises SET status = 'DEPRECATED' WHERE id = 'seed-ex-sub-008'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        exercises::list_active(&db.pool, Some("SUB"), 100, 0)
            .await
            .unwrap()
            .len(),
        7
    );
    let sub = sub_topic(&db.pool).await;
    let candidates = exercises::active_of_topics(&db.pool, &[sub, BORROW_TOPIC.into()])
        .await
        .unwrap();
    assert_eq!(candidates.len(), 8);
    assert!(
        candidates
            .iter()
            .all(|c| c.exercise.id != "seed-ex-sub-008")
    );
    let gone = exercises::find(&db.pool, "seed-ex-sub-008")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.exercise.status, ExerciseStatus::Deprecated);

    // An unknown topic is a missing reference.
    let err = exercises::insert(
        &db.pool,
        &NewExercise {
            topic_id: "no-topic",
            ..new
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::MissingReference { ref field } if field == "topicId"),
        "{err:?}"
    );
}

#[tokio::test]
async fn practice_candidates_are_limited_and_filtered_by_the_topics_domain() {
    let db = seeded_db().await;
    let arith: String = sqlx::query_scalar("SELECT id FROM domains WHERE code = 'ARITH'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let fract: String = sqlx::query_scalar("SELECT id FROM domains WHERE code = 'FRACT'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let three = exercises::active_in_domain(&db.pool, None, 3)
        .await
        .unwrap();
    let ids: Vec<&str> = three.iter().map(|x| x.exercise.id.as_str()).collect();
    assert_eq!(
        ids,
        ["seed-ex-sub-001", "seed-ex-sub-002", "seed-ex-sub-003"]
    );
    assert_eq!(
        exercises::active_in_domain(&db.pool, Some(&arith), 500)
            .await
            .unwrap()
            .len(),
        8
    );
    assert!(
        exercises::active_in_domain(&db.pool, Some(&fract), 500)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn lookups_by_id_report_the_missing_and_generation_references_are_checked_at_once() {
    let db = seeded_db().await;
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let missing = exercises::missing(&db.pool, &ids(&["b", "seed-ex-sub-001", "a", "b"]))
        .await
        .unwrap();
    assert_eq!(missing, ["b", "a"], "each once, in the order given");
    assert!(exercises::missing(&db.pool, &[]).await.unwrap().is_empty());
    let rows = exercises::by_ids(&db.pool, &ids(&["seed-ex-sub-002", "x"]))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let topics = exercises::topics_by_ids(&db.pool, &ids(&[BORROW_TOPIC, "x"]))
        .await
        .unwrap();
    assert_eq!((topics.len(), topics[0].code.as_str()), (1, "T-SUB-BORROW"));

    let codes = ids(&["ARITH_SUB_BORROW_FROM_ZERO_G3", "NOPE", "NOPE", "ALSO_NOPE"]);
    let refs = exercises::generation_references(&db.pool, "SUB", &codes)
        .await
        .unwrap();
    assert!(refs.subdomain_exists);
    assert_eq!(refs.unknown_error_codes, ["NOPE", "ALSO_NOPE"]);
    let refs = exercises::generation_references(&db.pool, "NOT_A_SUBDOMAIN", &codes[..1])
        .await
        .unwrap();
    assert!(!refs.subdomain_exists);
    assert!(refs.unknown_error_codes.is_empty());
}
