//! Teacher alerts: insert, the course's unresolved list, resolving once, and how topic and
//! student ids relate to the course.

use innova_core::db::alerts::{self, AlertType, NewAlert, Reference, References, Severity};
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::db::{self, DbError};
use innova_domain::ids::{AlertId, CourseId, StudentId, TeacherId, TopicId};
use innova_testkit::seeded_db;
use serde_json::json;
use std::sync::LazyLock;

static TEACHER: LazyLock<TeacherId> = LazyLock::new(|| TEACHER_ID.into());
static COURSE: LazyLock<CourseId> = LazyLock::new(|| COURSE_ID.into());
static STUDENT: LazyLock<StudentId> = LazyLock::new(|| STUDENT_IDS[0].into());

/// A topic of the seed curriculum (the demo course's).
async fn seed_topic(pool: &db::PgPool) -> TopicId {
    sqlx::query_scalar("SELECT id FROM topics WHERE code = 'SUB' ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A topic of another subject's curriculum, and a student enrolled nowhere.
async fn outsiders(pool: &db::PgPool) {
    sqlx::raw_sql(
        "INSERT INTO subjects (id, code, name) VALUES ('t-subject-phys', 'PHYS', 'Física');
         INSERT INTO curricula (id, subject_id, name) VALUES ('t-curr-phys', 't-subject-phys', 'Física');
         INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
             VALUES ('t-unit-phys', 't-curr-phys', 8, 1, 'MOV', 'Movimiento');
         INSERT INTO topics (id, unit_id, code, name) VALUES ('t-topic-phys', 't-unit-phys', 'VEL', 'Velocidad');
         INSERT INTO users (id, supabase_uid, email, auth_role, updated_at)
             VALUES ('t-u-loner', 't-sub-loner', 'loner@example.com', 'student', CURRENT_TIMESTAMP);
         INSERT INTO students (id, user_id, display_name) VALUES ('t-student-loner', 't-u-loner', 'Loner');",
    )
    .execute(pool)
    .await
    .unwrap();
}

fn alert<'a>(payload: &'a serde_json::Value, topic: Option<&'a TopicId>) -> NewAlert<'a> {
    NewAlert {
        teacher_id: &TEACHER,
        course_id: &COURSE,
        topic_id: topic,
        student_id: Some(&STUDENT),
        alert_type: AlertType::AtRiskStudent,
        severity: Severity::High,
        payload,
    }
}

#[tokio::test]
async fn alerts_are_listed_newest_first_until_resolved_once() {
    let db = seeded_db().await;
    let topic = seed_topic(&db.pool).await;
    let payload = json!({"reason": "two topics below 0.4"});
    let first = alerts::insert(&db.pool, &alert(&payload, Some(&topic)))
        .await
        .unwrap();
    assert_eq!(first.alert_type, AlertType::AtRiskStudent);
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.payload, payload);
    assert_eq!(
        (first.resolved_at, first.resolved_by.as_deref()),
        (None, None)
    );
    // Later than the first, so it lists first.
    sqlx::query("UPDATE teacher_alerts SET created_at = created_at - interval '1 minute'")
        .execute(&db.pool)
        .await
        .unwrap();
    let second = alerts::insert(&db.pool, &alert(&json!({}), None))
        .await
        .unwrap();
    let listed = alerts::unresolved_of_course(&db.pool, &COURSE)
        .await
        .unwrap();
    let ids: Vec<_> = listed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str(), first.id.as_str()]);
    assert!(
        alerts::unresolved_of_course(&db.pool, &CourseId::new("no-such-course"))
            .await
            .unwrap()
            .is_empty()
    );

    let mut conn = db.pool.acquire().await.unwrap();
    let (resolved, changed) = alerts::resolve(&mut conn, &first.id, "u-resolver")
        .await
        .unwrap()
        .unwrap();
    assert!(changed);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.resolved_by.as_deref(), Some("u-resolver"));
    // Again, by someone else: nothing is written, the first resolution stands.
    let (again, changed) = alerts::resolve(&mut conn, &first.id, "u-someone-else")
        .await
        .unwrap()
        .unwrap();
    assert!(!changed);
    assert_eq!(again, resolved);
    assert!(
        alerts::resolve(&mut conn, &AlertId::new("no-such-alert"), "u")
            .await
            .unwrap()
            .is_none()
    );
    let listed = alerts::unresolved_of_course(&db.pool, &COURSE)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, second.id);
}

#[tokio::test]
async fn unknown_teachers_courses_and_topics_are_missing_references() {
    let db = seeded_db().await;
    let payload = json!({});
    for (field, a) in [
        (
            "teacherId",
            NewAlert {
                teacher_id: &TeacherId::new("nobody"),
                ..alert(&payload, None)
            },
        ),
        (
            "courseId",
            NewAlert {
                course_id: &CourseId::new("nowhere"),
                ..alert(&payload, None)
            },
        ),
        ("topicId", alert(&payload, Some(&TopicId::new("no-topic")))),
    ] {
        let err = alerts::insert(&db.pool, &a).await.unwrap_err();
        assert!(
            matches!(&err, DbError::MissingReference { field: f } if f == field),
            "{field}: {err:?}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM teacher_alerts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn topics_and_students_belong_to_the_course_through_its_curriculum_and_enrollments() {
    let db = seeded_db().await;
    outsiders(&db.pool).await;
    let topic = seed_topic(&db.pool).await;
    let refs = |topic: Option<&str>, student: Option<&str>| {
        let pool = db.pool.clone();
        let (topic, student) = (topic.map(TopicId::from), student.map(StudentId::from));
        async move {
            alerts::references(&pool, &COURSE, topic.as_ref(), student.as_ref())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        refs(None, None).await,
        References {
            topic: Reference::Absent,
            student: Reference::Absent
        }
    );
    assert_eq!(
        refs(Some(topic.as_str()), Some(STUDENT_IDS[0])).await,
        References {
            topic: Reference::InCourse,
            student: Reference::InCourse
        }
    );
    assert_eq!(
        refs(Some("t-topic-phys"), Some("t-student-loner")).await,
        References {
            topic: Reference::OtherCourse,
            student: Reference::OtherCourse
        }
    );
    assert_eq!(
        refs(Some("no-topic"), Some("no-student")).await,
        References {
            topic: Reference::Unknown,
            student: Reference::Unknown
        }
    );
}
