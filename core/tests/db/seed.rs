//! `innova seed`: the demo data of data-model.md §5, idempotent.

use innova_core::db::curriculum;
use innova_core::db::enums::{ErrorSource, ErrorStatus};
use innova_core::db::{error_tags, seed, users};
use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId, TopicId};
use innova_testkit::fresh_db;

#[tokio::test]
async fn seeding_twice_leaves_exactly_the_documented_rows() {
    let db = fresh_db().await;
    seed::run(&db.pool).await.unwrap();
    let first = seed::row_counts(&db.pool).await.unwrap();
    seed::run(&db.pool).await.unwrap();
    let second = seed::row_counts(&db.pool).await.unwrap();
    assert_eq!(first, second, "a second seed changed row counts");

    for (table, count) in &first {
        let expected = seed::EXPECTED_COUNTS
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n);
        assert_eq!(*count, expected, "rows in {table}");
    }
    // The numbers of data-model.md §5, spelled out.
    let count = |t: &str| first.iter().find(|(name, _)| *name == t).unwrap().1;
    assert_eq!(
        [
            count("users"),
            count("teachers"),
            count("students"),
            count("parents")
        ],
        [8, 1, 5, 1]
    );
    assert_eq!([count("domains"), count("subdomains")], [17, 106]);
    assert_eq!(
        [count("units"), count("topics"), count("exercises")],
        [19, 109, 8]
    );
    assert_eq!(
        [
            count("error_tags"),
            count("enrollments"),
            count("parent_links")
        ],
        [17, 5, 1]
    );
}

