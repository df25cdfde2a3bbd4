//! The exercise bank: inserting an item, the ACTIVE list (topic filter, order, pages), views by
//! id, the recommenders' candidates, and what a generation request names.

use innova_core::db::exercises::{
    self, BankReader, ExerciseSource, ExerciseStatus, NewExercise, Owner,
};
use innova_core::db::{self, DbError};
use innova_domain::ids::{ExerciseId, TeacherId, TopicId};
use innova_testkit::seeded_db;
use serde_json::json;

const BORROW_TOPIC: &str = "seed-topic-001";

async fn sub_topic(pool: &db::PgPool) -> TopicId {
    sqlx::query_scalar("SELECT topic_id FROM exercises WHERE id = 'seed-ex-sub-001'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_item_is_inserted_active_and_listed_after_the_seeded_ones() {
    let db = seeded_db().await;
    let content = json!({"prompt": "91 - 46 = ?"});
    let (borrow_topic, teacher) = (
        TopicId::new(BORROW_TOPIC),
        TeacherId::new("seed-teacher-001"),
    );
    let new = NewExercise {
        topic_id: &borrow_topic,
        source: ExerciseSource::TeacherAuthored,
        created_by_teacher_id: Some(&teacher),
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
    assert_eq!(found.exercise.exercise, row);
    assert_eq!(found.exercise.topic_code, "T-SUB-BORROW");
    assert_eq!(found.owner(), Owner::Bank);
    assert_eq!(
        exercises::irt(&db.pool, &row.id, BankReader::Learner)
            .await
            .unwrap(),
        Some((1.1, 0.2))
    );
    assert_eq!(
        exercises::irt(&db.pool, &ExerciseId::new("nope"), BankReader::Admin)
            .await
            .unwrap(),
        None
    );

    let all = exercises::list_active(&db.pool, BankReader::Learner, None, 100, 0)
        .await
        .unwrap();
    assert_eq!(all.len(), 9);
    assert_eq!(all[8].exercise.id, row.id, "oldest first");
    let page = exercises::list_active(&db.pool, BankReader::Learner, Some("SUB"), 2, 6)
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|x| x.exercise.id.as_str()).collect();
    assert_eq!(ids, ["seed-ex-sub-007", "seed-ex-sub-008"]);
    let borrow = exercises::list_active(&db.pool, BankReader::Learner, Some("T-SUB-BORROW"), 10, 0)
        .await
        .unwrap();
    assert_eq!(borrow.len(), 1);

    // Not ACTIVE: out of the list and of the candidates, still readable by id.
    sqlx::query("UPDATE exercises SET status = 'DEPRECATED' WHERE id = 'seed-ex-sub-008'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        exercises::list_active(&db.pool, BankReader::Learner, Some("SUB"), 100, 0)
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
    let gone = exercises::find(&db.pool, &ExerciseId::new("seed-ex-sub-008"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.exercise.exercise.status, ExerciseStatus::Deprecated);

    // An unknown topic is a missing reference.
    let err = exercises::insert(
        &db.pool,
        &NewExercise {
            topic_id: &TopicId::new("no-topic"),
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
    fn ids<'a, T: From<&'a str>>(v: &[&'a str]) -> Vec<T> {
        v.iter().copied().map(T::from).collect()
    }
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

/// A guide's exercise (its answer is the guide's key) is read only by the teachers of the
/// guide's course and admins; the recommenders never offer it.
#[tokio::test]
async fn a_guides_exercise_is_read_only_by_its_courses_teachers_and_admins() {
    use innova_core::db::seed::{COURSE_ID, TEACHER_ID};
    use innova_testkit::guides::{GuideFixture, QuestionFixture};
    let db = seeded_db().await;
    GuideFixture::new("g-keyed", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(QuestionFixture::approved("g-keyed-q1", 1, "41 - 19").answer("22"))
        .insert(&db.pool)
        .await;
    let content = json!({"statement_latex": "41 - 19", "final_answer": "22"});
    let (borrow_topic, course_teacher) = (TopicId::new(BORROW_TOPIC), TeacherId::new(TEACHER_ID));
    let row = exercises::insert(
        &db.pool,
        &NewExercise {
            topic_id: &borrow_topic,
            source: ExerciseSource::GuideExtracted,
            created_by_teacher_id: Some(&course_teacher),
            content: &content,
            irt_a: 1.0,
            irt_b: 0.0,
        },
    )
    .await
    .unwrap();
    sqlx::query("UPDATE guide_questions SET exercise_id = $1 WHERE id = 'g-keyed-q1'")
        .bind(&row.id)
        .execute(&db.pool)
        .await
        .unwrap();
    // The same shape, linked from no question: marked GUIDE_EXTRACTED, so no course's.
    let orphan = exercises::insert(
        &db.pool,
        &NewExercise {
            topic_id: &borrow_topic,
            source: ExerciseSource::GuideExtracted,
            created_by_teacher_id: None,
            content: &content,
            irt_a: 1.0,
            irt_b: 0.0,
        },
    )
    .await
    .unwrap();

    let found = exercises::find(&db.pool, &row.id).await.unwrap().unwrap();
    assert_eq!(found.owner(), Owner::Guide(Some(COURSE_ID.into())));
    let found = exercises::find(&db.pool, &orphan.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.owner(), Owner::Guide(None));

    let pool = &db.pool;
    let listed = |reader| async move {
        exercises::list_active(pool, reader, Some("T-SUB-BORROW"), 100, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.exercise.id)
            .collect::<Vec<_>>()
    };
    let ids = [row.id.clone(), orphan.id.clone()];
    let holds = |list: &[ExerciseId], id: &str| list.iter().any(|x| x == id);
    let learner = listed(BankReader::Learner).await;
    assert!(!holds(&learner, &ids[0]) && !holds(&learner, &ids[1]));
    let other_teacher = TeacherId::new("test-teacher-b");
    let stranger = listed(BankReader::Teacher(&other_teacher)).await;
    assert!(!holds(&stranger, &ids[0]) && !holds(&stranger, &ids[1]));
    let teacher = listed(BankReader::Teacher(&course_teacher)).await;
    assert!(holds(&teacher, &ids[0]) && !holds(&teacher, &ids[1]));
    let admin = listed(BankReader::Admin).await;
    assert!(holds(&admin, &ids[0]) && holds(&admin, &ids[1]));

    assert_eq!(
        exercises::irt(&db.pool, &row.id, BankReader::Learner)
            .await
            .unwrap(),
        None
    );
    assert!(
        exercises::irt(&db.pool, &row.id, BankReader::Teacher(&course_teacher))
            .await
            .unwrap()
            .is_some()
    );
    let readable = exercises::readable_by_ids(&db.pool, &ids, BankReader::Teacher(&course_teacher))
        .await
        .unwrap();
    assert_eq!(readable.len(), 1);
    assert_eq!(
        exercises::from_guides(
            &db.pool,
            &[ids[1].clone(), "seed-ex-sub-001".into(), ids[0].clone()]
        )
        .await
        .unwrap(),
        [ids[1].as_str(), ids[0].as_str()]
    );
    // Never a recommendation.
    let candidates = exercises::active_of_topics(&db.pool, &[BORROW_TOPIC.into()])
        .await
        .unwrap();
    assert!(candidates.iter().all(|c| !ids.contains(&c.exercise.id)));
    let practice = exercises::active_in_domain(&db.pool, None, 1000)
        .await
        .unwrap();
    assert!(practice.iter().all(|c| !ids.contains(&c.exercise.id)));
}
