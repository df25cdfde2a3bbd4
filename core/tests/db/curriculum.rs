//! The curriculum repository, and the deterministic topic-by-code rule (decisions.md 17).

use innova_core::db::curriculum::{self, NewTopic};
use innova_core::db::seed;
use innova_domain::ids::{CourseId, TopicId};
use innova_testkit::seeded_db;
use sqlx::Executor;

#[tokio::test]
async fn taxonomy_lookups() {
    let db = seeded_db().await;
    let domains = curriculum::list_domains(&db.pool).await.unwrap();
    assert_eq!(domains.len(), 17);
    assert!(domains.windows(2).all(|w| w[0].code < w[1].code));
    let int = curriculum::domain_by_code(&db.pool, "INT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(int.name, "Aritmética de enteros");
    assert_eq!(
        curriculum::domain_by_code(&db.pool, "SPECIAL")
            .await
            .unwrap(),
        None
    );
    let subs = curriculum::subdomains_of_domain(&db.pool, &int.id)
        .await
        .unwrap();
    assert_eq!(subs.len(), 7);
    let sub = curriculum::subdomain_by_codes(&db.pool, "INT", "SUB")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.domain_id, int.id);
    assert_eq!(
        curriculum::subdomain_by_codes(&db.pool, "INT", "ADDSUB")
            .await
            .unwrap(),
        None
    );

    let unit = curriculum::unit_by_id(&db.pool, "seed-unit-003")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unit.code.as_str(), unit.grade_level, unit.sequence),
        ("U3-5B-FRACCIONES", 5, 3)
    );
    let units = curriculum::units_of_curriculum(&db.pool, seed::CURRICULUM_ID)
        .await
        .unwrap();
    assert_eq!(
        units.last().unwrap().id,
        "seed-unit-003",
        "teaching order: grade 5 last"
    );
    let topics = curriculum::topics_of_unit(&db.pool, "seed-unit-001")
        .await
        .unwrap();
    let codes: Vec<&str> = topics.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, ["T-ADD-CARRY", "T-SUB-BORROW"]);
    assert_eq!(
        curriculum::prerequisite_codes(&db.pool, &TopicId::new("seed-topic-002"))
            .await
            .unwrap(),
        Vec::<String>::new()
    );

    let created = curriculum::insert_topic(
        &db.pool,
        &NewTopic {
            unit_id: "seed-unit-003".into(),
            code: "T-NEW".into(),
            name: "Nuevo".into(),
            ..NewTopic::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((created.bkt_p_l0, created.bkt_p_guess), (0.3, 0.2));
    let read = curriculum::topic_by_id(&db.pool, &created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.topic, read.domain_code, read.subdomain_code),
        (created, None, None)
    );
}

#[tokio::test]
async fn topic_by_code_is_deterministic() {
    let db = seeded_db().await;
    // SUB exists under ARITH, INT and DEC: the earliest unit of the curriculum wins.
    let demo_course = CourseId::new(seed::COURSE_ID);
    for course in [None, Some(&demo_course)] {
        let sub = curriculum::topic_by_code(&db.pool, "SUB", course)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (sub.domain_code.as_deref(), sub.subdomain_code.as_deref()),
            (Some("ARITH"), Some("SUB"))
        );
    }
    let legacy = curriculum::topic_by_code(&db.pool, "T-SUB-BORROW", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(legacy.topic.id, "seed-topic-001");
    assert_eq!(
        curriculum::topic_by_code(&db.pool, "NOPE", None)
            .await
            .unwrap(),
        None
    );

    // Another curriculum (another country) that teaches SUB earlier: without a course it wins on
    // teaching order; for the Chilean demo course, the course's own curriculum wins.
    db.pool
        .execute(
            "INSERT INTO curricula (id, subject_id, country, name) VALUES ('cur-ar', 'seed-subject-001', 'AR', 'AR');
             INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
               VALUES ('unit-ar', 'cur-ar', 1, 1, 'AR-1', 'Unidad AR');
             INSERT INTO topics (id, unit_id, code, name) VALUES ('topic-ar-sub', 'unit-ar', 'SUB', 'Resta AR');",
        )
        .await
        .unwrap();
    let any = curriculum::topic_by_code(&db.pool, "SUB", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(any.topic.id, "topic-ar-sub");
    let in_course = curriculum::topic_by_code(&db.pool, "SUB", Some(&demo_course))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_course.domain_code.as_deref(), Some("ARITH"));
}

// --- Classrooms, parents, skills: topic CRUD ---------------------------------------------------