#[tokio::test]
async fn demo_identities_are_in_the_database() {
    let db = fresh_db().await;
    seed::run(&db.pool).await.unwrap();
    for demo in &seed::DEMO_USERS {
        let user = users::user_by_supabase_uid(&db.pool, demo.supabase_uid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.email, demo.email);
        assert_eq!(user.auth_role.as_deref(), Some(demo.role));
        let profile = match demo.role {
            "teacher" => users::teacher_by_user_id(&db.pool, &user.id)
                .await
                .unwrap()
                .map(|t| (t.id.into_string(), t.display_name.unwrap())),
            "student" => users::student_by_user_id(&db.pool, &user.id)
                .await
                .unwrap()
                .map(|s| (s.id.into_string(), s.display_name)),
            "parent" => users::parent_by_user_id(&db.pool, &user.id)
                .await
                .unwrap()
                .map(|p| (p.id.into_string(), p.display_name.unwrap())),
            _ => None,
        };
        assert_eq!(
            profile,
            demo.profile_id
                .map(|id| (id.to_string(), demo.display_name.to_string())),
            "{}",
            demo.email
        );
    }
    assert_eq!(
        seed::demo_user("parent").unwrap().profile_id,
        Some(seed::PARENT_ID)
    );

    let (teacher, course) = (
        TeacherId::new(seed::TEACHER_ID),
        CourseId::new(seed::COURSE_ID),
    );
    assert!(
        users::is_course_teacher(&db.pool, &teacher, &course)
            .await
            .unwrap()
    );
    for student in seed::STUDENT_IDS {
        assert!(
            users::is_enrolled(&db.pool, &StudentId::new(student), &course, true)
                .await
                .unwrap()
        );
    }
    let parent = ParentId::new(seed::PARENT_ID);
    assert!(
        users::has_confirmed_link(&db.pool, &parent, &StudentId::new(seed::STUDENT_IDS[0]))
            .await
            .unwrap()
    );
    assert!(
        !users::has_confirmed_link(&db.pool, &parent, &StudentId::new(seed::STUDENT_IDS[1]))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn curriculum_taxonomy_exercises_and_tags_are_as_specified() {
    let db = fresh_db().await;
    seed::run(&db.pool).await.unwrap();

    let units = curriculum::units_of_curriculum(&db.pool, seed::CURRICULUM_ID)
        .await
        .unwrap();
    assert_eq!(units.len(), 19);
    let domains = curriculum::list_domains(&db.pool).await.unwrap();
    for domain in &domains {
        let unit = units
            .iter()
            .find(|u| u.code == domain.code)
            .expect("one unit per domain");
        assert_eq!(
            (unit.name.as_str(), unit.grade_level),
            (domain.name.as_str(), 3)
        );
        let subdomains = curriculum::subdomains_of_domain(&db.pool, &domain.id)
            .await
            .unwrap();
        let topics = curriculum::topics_of_unit(&db.pool, &unit.id)
            .await
            .unwrap();
        assert_eq!(topics.len(), subdomains.len(), "{}", domain.code);
        for (topic, sub) in topics.iter().zip(&subdomains) {
            assert_eq!((&topic.code, &topic.name), (&sub.code, &sub.name));
            assert_eq!(topic.subdomain_id.as_deref(), Some(sub.id.as_str()));
            assert_eq!(topic.domain_id.as_deref(), Some(domain.id.as_str()));
            assert_eq!(
                (
                    topic.bkt_p_l0,
                    topic.bkt_p_transit,
                    topic.bkt_p_slip,
                    topic.bkt_p_guess
                ),
                (0.3, 0.1, 0.1, 0.2)
            );
        }
    }
    let sequences: Vec<i32> = domains
        .iter()
        .map(|d| units.iter().find(|u| u.code == d.code).unwrap().sequence)
        .collect();
    let mut sorted = sequences.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=17).collect::<Vec<_>>());

    let legacy = curriculum::topic_by_id(&db.pool, &TopicId::new("seed-topic-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(legacy.topic.code, "T-SUB-BORROW");
    assert_eq!(
        (
            legacy.domain_code.as_deref(),
            legacy.subdomain_code.as_deref()
        ),
        (Some("ARITH"), Some("SUB"))
    );
    assert_eq!(
        curriculum::prerequisite_codes(&db.pool, &TopicId::new("seed-topic-001"))
            .await
            .unwrap(),
        ["T-ADD-CARRY"]
    );

    // The 8 exercises hang off the backfilled ARITH:SUB topic, not seed-topic-001.
    let rows: Vec<(String, String, serde_json::Value, f64, f64)> = sqlx::query_as(
        "SELECT e.id, t.code || '@' || u.code, e.content, e.irt_a, e.irt_b
         FROM exercises e JOIN topics t ON t.id = e.topic_id JOIN units u ON u.id = t.unit_id
         ORDER BY e.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.1 == "SUB@ARITH"));
    assert_eq!(
        rows[0].2,
        serde_json::json!({"prompt": "53 - 26 = ?", "expectedAnswer": 27})
    );
    assert_eq!((rows[7].3, rows[7].4), (1.6, 0.9));

    let correct = error_tags::by_code(&db.pool, "CORRECT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (correct.name.as_str(), correct.domain_id.as_deref()),
        ("Correcto", None)
    );
    let counts = error_tags::count_by_status(&db.pool).await.unwrap();
    assert_eq!(
        counts,
        [
            (ErrorStatus::Active, 17),
            (ErrorStatus::Draft, 0),
            (ErrorStatus::Deprecated, 0)
        ]
    );
    let swapped = error_tags::by_code(&db.pool, "ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(swapped.source, ErrorSource::Curated);
    assert_eq!(swapped.topic_scope.as_deref(), Some("T-SUB-BORROW"));
    assert!(
        swapped.applicable_grades.is_empty(),
        "NULL arrays read as empty"
    );
}

#[tokio::test]
async fn seed_keeps_existing_error_tags_and_restores_demo_rows() {
    let db = fresh_db().await;
    seed::run(&db.pool).await.unwrap();
    sqlx::query("UPDATE error_tags SET name = 'edited' WHERE code = 'CORRECT'")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = 'seed-student-002'")
        .execute(&db.pool)
        .await
        .unwrap();
    seed::run(&db.pool).await.unwrap();
    assert_eq!(
        error_tags::by_code(&db.pool, "CORRECT")
            .await
            .unwrap()
            .unwrap()
            .name,
        "edited"
    );
    assert!(
        users::is_enrolled(
            &db.pool,
            &StudentId::new("seed-student-002"),
            &CourseId::new(seed::COURSE_ID),
            true,
        )
        .await
        .unwrap()
    );
}
