//! Assignments: the assignment, its exercises and targets written in one transaction, the
//! constraint errors a bad list meets, how targets relate to a course, a student's list, and
//! mastery rows with their prerequisites.

use innova_core::db::assignments::{self, AssignmentKind, AssignmentReason, NewAssignment};
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::db::{self, DbError, mastery};
use innova_domain::ids::{CourseId, StudentId, TeacherId, TopicId};
use innova_testkit::seeded_db;
use std::sync::LazyLock;

static COURSE: LazyLock<CourseId> = LazyLock::new(|| COURSE_ID.into());
static TEACHER: LazyLock<TeacherId> = LazyLock::new(|| TEACHER_ID.into());

fn ids<'a, T: From<&'a str>>(v: &[&'a str]) -> Vec<T> {
    v.iter().copied().map(T::from).collect()
}

fn new_assignment(title: &str) -> NewAssignment<'_> {
    NewAssignment {
        course_id: Some(&COURSE),
        created_by_teacher_id: &TEACHER,
        title,
        reason: AssignmentReason::TeacherManual,
        due_at: None,
    }
}

#[tokio::test]
async fn an_assignment_with_exercises_and_targets_is_listed_for_its_students_newest_first() {
    let db = seeded_db().await;
    let mut tx = db::begin(&db.pool).await.unwrap();
    let first = assignments::insert(&mut *tx, &new_assignment("Primera"))
        .await
        .unwrap();
    assert_eq!(
        (first.kind, first.reason),
        (AssignmentKind::Exercises, AssignmentReason::TeacherManual)
    );
    let sequence = assignments::add_exercises(
        &mut *tx,
        &first.id,
        &ids(&["seed-ex-sub-002", "seed-ex-sub-001", "seed-ex-sub-002"]),
    )
    .await
    .unwrap();
    let seq: Vec<(i32, &str)> = sequence
        .iter()
        .map(|s| (s.sequence, s.exercise_id.as_str()))
        .collect();
    assert_eq!(
        seq,
        [
            (0, "seed-ex-sub-002"),
            (1, "seed-ex-sub-001"),
            (2, "seed-ex-sub-002")
        ]
    );
    let targets =
        assignments::add_targets(&mut *tx, &first.id, &ids(&[STUDENT_IDS[1], STUDENT_IDS[0]]))
            .await
            .unwrap();
    let who: Vec<&str> = targets.iter().map(|t| t.student_id.as_str()).collect();
    assert_eq!(who, [STUDENT_IDS[1], STUDENT_IDS[0]], "in the order named");
    // Created a minute ago, so the order below does not hang on the clock's resolution.
    sqlx::query(
        "UPDATE assignments SET created_at = created_at - interval '1 minute' WHERE id = $1",
    )
    .bind(&first.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let second = assignments::insert(&db.pool, &new_assignment("Segunda"))
        .await
        .unwrap();
    assignments::add_targets(&db.pool, &second.id, &ids(&[STUDENT_IDS[0]]))
        .await
        .unwrap();
    // A guide's assignment is not in the list.
    let guide = assignments::insert(&db.pool, &new_assignment("Guía"))
        .await
        .unwrap();
    sqlx::query("UPDATE assignments SET kind = 'GUIDE' WHERE id = $1")
        .bind(&guide.id)
        .execute(&db.pool)
        .await
        .unwrap();
    assignments::add_targets(&db.pool, &guide.id, &ids(&[STUDENT_IDS[0]]))
        .await
        .unwrap();

    let list = assignments::targets_of_student(&db.pool, &StudentId::new(STUDENT_IDS[0]))
        .await
        .unwrap();
    let titles: Vec<&str> = list.iter().map(|t| t.assignment.title.as_str()).collect();
    assert_eq!(titles, ["Segunda", "Primera"]);
    assert_eq!(list[0].student_id, STUDENT_IDS[0]);
    let of = assignments::exercises_of(&db.pool, &[first.id.clone(), second.id.clone()])
        .await
        .unwrap();
    assert_eq!(of.len(), 3);
}

#[tokio::test]
async fn bad_lists_meet_the_constraints_and_targets_are_checked_against_the_course() {
    let db = seeded_db().await;
    let a = assignments::insert(&db.pool, &new_assignment("T"))
        .await
        .unwrap();
    let err = assignments::add_exercises(&db.pool, &a.id, &ids(&["ghost"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DbError::MissingReference { ref field } if field == "exerciseId"),
        "{err:?}"
    );
    let err = assignments::add_targets(&db.pool, &a.id, &ids(&[STUDENT_IDS[0], STUDENT_IDS[0]]))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Conflict { .. }), "{err:?}");
    let err = assignments::insert(
        &db.pool,
        &NewAssignment {
            course_id: Some(&CourseId::new("ghost")),
            ..new_assignment("T")
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::MissingReference { ref field } if field == "courseId"),
        "{err:?}"
    );

    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(STUDENT_IDS[4])
        .execute(&db.pool)
        .await
        .unwrap();
    let refs = assignments::target_references(
        &db.pool,
        Some(&COURSE),
        &ids(&[STUDENT_IDS[0], "ghost", STUDENT_IDS[4]]),
    )
    .await
    .unwrap();
    let seen: Vec<(&str, bool, bool)> = refs
        .iter()
        .map(|r| (r.student_id.as_str(), r.exists, r.active_in_course))
        .collect();
    assert_eq!(
        seen,
        [
            (STUDENT_IDS[0], true, true),
            ("ghost", false, false),
            (STUDENT_IDS[4], true, false)
        ]
    );
    let without_course = assignments::target_references(&db.pool, None, &ids(&[STUDENT_IDS[0]]))
        .await
        .unwrap();
    assert!(without_course[0].exists && !without_course[0].active_in_course);
}

#[tokio::test]
async fn mastery_rows_come_with_their_prerequisites() {
    let db = seeded_db().await;
    for (topic, p) in [("seed-topic-001", 0.4), ("seed-topic-002", 0.7)] {
        sqlx::query(
            "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, updated_at)
             VALUES ($1, $2, $3, CURRENT_TIMESTAMP)",
        )
        .bind(STUDENT_IDS[0])
        .bind(topic)
        .bind(p)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    let student = StudentId::new(STUDENT_IDS[0]);
    let rows = mastery::with_prerequisites(&db.pool, &student, None)
        .await
        .unwrap();
    let seen: Vec<(&str, f64, Vec<TopicId>)> = rows
        .iter()
        .map(|r| {
            (
                r.topic_id.as_str(),
                r.p_known,
                r.prerequisite_topic_ids.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("seed-topic-001", 0.4, ids(&["seed-topic-002"])),
            ("seed-topic-002", 0.7, vec![])
        ]
    );
    assert_eq!(rows[0].topic_code, "T-SUB-BORROW");
    let one =
        mastery::with_prerequisites(&db.pool, &student, Some(&TopicId::new("seed-topic-002")))
            .await
            .unwrap();
    assert_eq!(one.len(), 1);
    assert!(
        mastery::with_prerequisites(&db.pool, &StudentId::new(STUDENT_IDS[1]), None)
            .await
            .unwrap()
            .is_empty()
    );
}