#[tokio::test]
async fn topics_are_listed_by_unit_changed_in_place_and_the_taxonomy_read_at_once() {
    let db = seeded_db().await;
    let pool = &db.pool;
    let all = curriculum::list_topics(pool, 1000, 0).await.unwrap();
    assert_eq!(all.len(), 109);
    assert!(
        all.windows(2)
            .all(|w| (&w[0].unit_id, &w[0].code) <= (&w[1].unit_id, &w[1].code))
    );
    let page = curriculum::list_topics(pool, 5, 5).await.unwrap();
    assert_eq!(page, all[5..10]);
    assert_eq!(curriculum::list_subdomains(pool).await.unwrap().len(), 106);
    let sub = curriculum::subdomain_by_codes(pool, "ARITH", "SUB")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        curriculum::subdomain_by_id(pool, &sub.id).await.unwrap(),
        Some(sub)
    );
    assert_eq!(
        curriculum::subdomain_by_id(pool, "nope").await.unwrap(),
        None
    );
    let first = curriculum::first_unit(pool).await.unwrap().unwrap();
    assert_eq!(
        (first.grade_level, first.sequence, first.code.as_str()),
        (3, 1, "ARITH")
    );

    use curriculum::TopicChanges;
    let renamed = curriculum::update_topic(
        pool,
        &TopicId::new("seed-topic-001"),
        &TopicChanges {
            name: Some("Resta con reagrupación".into()),
            ..TopicChanges::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (
            renamed.code.as_str(),
            renamed.name.as_str(),
            renamed.description.as_deref()
        ),
        (
            "T-SUB-BORROW",
            "Resta con reagrupación",
            Some("Resta con reagrupación para 3°-4° básico")
        )
    );
    let cleared = curriculum::update_topic(
        pool,
        &TopicId::new("seed-topic-001"),
        &TopicChanges {
            code: Some("T-SUB-REGROUP".into()),
            description: Some(None),
            ..TopicChanges::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (cleared.code.as_str(), cleared.description),
        ("T-SUB-REGROUP", None)
    );
    assert_eq!(
        curriculum::update_topic(pool, &TopicId::new("nope"), &TopicChanges::default())
            .await
            .unwrap(),
        None
    );
    // T-ADD-CARRY lives in the same unit.
    let taken = curriculum::update_topic(
        pool,
        &TopicId::new("seed-topic-001"),
        &TopicChanges {
            code: Some("T-ADD-CARRY".into()),
            ..TopicChanges::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(taken, innova_core::db::DbError::Conflict { .. }),
        "{taken:?}"
    );
}

#[tokio::test]
async fn a_topic_is_deleted_with_its_own_prerequisites_unless_something_references_it() {
    let db = seeded_db().await;
    let pool = &db.pool;
    // T-ADD-CARRY is T-SUB-BORROW's prerequisite; ARITH:SUB has the seed's eight exercises.
    let carry = curriculum::topic_references(pool, &TopicId::new("seed-topic-002"))
        .await
        .unwrap();
    assert_eq!(
        carry,
        curriculum::TopicReferences {
            exercises: 0,
            mastery_rows: 0,
            dependents: vec!["T-SUB-BORROW".into()],
        }
    );
    let arith_sub: TopicId =
        sqlx::query_scalar("SELECT topic_id FROM exercises WHERE id = 'seed-ex-sub-001'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        curriculum::topic_references(pool, &arith_sub)
            .await
            .unwrap()
            .exercises,
        8
    );
    let borrow = curriculum::topic_references(pool, &TopicId::new("seed-topic-001"))
        .await
        .unwrap();
    assert!(
        borrow.is_empty(),
        "its own prerequisite is not in the way: {borrow:?}"
    );

    let mut tx = innova_core::db::begin(pool).await.unwrap();
    assert!(
        curriculum::delete_topic(&mut tx, &TopicId::new("seed-topic-001"))
            .await
            .unwrap()
    );
    assert!(
        !curriculum::delete_topic(&mut tx, &TopicId::new("seed-topic-001"))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let edges: i64 = sqlx::query_scalar("SELECT count(*) FROM topic_prerequisites")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(edges, 0);
    assert!(
        curriculum::topic_references(pool, &TopicId::new("seed-topic-002"))
            .await
            .unwrap()
            .is_empty()
    );

    // The database still refuses a referenced topic (a reference made after the check).
    let mut tx = innova_core::db::begin(pool).await.unwrap();
    let err = curriculum::delete_topic(&mut tx, &arith_sub)
        .await
        .unwrap_err();
    assert!(
        matches!(err, innova_core::db::DbError::Conflict { .. }),
        "{err:?}"
    );
}
